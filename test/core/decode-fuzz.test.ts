// Fuzzing the decoder (issue 7): 100,000 random, cut, bit-flipped and lying batches through
// walkBatch + decodeEvent. The property is checkFuzzCase's (fuzz-batches.ts); bench/fuzz.ts
// runs the same one 10,000,000 times.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { createDecodeStats, walkBatch } from '../../src/core/decode.ts';
import { checkFuzzCase, fuzzCase } from './fuzz-batches.ts';
import { buildRecord } from './records.ts';

const CASES = 100_000;

test(`decoder fuzz: ${CASES.toLocaleString('en-US')} batches, nothing escapes, nothing read out of bounds, every byte accounted for`, () => {
  let malformed = 0;
  let changed = 0;
  fc.assert(
    fc.property(fuzzCase, (generated) => {
      malformed += checkFuzzCase(generated).malformedRecords;
      if (generated.intactRecords === undefined) changed++;
    }),
    { numRuns: CASES },
  );
  // The cases are not all easy: most batches are changed, and many end in a malformed record.
  assert.ok(changed > CASES / 2, `only ${changed} changed batches`);
  assert.ok(malformed > CASES / 4, `only ${malformed} malformed records met`);
});

test('the property catches a decoder that reads past its batch', () => {
  // A visitor reading one byte past its record: caught as a RangeError, not passed over.
  const batch = buildRecord('event_header');
  assert.throws(
    () => walkBatch(batch, (_kind, view, offset) => view.getUint8(offset + batch.length), createDecodeStats()),
    RangeError,
  );
});
