// SPDX-License-Identifier: GPL-2.0
/*
 * files monitor: lsm/file_open where it loads, else openat's exit tracepoint with the path
 * resolved from the returned fd; that program is in syscalls.bpf.c, which shares the hook.
 */

/* include/uapi/asm-generic/fcntl.h (vmlinux.h has no macros); prefixed: one object holds every monitor. */
#define FILES_O_ACCMODE 00000003
#define FILES_O_WRONLY 00000001
#define FILES_O_CREAT 00000100
#define FILES_O_TRUNC 00001000
#define FILES_O_APPEND 00002000
#define FILES_AT_FDCWD -100
#define FILES_NAME_MAX 255
/* include/linux/fs.h, 0x20000000 since 4.19: a file the kernel opened for itself, not for a process. */
#define FILES_FMODE_NOACCOUNT 0x20000000

/* Dentries and mount crossings walked per path; deeper paths keep their deepest part, marked truncated. */
#define FILES_WALK_DEPTH 32
/*
 * The walk writes the path backwards, ending just before FILES_PATH_END, so it never
 * needs the depth up front. Every write starts below FILES_SCRATCH_HALF and is at most
 * that long, which is how the verifier sees it stay inside the buffer.
 */
#define FILES_SCRATCH_HALF 4096		/* PATH_MAX */
#define FILES_PATH_END (FILES_SCRATCH_HALF - 1)

struct files_path_scratch {
	char buffer[2 * FILES_SCRATCH_HALF];
};

/* Too big for the 512-byte BPF stack, and one per CPU is enough: programs do not nest here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct files_path_scratch);
} files_path_scratch SEC(".maps");

/* One slot per possible CPU (the loader sets max_entries), mmapped by the reader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_fold_slot);
} files_fold_slots SEC(".maps");

/*
 * How the kernel's structures are read. bpf_rdonly_cast (Linux 6.2) turns a pointer into
 * a typed one whose fields are plain loads; before it, every field costs a probe-read
 * helper call (tens of ns; 956 -> 627 ns per open here). A program that calls the cast
 * does not load on older kernels, so each way is a program of its own and the loader
 * falls back to the probe-read one (native/hooks.cc). Every function taking a
 * files_reads is always inlined with a constant: the other way is compiled out.
 */
enum files_reads { FILES_PROBE_READS, FILES_DIRECT_LOADS };

extern void *bpf_rdonly_cast(const void *object, __u32 btf_id) __ksym __weak;

#define FILES_READ(reads, type, pointer, field)                                                    \
	((reads) == FILES_DIRECT_LOADS                                                             \
		 ? ((type *)bpf_rdonly_cast((const void *)(pointer), bpf_core_type_id_kernel(type)))->field \
		 : BPF_CORE_READ((type *)(pointer), field))

/* openat's arguments, read at its exit from the registers the syscall saved. */
struct files_open_arguments {
	__u64 filename;		/* user pointer, still valid at exit */
	__u32 flags;
	__s32 dfd;
};

/* Where the walk is; a bpf_loop callback's context, so the verifier checks one step, not 32. */
struct files_path_walk {
	struct dentry *dentry;
	struct mount *mount;
	struct dentry *mount_root;	/* mount's own root, where the walk crosses to its parent */
	struct dentry *root_dentry;	/* the task's root (chroot aware, like d_path) */
	struct mount *root_mount;
	__u32 start;		/* the path so far is scratch[start, FILES_PATH_END) */
	bool done;
	bool truncated;
};

static __always_inline struct mount *files_real_mount(struct vfsmount *vfsmount)
{
	return (void *)vfsmount - bpf_core_field_offset(struct mount, mnt);
}

static __always_inline __u8 files_operation(__u32 flags)
{
	__u32 access = flags & FILES_O_ACCMODE;

	if (flags & FILES_O_CREAT)
		return FILE_OP_CREATE;
	if (flags & FILES_O_TRUNC)
		return FILE_OP_TRUNCATE;
	if (flags & FILES_O_APPEND)
		return FILE_OP_APPEND;
	if (access == FILES_O_WRONLY)
		return FILE_OP_WRITE;
	/* O_RDWR, and the odd 3, which the kernel checks as read and write. */
	return access ? FILE_OP_READ_WRITE : FILE_OP_READ;
}

