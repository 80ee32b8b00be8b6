// The files monitor against the real kernel: a uniquely named child opens files the test made.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  constants,
  mkdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { FileEvent } from '../../src/core/decode.ts';
import type { KernelSession } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { addonMissingReason, ownPrograms, watchEvents } from './session.ts';
import { temporaryDirectory, uniqueName, uniqueProgram, waitFor } from './workload.ts';

const PYTHON = '/usr/bin/python3';
/** A tmpfs stacked on devtmpfs on the root: paths under it cross mounts. */
const OTHER_MOUNT = '/dev/shm';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = constants;
/** Python's os.open adds it: its descriptors are not inherited. */
const O_CLOEXEC = 0o2000000;
const ENOENT = 2;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      missingFileReason(PYTHON, 'apt-get install python3') ??
      missingFileReason(OTHER_MOUNT, 'mount a tmpfs there'),
  );
}

/**
 * The programs of the files fallback: the first reads the kernel's structures with direct
 * loads (bpf_rdonly_cast, Linux 6.2), the second with probe reads for older kernels. The
 * second loads here only when the first is refused, through native/bpf_session.cc's test
 * hook, as an older kernel would refuse it.
 */
const OPENAT_PROGRAMS = [
  { program: 'clawtop_openat_exit', refuse: undefined },
  { program: 'clawtop_openat_exit_probe_reads', refuse: 'clawtop_openat_exit' },
] as const;
type OpenatProgram = (typeof OPENAT_PROGRAMS)[number];

/** Opens the files monitor and collects the FILE events of one comm. */
function watchFiles(
  t: TestContext,
  comm: string,
  { program, refuse }: OpenatProgram = OPENAT_PROGRAMS[0],
): { session: KernelSession; seen: FileEvent[] } {
  // The addon reads it while it loads, in the constructor.
  if (refuse !== undefined) process.env.CLAWTOP_TEST_FAIL_PROGRAM = refuse;
  try {
    const watched = watchEvents(t, ['files'], (event): event is FileEvent => event.kind === 'file' && event.comm === comm);
    assert.deepEqual([...ownOpenatPrograms().values()], [program], 'the program serving files');
    return watched;
  } finally {
    delete process.env.CLAWTOP_TEST_FAIL_PROGRAM;
  }
}

interface OpenSpec {
  /** The working directory the open is made from. */
  readonly cwd: string;
  /** A directory to open first and pass as openat's dirfd, instead of AT_FDCWD. */
  readonly directoryFd?: string;
  readonly path: string;
  readonly flags: number;
}

/** Each open from its cwd, in a child; failures are expected and ignored. */
const OPENER = `
import json, os, sys
for cwd, directory, path, flags in json.loads(sys.argv[1]):
    os.chdir(cwd)
    directory_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY) if directory else None
    try:
        os.close(os.open(path, flags, 0o640, dir_fd=directory_fd))
    except OSError:
        pass
    if directory_fd is not None:
        os.close(directory_fd)
`;

function openInChild(program: string, opens: readonly OpenSpec[]): void {
  const specs = opens.map(({ cwd, directoryFd, path, flags }) => [cwd, directoryFd ?? null, path, flags]);
  execFileSync(program, ['-c', OPENER, JSON.stringify(specs)], { stdio: 'pipe' });
}

/** A file created by the test, removed when it ends. */
function testFile(t: TestContext, path: string): string {
  writeFileSync(path, 'clawtop\n');
  t.after(() => rmSync(path, { force: true }));
  return path;
}

/** Node's dev (glibc makedev) in the kernel's encoding, as BPF reads i_sb->s_dev. */
function kernelDev(dev: bigint): number {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return Number((major << 20n) | minor);
}

function assertSameFile(event: FileEvent, path: string): void {
  const stat = statSync(path, { bigint: true });
  assert.equal(event.mode, Number(stat.mode), `mode of ${path}`);
  assert.equal(event.inode, Number(stat.ino), `inode of ${path}`);
  assert.equal(event.dev, kernelDev(stat.dev), `dev of ${path}`);
}

