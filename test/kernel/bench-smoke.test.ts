// The keep-up benchmarks (npm run bench) as their quick pass runs them, in one-second
// steps: their harness still runs against the real programs, and what it counts adds up. No
// speed is asserted here (that is the benchmarks' job, recorded in docs/BENCHMARKS.md): only
// that every record the kernel emitted was either taken in or counted as dropped, and every
// open counted.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';

import { measureFilesKeepUp } from '../../bench/files-keep-up.ts';
import { measureProbeKeepUp } from '../../bench/pipeline.ts';
import { DEFAULT_RING_SIZE_BYTES } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { addonMissingReason } from './session.ts';

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ?? addonMissingReason() ?? missingFileReason('/usr/bin/cc', 'run scripts/setup.sh'),
  );
}

test('the probe keep-up benchmark accounts for every record its workload caused', async (t) => {
  if (prerequisiteMissing(t)) return;
  const result = await measureProbeKeepUp({ quick: true, ringSizeBytes: DEFAULT_RING_SIZE_BYTES, log: () => {} });

  assert.ok(result.steps.length > 1, 'a ladder of rates');
  for (const step of result.steps) {
    assert.ok(step.calls > 0, `the workload ran at ${step.targetRate}/s`);
    assert.equal(step.emitted, step.calls, 'the probe emits one record per call of the workload');
    assert.equal(step.ingested + step.dropped, step.emitted, 'each record was taken in or counted as dropped');
    assert.equal(step.unexpected, 0, 'no record of another process');
  }
  assert.match(result.table, /flat out/);
});

test('the files keep-up benchmark counts every open of its loop', async (t) => {
  if (prerequisiteMissing(t)) return;
  const steps = await measureFilesKeepUp({ quick: true, log: () => {} });

  assert.ok(steps.length > 1, 'a ladder of rates');
  for (const step of steps) {
    assert.ok(step.opens > 0, `the workload ran at ${step.targetRate}/s`);
    assert.ok(step.received >= step.emitted - step.dropped, 'every record not dropped was received');
    // Folded opens reach the engine as counts: with nothing dropped, none may be missing.
    if (step.dropped === 0) assert.ok(step.counted >= step.opens, `${step.counted} of ${step.opens} opens counted`);
  }
});