/*
 * A name into the scratch, ending just before end, 8 bytes a load: plain loads where a
 * probe read would be a helper call per name. The words are aligned on the name's end,
 * so the first one may take bytes from before the name and put them before its place
 * in the scratch, where the '/' and the parent's name go next; a load the kernel cannot
 * make reads as 0 instead of faulting.
 */
static __always_inline void files_copy_name_words(struct files_path_scratch *scratch, __u32 end,
						  struct qstr name)
{
	__u64 word_end = (__u64)name.name + name.len;
	__u32 copied;

	for (copied = 0; copied < name.len && copied <= FILES_NAME_MAX; copied += 8) {
		/* struct qstr starts with a u64 (hash_len), in every kernel: a word anywhere. */
		__u64 word = FILES_READ(FILES_DIRECT_LOADS, struct qstr, word_end - copied - 8, hash_len);

		*(__u64 *)&scratch->buffer[(end - copied - 8) & (FILES_SCRATCH_HALF - 1)] = word;
	}
}

/* One dentry up, or across to the parent mount; 1 ends the walk. */
static __always_inline long files_walk_step(void *context, enum files_reads reads)
{
	struct files_path_walk *walk = context;
	struct dentry *dentry = walk->dentry;
	struct mount *mount = walk->mount;
	struct files_path_scratch *scratch;
	struct mount *parent_mount;
	struct dentry *parent;
	struct qstr name;
	__u32 zero = 0;

	if (dentry == walk->root_dentry && mount == walk->root_mount) {
		walk->done = true;
		return 1;
	}
	if (dentry == walk->mount_root) {
		parent_mount = FILES_READ(reads, struct mount, mount, mnt_parent);
		/* The top of the mount tree: its own parent. */
		if (parent_mount == mount || !parent_mount) {
			walk->done = true;
			return 1;
		}
		walk->dentry = FILES_READ(reads, struct mount, mount, mnt_mountpoint);
		walk->mount = parent_mount;
		walk->mount_root = FILES_READ(reads, struct mount, parent_mount, mnt.mnt_root);
		return 0;
	}
	parent = FILES_READ(reads, struct dentry, dentry, d_parent);
	/* A filesystem root that is no mount's root: not reachable from the task's root. */
	if (parent == dentry || !parent) {
		walk->done = true;
		return 1;
	}
	if (reads == FILES_DIRECT_LOADS) {
		name.len = FILES_READ(reads, struct dentry, dentry, d_name.len);
		name.name = FILES_READ(reads, struct dentry, dentry, d_name.name);
	} else if (bpf_core_read(&name, sizeof(name), &dentry->d_name) < 0) {
		/* One helper call for the name's length and pointer together. */
		name.len = FILES_NAME_MAX + 1;
	}
	scratch = bpf_map_lookup_elem(&files_path_scratch, &zero);
	/* Room for the name's first word too, which may start before it. */
	if (!scratch || name.len > FILES_NAME_MAX || name.len + 8 > walk->start) {
		walk->truncated = true;
		return 1;
	}
	if (reads == FILES_DIRECT_LOADS)
		files_copy_name_words(scratch, walk->start, name);
	else
		bpf_probe_read_kernel(&scratch->buffer[(walk->start - name.len) & (FILES_SCRATCH_HALF - 1)],
				      name.len & FILES_NAME_MAX, name.name);
	walk->start -= name.len + 1;
	scratch->buffer[walk->start & (FILES_SCRATCH_HALF - 1)] = '/';
	walk->dentry = parent;
	return 0;
}

static long files_walk_step_loading(__u32 index, void *context)
{
	return files_walk_step(context, FILES_DIRECT_LOADS);
}

static long files_walk_step_probe_reading(__u32 index, void *context)
{
	return files_walk_step(context, FILES_PROBE_READS);
}

/*
 * Writes the absolute path of a dentry on a mount into the scratch, ending before
 * FILES_PATH_END; returns where it starts. The root itself gives "": callers add '/'.
 */