function eventOf(seen: readonly FileEvent[], path: string, flags: number): FileEvent {
  const matching = seen.filter(
    (event) => event.path === path && (event.openFlags & ~O_CLOEXEC) === flags,
  );
  const flagsText = `0o${flags.toString(8)}`;
  assert.equal(matching.length, 1, `one event for ${path} with flags ${flagsText}`);
  return matching[0]!;
}

interface ExpectedOpen {
  readonly open: OpenSpec;
  /** The absolute path the event must carry. */
  readonly path: string;
}

async function openAndWait(
  program: string,
  seen: readonly FileEvent[],
  expected: readonly ExpectedOpen[],
): Promise<void> {
  openInChild(program, expected.map(({ open }) => open));
  const allSeen = () => expected.every(({ path }) => seen.some((event) => event.path === path));
  const arrived = await waitFor(allSeen, 5000);
  await sleep(100); // duplicates would arrive within a poll interval or two
  assert.ok(arrived, `events: ${JSON.stringify(seen.map((event) => event.path))}`);
}

for (const openat of OPENAT_PROGRAMS) {
  test(`${openat.program}: opens by absolute and relative path give one absolute path, operation and access`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const directory = realpathSync(temporaryDirectory(t));
    const python = uniqueProgram(directory, PYTHON);
    const { seen } = watchFiles(t, python.name, openat);
    const existing = testFile(t, join(directory, 'existing.txt'));
    mkdirSync(join(directory, 'sub', 'deeper'), { recursive: true });
    const nested = testFile(t, join(directory, 'sub', 'deeper', 'nested.txt'));
    const created = join(directory, 'created.txt');
    const otherMount = realpathSync(OTHER_MOUNT);
    const onOtherMount = testFile(t, join(otherMount, `clawtop-${uniqueName()}`));
    const relativeOnOtherMount = onOtherMount.slice(otherMount.length + 1);
    // Names of 1 and 8 bytes, and one the kernel keeps outside the dentry (over 40 bytes).
    mkdirSync(join(directory, 'a', 'abcdefgh'), { recursive: true });
    const longName = `${'0123456789abcdefghijklmnopqrstuvwxyz'.repeat(3)}.txt`;
    const oddlyNamed = testFile(t, join(directory, 'a', 'abcdefgh', longName));
    const expected: (ExpectedOpen & { operation: string; access: string })[] = [
      {
        open: { cwd: '/', path: existing, flags: O_RDONLY },
        path: existing,
        operation: 'read',
        access: 'read',
      },
      {
        open: { cwd: directory, path: 'existing.txt', flags: O_WRONLY },
        path: existing,
        operation: 'write',
        access: 'write',
      },
      {
        open: { cwd: directory, path: 'sub/deeper/nested.txt', flags: O_RDWR },
        path: nested,
        operation: 'read-write',
        access: 'read-write',
      },
      {
        open: { cwd: directory, path: 'created.txt', flags: O_CREAT | O_WRONLY },
        path: created,
        operation: 'create',
        access: 'write',
      },
      {
        open: { cwd: directory, path: existing, flags: O_TRUNC | O_RDWR },
        path: existing,
        operation: 'truncate',
        access: 'read-write',
      },
      {
        open: { cwd: directory, path: existing, flags: O_APPEND | O_WRONLY },
        path: existing,
        operation: 'append',
        access: 'write',
      },
      {
        open: { cwd: otherMount, path: relativeOnOtherMount, flags: O_RDONLY },
        path: onOtherMount,
        operation: 'read',
        access: 'read',
      },
      {
        open: { cwd: '/', path: oddlyNamed, flags: O_RDONLY },
        path: oddlyNamed,
        operation: 'read',
        access: 'read',
      },
    ];

    await openAndWait(python.path, seen, expected);

    for (const { open, path, operation, access } of expected) {
      const event = eventOf(seen, path, open.flags);
      const { errno, pathTruncated } = event;
      assert.deepEqual(
        { operation: event.operation, access: event.access, errno, pathTruncated },
        { operation, access, errno: null, pathTruncated: false },
        `${open.path} from ${open.cwd}`,
      );
      assert.ok(event.result >= 0, `fd ${event.result}`);
      assert.notEqual(event.tgid, process.pid);
      assertSameFile(event, path);
    }
  });

  test(`${openat.program}: a missing file gives ENOENT with its absolute path, given relative (to the cwd or a dirfd) or absolute`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const directory = realpathSync(temporaryDirectory(t));
    const python = uniqueProgram(directory, PYTHON);
    const { seen } = watchFiles(t, python.name, openat);
    const otherMount = realpathSync(OTHER_MOUNT);
    const missingOnOtherMount = `clawtop-missing-${python.name}`;
    const createInMissingDirectory: ExpectedOpen = {
      open: { cwd: directory, path: 'no/such/dir/x', flags: O_CREAT | O_WRONLY },
      path: join(directory, 'no/such/dir/x'),
    };
    const expected: ExpectedOpen[] = [
      {
        open: { cwd: directory, path: 'missing', flags: O_RDONLY },
        path: join(directory, 'missing'),
      },
      {
        open: { cwd: '/', path: join(directory, 'absent'), flags: O_RDONLY },
        path: join(directory, 'absent'),
      },
      createInMissingDirectory,
      {
        open: { cwd: otherMount, path: missingOnOtherMount, flags: O_RDONLY },
        path: join(otherMount, missingOnOtherMount),
      },
      {
        open: { cwd: '/', directoryFd: otherMount, path: `${missingOnOtherMount}-at`, flags: O_RDONLY },
        path: join(otherMount, `${missingOnOtherMount}-at`),
      },
    ];

    await openAndWait(python.path, seen, expected);

    for (const { open, path } of expected) {
      const { result, errno, mode, inode, dev } = eventOf(seen, path, open.flags);
      assert.deepEqual(
        { result, errno, mode, inode, dev },
        { result: -ENOENT, errno: 'ENOENT', mode: 0, inode: 0, dev: 0 },
        `${open.path} from ${open.cwd}`,
      );
    }
    const { path, open } = createInMissingDirectory;
    assert.equal(eventOf(seen, path, open.flags).operation, 'create');
  });

  test(`${openat.program}: a path of 255 bytes arrives whole; a longer one keeps its first 255, flagged truncated`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const directory = realpathSync(temporaryDirectory(t));
    const python = uniqueProgram(directory, PYTHON);
    const { seen } = watchFiles(t, python.name, openat);
    const deep = join(directory, 'd'.repeat(100), 'e'.repeat(100));
    mkdirSync(deep, { recursive: true });
    // The record holds 255 bytes and a NUL (FILE_PATH_LEN).
    const whole = testFile(t, join(deep, 'w'.repeat(255 - deep.length - 1)));
    const long = testFile(t, join(deep, 'l'.repeat(300 - deep.length - 1)));
    assert.deepEqual([whole.length, long.length], [255, 300]);

    await openAndWait(python.path, seen, [
      { open: { cwd: '/', path: whole, flags: O_RDONLY }, path: whole },
      { open: { cwd: '/', path: long, flags: O_RDONLY }, path: long.slice(0, 255) },
    ]);

    assert.equal(eventOf(seen, whole, O_RDONLY).pathTruncated, false);
    const truncated = eventOf(seen, long.slice(0, 255), O_RDONLY);
    assert.equal(truncated.pathTruncated, true);
    assertSameFile(truncated, long);
  });
}

