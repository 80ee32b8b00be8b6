// Issue 7, privileges and kernel features: a hook the kernel refuses is reported with the
// kernel's reason while the rest runs; tracefs missing is mounted; bpffs is never needed.
// (Unprivileged: test/kernel/cli.test.ts. No BTF: test/core/preflight.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';

import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { CLAWTOP, PROJECT, startClawtop } from './process.ts';
import { addonMissingReason } from './session.ts';
import { temporaryDirectory, uniqueProgram, waitFor, exitOf } from './workload.ts';

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ?? addonMissingReason() ?? missingFileReason('/usr/bin/unshare', 'apt-get install util-linux'),
  );
}

interface Hook {
  monitor: string;
  hook: string;
  mode: string;
  attached: boolean;
  reason: string | null;
}

function hooksLine(stdout: string): Hook[] {
  const first = JSON.parse(stdout.split('\n')[0]!) as { kind: string; hooks: Hook[] };
  assert.equal(first.kind, 'hooks');
  return first.hooks;
}

test('a program the kernel refuses: its monitor is unavailable with the kernel\'s reason, the others run', async (t) => {
  if (prerequisiteMissing(t)) return;
  // The test hook of native/bpf_session.cc: the kernel refuses clawtop_connect4 (the net
  // monitor's program where the bpf LSM is not active) as it would on a kernel without it.
  const clawtop = startClawtop(t, ['--json', '--monitors', 'exec,net'], { CLAWTOP_TEST_FAIL_PROGRAM: 'clawtop_connect4' });
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const seen = await waitFor(
    () => {
      if (clawtop.stdout() !== '') execFileSync(program.path);
      return clawtop.stdout().includes(`"comm":"${program.name}"`);
    },
    15_000,
    100,
  );
  assert.ok(seen, `exec did not report ${program.name}; stderr: ${clawtop.stderr()}`);
  clawtop.child.kill('SIGTERM');
  const [exitCode] = await exitOf(clawtop.child);
  assert.equal(exitCode, 0, clawtop.stderr());

  const hooks = hooksLine(clawtop.stdout());
  const net = hooks.find((hook) => hook.monitor === 'net')!;
  assert.equal(net.mode, 'unavailable');
  assert.equal(net.attached, false);
  assert.match(net.reason ?? '', /failed to load: clawtop_connect4: Invalid argument$/);
  assert.deepEqual(
    hooks.filter((hook) => hook.attached).map((hook) => hook.monitor),
    ['exec'],
  );
  assert.equal(clawtop.stderr(), `clawtop: net is off: ${net.reason}\n`);
});

test('--probe: the refused hook is reported, every other monitor keeps its hook', (t) => {
  if (prerequisiteMissing(t)) return;
  const result = spawnSync(process.execPath, [...CLAWTOP, '--probe'], {
    cwd: PROJECT,
    encoding: 'utf8',
    env: { ...process.env, CLAWTOP_TEST_FAIL_PROGRAM: 'clawtop_connect4' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  const rows = result.stdout.split('\n').map((line) => line.split(/\s{2,}/));
  assert.deepEqual(rows.find((row) => row[0] === 'net')?.slice(1, 3), ['none', 'unavailable']);
  assert.match(rows.find((row) => row[0] === 'net')![3]!, /clawtop_connect4: Invalid argument/);
  for (const monitor of ['exec', 'files', 'cgroup', 'syscalls']) {
    assert.notEqual(rows.find((row) => row[0] === monitor)?.[1], 'none', `${monitor} lost its hook`);
  }
});

test('signals while the programs load (a profiler\'s SIGPROF every 100 us): every monitor still attaches', (t) => {
  if (prerequisiteMissing(t)) return;
  // The verifier gives up on a load whenever a signal is pending; node's sampling profiler
  // interrupts the main thread, which loads the programs, far more often than they take.
  const profiles = temporaryDirectory(t);
  const result = spawnSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profiles, ...CLAWTOP, '--json', '--monitors', 'exec,files,net,cgroup', '--duration', '1'],
    { cwd: PROJECT, encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 1024 * 1024 },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(
    hooksLine(result.stdout).filter((hook) => hook.attached).map((hook) => hook.monitor),
    ['exec', 'files', 'net', 'cgroup'],
  );
});

/**
 * Runs script with sh in a private mount namespace: what it unmounts and clawtop mounts
 * there is never seen outside, and is gone when the namespace's last process exits.
 */
function inPrivateMountNamespace(script: string) {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    cwd: PROJECT,
    encoding: 'utf8',
    timeout: 30_000,
    // A second of --json with files on is over spawnSync's 1 MiB default on a busy host.
    maxBuffer: 256 * 1024 * 1024,
  });
}

const CLAWTOP_COMMAND = `${process.execPath} ${CLAWTOP.join(' ')}`;

test('tracefs not mounted: clawtop mounts it and its tracepoint monitor attaches, saying nothing', (t) => {
  if (prerequisiteMissing(t)) return;
  const result = inPrivateMountNamespace(
    [
      'for path in /sys/kernel/debug/tracing /sys/kernel/tracing; do umount "$path" 2>/dev/null; done',
      'test -e /sys/kernel/tracing/events && { echo "tracefs still mounted" >&2; exit 99; }',
      `${CLAWTOP_COMMAND} --json --monitors exec,files --duration 1 || exit $?`,
      'grep -c "^tracefs " /proc/self/mounts >&2',
    ].join('\n'),
  );
  assert.equal(result.status, 0, result.stderr);
  const files = hooksLine(result.stdout).find((hook) => hook.monitor === 'files')!;
  assert.equal(files.attached, true, files.reason ?? '');
  assert.match(files.hook, /^tracepoint\/|^lsm\//);
  assert.equal(result.stderr, '1\n', 'clawtop said something, or did not mount tracefs');
});

test('bpffs not mounted: clawtop never pins, so it runs without it', (t) => {
  if (prerequisiteMissing(t)) return;
  const result = inPrivateMountNamespace(
    [
      'umount /sys/fs/bpf 2>/dev/null',
      'grep -q "^bpf " /proc/self/mounts && { echo "bpffs still mounted" >&2; exit 99; }',
      `${CLAWTOP_COMMAND} --json --monitors exec,files,net,cgroup --duration 1 || exit $?`,
      'grep -c "^bpf " /proc/self/mounts >&2 || true',
    ].join('\n'),
  );
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(
    hooksLine(result.stdout).filter((hook) => hook.attached).map((hook) => hook.monitor),
    ['exec', 'files', 'net', 'cgroup'],
  );
  assert.equal(result.stderr, '0\n', 'clawtop said something, or mounted bpffs');
});