static __always_inline __u32 files_walk_path(struct task_struct *task, struct dentry *dentry,
					     struct vfsmount *vfsmount, bool *truncated,
					     enum files_reads reads)
{
	struct files_path_walk walk = {
		.dentry = dentry,
		.mount = files_real_mount(vfsmount),
		.mount_root = FILES_READ(reads, struct vfsmount, vfsmount, mnt_root),
		.root_dentry = task->fs->root.dentry,
		.root_mount = files_real_mount(task->fs->root.mnt),
		.start = FILES_PATH_END,
	};

	bpf_loop(FILES_WALK_DEPTH,
		 reads == FILES_DIRECT_LOADS ? files_walk_step_loading : files_walk_step_probe_reading,
		 &walk, 0);
	if (walk.truncated || !walk.done)
		*truncated = true;
	return walk.start;
}

/* event->path from the scratch, ending before FILES_PATH_END. */
static __always_inline void files_copy_path(struct file_event *event, struct files_path_scratch *scratch,
					    __u32 start)
{
	__u32 length, word;

	if (start >= FILES_PATH_END) {
		start = FILES_PATH_END - 1;
		scratch->buffer[start] = '/';
	}
	length = FILES_PATH_END - start;
	/* Longer than the record holds: its beginning is kept. */
	if (length > FILE_PATH_LEN - 1) {
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
		length = FILE_PATH_LEN - 1;
	}
	/*
	 * 8 bytes a store, where bpf_probe_read_kernel_str() was a helper call and a byte at
	 * a time. The last word may carry scratch bytes past the path; the NUL ends it.
	 */
	for (word = 0; word < FILE_PATH_LEN / 8 && word * 8 <= length; word++)
		*(__u64 *)&event->path[word * 8] =
			*(__u64 *)&scratch->buffer[(start + word * 8) & (FILES_SCRATCH_HALF - 1)];
	event->path[length & (FILE_PATH_LEN - 1)] = '\0';
}

/* The absolute path of an open file; false when the scratch is missing. */
static __always_inline bool files_path_of_file(struct file_event *event, struct task_struct *task,
					       struct file *file, enum files_reads reads)
{
	struct files_path_scratch *scratch;
	bool truncated = false;
	struct path path;
	__u32 zero = 0;
	__u32 start;

	scratch = bpf_map_lookup_elem(&files_path_scratch, &zero);
	if (!scratch)
		return false;
	if (reads == FILES_DIRECT_LOADS) {
		path.dentry = FILES_READ(reads, struct file, file, f_path.dentry);
		path.mnt = FILES_READ(reads, struct file, file, f_path.mnt);
	} else if (bpf_core_read(&path, sizeof(path), &file->f_path) < 0) {
		return false;
	}
	start = files_walk_path(task, path.dentry, path.mnt, &truncated, reads);
	if (truncated)
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
	files_copy_path(event, scratch, start);
	return true;
}

static __always_inline void files_fill_inode(struct file_event *event, struct file *file,
					     enum files_reads reads)
{
	struct inode *inode = FILES_READ(reads, struct file, file, f_inode);
	struct super_block *super_block = FILES_READ(reads, struct inode, inode, i_sb);

	event->mode = FILES_READ(reads, struct inode, inode, i_mode);
	event->inode = FILES_READ(reads, struct inode, inode, i_ino);
	event->dev = FILES_READ(reads, struct super_block, super_block, s_dev);
}

static __always_inline void files_clear_inode(struct file_event *event)
{
	event->mode = 0;
	event->inode = 0;
	event->dev = 0;
}