/** Opens path three times keeping each fd, then opens and closes it `repeats` times; waits for a byte first. */
const REPEATER = `
import os, sys
path, repeats = sys.argv[1], int(sys.argv[2])
sys.stdin.read(1)
kept = [os.open(path, os.O_RDONLY) for _ in range(3)]
for _ in range(repeats):
    os.close(os.open(path, os.O_RDONLY))
print('done', flush=True)
sys.stdin.read(1)
`;

for (const openat of OPENAT_PROGRAMS) {
  test(`${openat.program}: a thread's repeated opens of a file fold into counts that add up to every open`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const directory = realpathSync(temporaryDirectory(t));
    const python = uniqueProgram(directory, PYTHON);
    const path = testFile(t, join(directory, 'polled'));
    const repeats = 20_000;
    const { session, seen } = watchFiles(t, python.name, openat);
    const child = spawn(python.path, ['-c', REPEATER, path, String(repeats)], { stdio: ['pipe', 'pipe', 'inherit'] });
    t.after(() => child.kill());
    // Only the child's opens reach the fold slots: none of the host's can write a slot's
    // count out, so the last one arrives only if the reader takes it from the slot.
    session.setFilter('filterTgid', child.pid!);
    child.stdin.write('x');
    await once(child.stdout, 'data');

    const opensOfPath = () =>
      seen.filter((event) => event.path === path).reduce((sum, event) => sum + event.count, 0);
    const arrived = await waitFor(() => opensOfPath() >= 3 + repeats, 5000);
    await sleep(300); // a count taken twice would arrive within a poll or two
    const events = seen.filter((event) => event.path === path);
    assert.ok(arrived, `opens counted: ${opensOfPath()} of ${3 + repeats}`);
    assert.equal(opensOfPath(), 3 + repeats, 'every open counted once');
    // The kept fds differ, so each of those opens is a record of its own.
    const keptFds = new Set(events.filter((event) => !event.repeats).slice(0, 3).map((event) => event.result));
    assert.equal(keptFds.size, 3, `the first three records: ${JSON.stringify(events.slice(0, 3))}`);
    assert.ok(events.length < repeats / 100, `${events.length} records for ${3 + repeats} opens`);
    for (const event of events) assertSameFile(event, path);
  });
}

