#!/bin/busybox sh
# PID 1 of a kernel-test VM (scripts/test-kernels.sh), from a busybox initramfs: loads the
# modules for a 9p root, shares the host's root read-only with a tmpfs overlay for writes,
# mounts what clawtop uses, runs the checks with the host's node and powers off. The host
# reads the checks' exit status from the line "clawtop-vm-exit-status=N".
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

status=1
finish() {
	echo "clawtop-vm-exit-status=$status"
	poweroff -f
}
fail() {
	echo "init: $*"
	finish
}

# clawtop.project=DIR clawtop.checks=FILE on the kernel command line.
for word in $(cat /proc/cmdline); do
	case "$word" in
	clawtop.project=*) project=${word#clawtop.project=} ;;
	clawtop.checks=*) checks=${word#clawtop.checks=} ;;
	esac
done
[ -n "$project" ] && [ -n "$checks" ] || fail "no clawtop.project= or clawtop.checks= on the kernel command line"

# Modules this kernel builds in are not in the initramfs (the host only copies loadable ones).
for module in $(cat /etc/clawtop-modules); do
	modprobe "$module" || fail "cannot load module $module"
done

mkdir -p /host /rw /root
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host ||
	fail "cannot mount the host root over 9p"
mount -t tmpfs tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /root ||
	fail "cannot mount the overlay"

mount -t proc proc /root/proc
mount -t sysfs sysfs /root/sys
mount -t devtmpfs devtmpfs /root/dev
mount -t tracefs tracefs /root/sys/kernel/tracing
mount -t bpf bpf /root/sys/fs/bpf
mount -t securityfs securityfs /root/sys/kernel/security
mount -t cgroup2 cgroup2 /root/sys/fs/cgroup
ip link set lo up

echo "init: $(uname -r), lsm=$(cat /root/sys/kernel/security/lsm)"
chroot /root /usr/bin/env -i -C "$project" PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 \
	/usr/bin/node --test-reporter=tap "$checks"
status=$?
finish
