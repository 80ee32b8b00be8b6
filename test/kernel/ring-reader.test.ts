// The ring reader on a quiet host (native/ring_drainer.cc): it polls the ring less often the
// longer it stays empty, yet a lone event still arrives within its longest poll interval,
// and stopping hands over at once what the ring holds. Each test filters the kernel to one
// process of its own, so nothing else on the host reaches the ring.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { createDecodeStats, decodeEvent, walkBatch, type ExecEvent } from '../../src/core/decode.ts';
import { LiveSource, monotonicNowNs } from '../../src/core/event-source.ts';
import { DEFAULT_RING_SIZE_BYTES } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason, watchEvents } from './session.ts';
import { exitOf, temporaryDirectory, uniqueProgram, waitFor } from './workload.ts';

/** kLongestPollTimeoutMs in native/ring_drainer.cc. */
const LONGEST_POLL_MS = 250;
/** For the scheduler of a busy 2-vCPU machine, and the test's own polling. */
const SLACK_MS = 150;
/** Long enough for the reader to back off to its longest interval (50 + 100 + 200 + 250 ms) and stay there. */
const QUIET_MS = 2000;
/** native/ring_drainer.cc names its thread. */
const READER_THREAD_NAME = 'ring-reader';

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason());
}

/** A shell that waits for a line on stdin, then becomes a uniquely named program: its pid is known before. */
function waitingProgram(t: TestContext): { shell: ChildProcess; name: string; go: () => Promise<void> } {
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const shell = spawn('/bin/sh', ['-c', `read go; exec ${program.path}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => shell.kill('SIGKILL'));
  return {
    shell,
    name: program.name,
    go: async () => {
      const exited = exitOf(shell);
      shell.stdin!.end('go\n');
      const [exitCode] = await exited;
      assert.equal(exitCode, 0, 'the program ran');
    },
  };
}

/** Voluntary context switches of this process's ring reader thread so far. */
function readerWakeUps(): number {
  for (const tid of readdirSync('/proc/self/task')) {
    let status: string;
    try {
      status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    if (/^Name:\s*(.*)$/m.exec(status)?.[1] !== READER_THREAD_NAME) continue;
    return Number(/^voluntary_ctxt_switches:\s*(\d+)$/m.exec(status)?.[1]);
  }
  assert.fail(`no ${READER_THREAD_NAME} thread in this process`);
}

test('after a long quiet spell, a lone event arrives within the reader’s longest poll interval', async (t) => {
  if (prerequisiteMissing(t)) return;
  const program = waitingProgram(t);
  const { seen } = watchEvents(
    t,
    ['exec'],
    (event): event is ExecEvent => event.kind === 'exec' && event.comm === program.name,
    { kernelFilters: [{ name: 'filterTgid', value: program.shell.pid! }] },
  );

  const wakeUpsBefore = readerWakeUps();
  await sleep(QUIET_MS);
  const wakeUps = readerWakeUps() - wakeUpsBefore;
  // At a fixed 50 ms it would be 40; backing off, 10 or so.
  assert.ok(wakeUps < QUIET_MS / 100, `the idle reader woke ${wakeUps} times in ${QUIET_MS} ms`);

  await program.go();
  assert.ok(await waitFor(() => seen.length > 0, 5000, 5), 'the exec arrived');
  const latencyMs = (monotonicNowNs() - seen[0]!.timestampNs) / 1e6;
  assert.ok(latencyMs < LONGEST_POLL_MS + SLACK_MS, `the exec arrived ${latencyMs.toFixed(0)} ms after it happened`);
});

test('stopping a quiet source hands over at once what the ring holds', async (t) => {
  if (prerequisiteMissing(t)) return;
  const program = waitingProgram(t);
  const source = new LiveSource({
    monitors: ['exec'],
    ringSizeBytes: DEFAULT_RING_SIZE_BYTES,
    kernelFilters: [{ name: 'filterTgid', value: program.shell.pid! }],
  });
  t.after(() => source.close());
  const execs: ExecEvent[] = [];
  const stats = createDecodeStats();
  source.start({
    onBatch: (batch) =>
      walkBatch(
        batch,
        (_kind, view, offset) => {
          const event = decodeEvent(view, offset);
          if (event.kind === 'exec') execs.push(event);
        },
        stats,
      ),
    onTick: () => undefined,
  });

  await sleep(QUIET_MS);
  // The exec is in the ring once the program has exited; the reader, backed off, may not
  // look for up to its longest interval.
  await program.go();
  await source.stop();
  assert.deepEqual(
    execs.map((event) => event.comm),
    [program.name],
    'the exec was handed over before stop() returned',
  );
  const closing = performance.now();
  source.close();
  const closeMs = performance.now() - closing;
  assert.ok(closeMs < LONGEST_POLL_MS / 2, `close() waited ${closeMs.toFixed(0)} ms for the reader`);
});