interface BpftoolLink {
  readonly id: number;
  readonly prog_id: number;
}

/** This session's clawtop_openat_* programs by id. */
function ownOpenatPrograms(): Map<number, string> {
  return new Map(ownPrograms('clawtop_openat_').map((program) => [program.id, program.name]));
}

function linksOf(programIds: Set<number>): BpftoolLink[] {
  const links = JSON.parse(execFileSync('bpftool', ['-j', 'link', 'show'], { encoding: 'utf8' })) as BpftoolLink[];
  return links.filter((link) => programIds.has(link.prog_id));
}

test('setMonitor(files) off removes the links and the events; on brings both back, same session', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = realpathSync(temporaryDirectory(t));
  const python = uniqueProgram(directory, PYTHON);
  const { session, seen } = watchFiles(t, python.name);
  const [before, whileOff, after] = ['before', 'while-off', 'after'].map((phase) =>
    testFile(t, join(directory, phase)),
  ) as [string, string, string];
  const openMarker = (path: string) =>
    openInChild(python.path, [{ cwd: '/', path, flags: O_RDONLY }]);
  const markerSeen = (path: string) => seen.some((event) => event.path === path);

  const programs = new Set(ownOpenatPrograms().keys());
  const linksBefore = linksOf(programs);
  assert.equal(linksBefore.length, 1, 'it is linked');
  openMarker(before);
  assert.ok(await waitFor(() => markerSeen(before), 5000), 'events arrive while on');

  const offReport = session.setMonitor('files', false);
  const stillAttached = offReport.hooks.find((hook) => hook.monitor === 'files' && hook.attached);
  assert.equal(stillAttached, undefined, 'reported detached');
  assert.deepEqual(linksOf(programs), [], 'no link left while off');
  assert.deepEqual(new Set(ownOpenatPrograms().keys()), programs, 'the programs stay loaded');
  openMarker(whileOff);
  // Whatever the ring holds is handed over now, not at the reader's next poll (up to 250 ms away).
  session.handOverNow();
  await sleep(100);
  assert.equal(markerSeen(whileOff), false, 'no event while off');

  const onReport = session.setMonitor('files', true);
  assert.ok(onReport.hooks.find((hook) => hook.monitor === 'files' && hook.attached));
  const linksAfter = linksOf(programs);
  assert.equal(linksAfter.length, 1, 'it is linked again');
  assert.deepEqual(
    new Set(linksAfter.map((link) => link.prog_id)),
    programs,
    'the same programs, new links',
  );
  openMarker(after);
  assert.ok(await waitFor(() => markerSeen(after), 5000), 'events arrive again');
  assert.equal(markerSeen(whileOff), false);
});
