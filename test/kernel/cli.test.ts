// `clawtop --json` as a user runs it: a real process, real kernel, real output.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';

import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import {
  CLAWTOP,
  PROJECT,
  leftLoadedAfter,
  startClawtop as startRunningClawtop,
  trackBpfObjects,
  type BpfObjects,
  type RunningClawtop,
} from './process.ts';
import { addonMissingReason } from './session.ts';
import { temporaryDirectory, uniqueProgram, waitFor, exitOf } from './workload.ts';


function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      missingFileReason('/usr/sbin/bpftool', 'run scripts/setup.sh'),
  );
}

interface TrackedClawtop extends RunningClawtop {
  readonly objects: BpfObjects;
}

function startClawtop(t: TestContext, args: string[]): TrackedClawtop {
  const clawtop = startRunningClawtop(t, args);
  const tracker = trackBpfObjects(clawtop.child.pid!);
  clawtop.child.on('exit', tracker.stop);
  t.after(tracker.stop);
  return { ...clawtop, objects: tracker.objects };
}

/** Runs the program until clawtop reports it: from then on, clawtop is watching. */
async function waitUntilWatching(t: TestContext, clawtop: TrackedClawtop): Promise<string> {
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const watching = await waitFor(
    () => {
      execFileSync(program.path);
      return clawtop.stdout().includes(`"comm":"${program.name}"`);
    },
    15_000,
    100,
  );
  assert.ok(watching, `clawtop never reported ${program.name}; stderr: ${clawtop.stderr()}`);
  return program.name;
}

/**
 * The kernel frees programs shortly (an RCU grace period) after their last descriptor closes.
 * Only this clawtop's programs and links count, read from its own descriptors while it ran:
 * other clawtops may run on this machine at the same time.
 */
async function waitUntilNoneOfOursLoaded(objects: BpfObjects): Promise<void> {
  const left = await leftLoadedAfter(objects, 1000);
  assert.deepEqual(left, [], `still loaded after 1 s: ${left.join(', ')}`);
}

test('--json --duration streams one event per line and stops cleanly', async (t) => {
  if (prerequisiteMissing(t)) return;
  const clawtop = startClawtop(t, ['--json', '--monitors', 'exec', '--duration', '3']);
  const name = await waitUntilWatching(t, clawtop);
  const [exitCode] = await exitOf(clawtop.child);

  assert.equal(exitCode, 0);
  assert.equal(clawtop.stderr(), '');
  const lines = clawtop
    .stdout()
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { kind: string; comm: string; tgid: number; time: string });
  const hooks = lines[0] as unknown as { kind: string; hooks: { monitor: string; attached: boolean }[] };
  assert.equal(hooks.kind, 'hooks');
  assert.deepEqual(
    hooks.hooks.filter((hook) => hook.attached).map((hook) => hook.monitor),
    ['exec'],
  );
  const summary = lines.at(-1) as unknown as { kind: string; events: Record<string, Record<string, number>> };
  assert.equal(summary.kind, 'summary');
  for (const kind of ['exec', 'exit']) {
    const totals = summary.events[kind]!;
    assert.equal(totals.dropped, 0);
    assert.equal(totals.received, totals.emitted, `${kind}: every emitted record received`);
  }
  const events = lines.slice(1, -1);
  assert.equal(events.filter((event) => event.kind === 'exec').length, summary.events.exec!.received);
  assert.ok(events.some((event) => event.kind === 'exec' && event.comm === name));
  assert.ok(events.some((event) => event.kind === 'exit' && event.comm === name));
  assert.ok(events.every((event) => !Number.isNaN(Date.parse(event.time))));
  assert.equal(events.filter((event) => event.tgid === clawtop.child.pid).length, 0, 'clawtop reported itself');
  await waitUntilNoneOfOursLoaded(clawtop.objects);
});

test('after kill -9, no program of ours stays loaded', async (t) => {
  if (prerequisiteMissing(t)) return;
  const clawtop = startClawtop(t, ['--json', '--monitors', 'exec']);
  await waitUntilWatching(t, clawtop);
  assert.notEqual(clawtop.objects.programs.size, 0);

  clawtop.child.kill('SIGKILL');
  await exitOf(clawtop.child);
  await waitUntilNoneOfOursLoaded(clawtop.objects);
});

test('SIGTERM ends the stream with exit 0 and everything detached', async (t) => {
  if (prerequisiteMissing(t)) return;
  const clawtop = startClawtop(t, ['--json', '--monitors', 'exec']);
  await waitUntilWatching(t, clawtop);
  clawtop.child.kill('SIGTERM');
  const [exitCode] = await exitOf(clawtop.child);
  assert.equal(exitCode, 0);
  await waitUntilNoneOfOursLoaded(clawtop.objects);
});

test('without privileges: one line that says what is missing, exit 1', (t) => {
  if (prerequisiteMissing(t)) return;
  const result = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, ...CLAWTOP, '--json'],
    { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
  );
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^clawtop: needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN .*sudo\n$/);
});

test('--probe names the hook serving each monitor and why LSM is not used here', (t) => {
  if (prerequisiteMissing(t)) return;
  const result = spawnSync(process.execPath, [...CLAWTOP, '--probe'], { cwd: PROJECT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const rows = new Map(
    result.stdout
      .split('\n')
      .map((line) => line.split(/\s{2,}/))
      .map(([first, ...rest]) => [first!, rest] as const),
  );
  const lsmMissing = 'failed to load a probe lsm program: Operation not permitted';
  assert.deepEqual(rows.get('exec'), ['tp_btf/sched_process_{exec,exit}', 'preferred']);
  assert.deepEqual(rows.get('files'), [
    'tracepoint/syscalls/sys_exit_openat',
    'fallback',
    `lsm/file_open unavailable: ${lsmMissing}`,
  ]);
  assert.deepEqual(rows.get('net'), [
    'cgroup/connect{4,6} + tp_btf/inet_sock_set_state',
    'fallback',
    `lsm/socket_connect + tp_btf/inet_sock_set_state unavailable: ${lsmMissing}`,
  ]);
  assert.deepEqual(rows.get('cgroup'), ['cgroup_skb/{ingress,egress}', 'preferred']);
  assert.deepEqual(rows.get('lsm'), ['no', lsmMissing]);
  assert.equal(result.stderr, '');
});

test('--json with the default monitors attaches exec, files, net and cgroup, not syscalls', async (t) => {
  if (prerequisiteMissing(t)) return;
  const clawtop = startClawtop(t, ['--json', '--duration', '1']);
  const [exitCode] = await exitOf(clawtop.child);
  assert.equal(exitCode, 0, clawtop.stderr());
  assert.equal(clawtop.stderr(), '');
  const report = JSON.parse(clawtop.stdout().split('\n')[0]!) as {
    kind: string;
    hooks: { monitor: string; attached: boolean; mode: string }[];
  };
  assert.equal(report.kind, 'hooks');
  assert.deepEqual(
    report.hooks.map((hook) => [hook.monitor, hook.attached, hook.mode]),
    [
      ['exec', true, 'preferred'],
      ['files', true, 'fallback'],
      ['net', true, 'fallback'],
      ['cgroup', true, 'preferred'],
      ['syscalls', false, 'preferred'],
    ],
  );
  await waitUntilNoneOfOursLoaded(clawtop.objects);
});