SEC("lsm/file_open")
int BPF_PROG(clawtop_file_open, struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file_event *event;
	long path_size;

	/*
	 * The file overlayfs opens on the layer below (a backing or fake-path file) when a
	 * process opens one of its files: that open is reported already, once.
	 */
	if (BPF_CORE_READ(file, f_mode) & FILES_FMODE_NOACCOUNT)
		return 0;
	if (task_filtered_out(task))
		return 0;
	event = reserve_record(EVENT_KIND_FILE, sizeof(*event));
	if (!event)
		return 0;
	fill_header(&event->header, EVENT_KIND_FILE, sizeof(*event), task);
	/* Called before the open completes: it has not failed so far, and has no fd yet. */
	event->result = 0;
	event->open_flags = BPF_CORE_READ(file, f_flags);
	event->operation = files_operation(event->open_flags);
	__builtin_memset(event->_pad, 0, sizeof(event->_pad));
	event->count = 1;
	files_fill_inode(event, file, FILES_PROBE_READS);
	/* f_path is const in newer kernels; bpf_d_path only reads it. */
	path_size = bpf_d_path((struct path *)&file->f_path, event->path, sizeof(event->path));
	/* Too long for the record: the walk keeps its beginning, as the fallback does. */
	if (path_size < 0 && !files_path_of_file(event, task, file, FILES_PROBE_READS)) {
		event->path[0] = '\0';
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
	}
	submit_record(event);
	/* Observe, never deny. */
	return 0;
}

/* The file behind the current task's fd, or NULL. */
static __always_inline struct file *files_fd_file(struct task_struct *task, __s64 fd, enum files_reads reads)
{
	/* Direct loads from the task's BTF pointer: no helper call each. */
	struct fdtable *table = task->files->fdt;
	struct file *file = NULL;

	if (!table || fd < 0 || fd >= table->max_fds)
		return NULL;
	/*
	 * The slot is a bare struct file *, which bpf_rdonly_cast cannot type: struct kiocb
	 * starts with one (ki_filp), in every kernel.
	 */
	if (reads == FILES_DIRECT_LOADS)
		return FILES_READ(reads, struct kiocb, (__u64)table->fd + fd * sizeof(file), ki_filp);
	if (bpf_probe_read_kernel(&file, sizeof(file), &table->fd[fd]) < 0)
		return NULL;
	return file;
}

/*
 * The path openat was given, made absolute: as is when it starts with '/', else after
 * the directory it is relative to (the working directory for AT_FDCWD, else dfd's).
 */
static __always_inline void files_path_as_given(struct file_event *event, struct task_struct *task,
						const struct files_open_arguments *arguments,
						enum files_reads reads)
{
	const char *filename = (const char *)arguments->filename;
	struct files_path_scratch *scratch;
	struct dentry *directory = NULL;
	struct vfsmount *vfsmount = NULL;
	bool truncated = false;
	long name_size;
	__u32 zero = 0;
	__u32 start;
	struct file *file;

	name_size = bpf_probe_read_user_str(event->path, sizeof(event->path), filename);
	if (name_size < 0) {
		event->path[0] = '\0';
		return;
	}
	if (name_size == sizeof(event->path))
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
	/* Absolute, or empty (ENOENT): nothing to resolve. */
	if (event->path[0] == '/' || event->path[0] == '\0')
		return;

	if (arguments->dfd == FILES_AT_FDCWD) {
		directory = task->fs->pwd.dentry;
		vfsmount = task->fs->pwd.mnt;
	} else {
		file = files_fd_file(task, arguments->dfd, reads);
		if (file) {
			directory = FILES_READ(reads, struct file, file, f_path.dentry);
			vfsmount = FILES_READ(reads, struct file, file, f_path.mnt);
		}
	}
	scratch = bpf_map_lookup_elem(&files_path_scratch, &zero);
	/* No directory to resolve against (a bad dfd): the relative path is all there is. */
	if (!directory || !vfsmount || !scratch)
		return;
	start = files_walk_path(task, directory, vfsmount, &truncated, reads);
	if (truncated)
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
	name_size = bpf_probe_read_user_str(&scratch->buffer[FILES_PATH_END + 1], FILE_PATH_LEN, filename);
	if (name_size < 1)
		name_size = 1;
	scratch->buffer[FILES_PATH_END] = '/';
	if (FILES_PATH_END - start + name_size > FILE_PATH_LEN - 1)
		event->header.flags |= FILE_FLAG_PATH_TRUNCATED;
	bpf_probe_read_kernel_str(event->path, sizeof(event->path),
				  &scratch->buffer[start & (FILES_SCRATCH_HALF - 1)]);
}

/* The open repeats the slot's record (same thread, file, fd and flags): counted there. */
static __always_inline bool files_fold_repeat(struct file_fold_slot *slot, struct task_struct *task,
					      const struct path *path, long ret, __u32 flags)
{
	if (!(slot->state & FILE_FOLD_LIVE) || slot->dentry != (__u64)path->dentry ||
	    slot->vfsmount != (__u64)path->mnt || slot->record.result != ret ||
	    slot->record.open_flags != flags || slot->record.header.tid != task->pid ||
	    slot->record.header.tgid != task->tgid)
		return false;
	__sync_fetch_and_add(&slot->state, 1);
	return true;
}

/*
 * Before the slot's record is written over: the opens folded into it, if the reader has
 * not taken them, go out as a FILE_FLAG_REPEATS copy of it. live: whether later opens
 * may fold into the record about to be written.
 */
static __always_inline void files_fold_restart(struct file_fold_slot *slot, bool live)
{
	__u64 generation = (slot->state >> FILE_FOLD_GENERATION_SHIFT) + 1;
	__u64 previous;

	previous = __sync_lock_test_and_set(&slot->state, generation << FILE_FOLD_GENERATION_SHIFT |
								  (live ? FILE_FOLD_LIVE : 0));
	if (!(previous & FILE_FOLD_COUNT_MASK))
		return;
	slot->record.header.flags |= FILE_FLAG_REPEATS;
	slot->record.header.timestamp_ns = bpf_ktime_get_ns();
	slot->record.count = previous & FILE_FOLD_COUNT_MASK;
	output_record(EVENT_KIND_FILE, &slot->record, sizeof(slot->record));
}

/*
 * Only the exit is traced: the registers the syscall saved on entry still hold its
 * arguments there, so an enter program (and a map to pass them on) would only add cost.
 * Any syscall tracepoint makes every syscall on the host take the slow path, and an
 * attached enter tracepoint costs each one a program lookup of its own.
 */
static __always_inline int files_openat_exit(struct trace_event_raw_sys_exit *ctx, enum files_reads reads)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_open_arguments arguments;
	struct file_fold_slot *slot;
	struct file_event *event;
	struct path path = {};
	struct file *file = NULL;
	struct pt_regs *regs;
	long ret = ctx->ret;
	__u32 cpu;

	if (task_filtered_out(task))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	arguments.dfd = (__s32)PT_REGS_PARM1_SYSCALL(regs);
	arguments.filename = PT_REGS_PARM2_SYSCALL(regs);
	arguments.flags = (__u32)PT_REGS_PARM3_SYSCALL(regs);
	cpu = bpf_get_smp_processor_id();
	slot = bpf_map_lookup_elem(&files_fold_slots, &cpu);
	if (!slot)
		return 0;

	/* Another thread may close the fd before this runs: then the path is as given. */
	if (ret >= 0)
		file = files_fd_file(task, ret, reads);
	if (file) {
		path.dentry = FILES_READ(reads, struct file, file, f_path.dentry);
		path.mnt = FILES_READ(reads, struct file, file, f_path.mnt);
		if (files_fold_repeat(slot, task, &path, ret, arguments.flags))
			return 0;
	}
	files_fold_restart(slot, file != NULL);
	slot->dentry = (__u64)path.dentry;
	slot->vfsmount = (__u64)path.mnt;

	event = &slot->record;
	fill_header(&event->header, EVENT_KIND_FILE, sizeof(*event), task);
	event->result = ret;
	event->open_flags = arguments.flags;
	event->operation = files_operation(arguments.flags);
	__builtin_memset(event->_pad, 0, sizeof(event->_pad));
	event->count = 1;
	if (file && files_path_of_file(event, task, file, reads)) {
		files_fill_inode(event, file, reads);
	} else {
		files_clear_inode(event);
		files_path_as_given(event, task, &arguments, reads);
	}
	output_record(EVENT_KIND_FILE, event, sizeof(*event));
	return 0;
}
