/**
 * The decoder's fuzz run at scale: the property of test/core/decode-fuzz.test.ts (random,
 * cut, bit-flipped batches and batches whose size fields lie, through walkBatch and
 * decodeEvent; test/core/fuzz-batches.ts) checked on 10,000,000 cases instead of CI's
 * 100,000. Prints one table and appends it to docs/BENCHMARKS.md with the machine, the
 * commit and the seed, so a failing run can be replayed. Needs no root and no kernel.
 */
import { parseArgs } from 'node:util';

import fc from 'fast-check';

import { checkFuzzCase, fuzzCase } from '../test/core/fuzz-batches.ts';
import {
  RESULTS_FILE,
  count,
  describeCommit,
  errorMessage,
  fail,
  formatTable,
  recordResults,
  runHeading,
} from './report.ts';

const HELP = `
  USAGE
    npm run bench:fuzz [-- [--cases N] [--seed N]]

  Checks the decoder's fuzz property (test/core/fuzz-batches.ts) on N
  generated batches, prints cases, seconds, cases/s and the malformed records
  counted, and appends them to docs/BENCHMARKS.md. A failure prints the
  counterexample and the seed, and exits 1. Single-threaded; no root needed.

  FLAGS
    --cases N   batches to check (default 10000000)
    --seed N    fast-check seed (default: from the clock; printed)
    --help      show this help

  EXAMPLES
    npm run bench:fuzz
    npm run bench:fuzz -- --cases 1000000 --seed 42
`;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const DEFAULT_CASES = 10_000_000;
const PROGRESS_EVERY = 1_000_000;

const SECTION_HEADING = '## decoder fuzz (`npm run bench:fuzz`, bench/fuzz.ts)';
const SECTION_INTRO = `Whether any batch the ring could hand over takes the decoder down. fast-check generates
batches from valid records of every kind (fields as programs send them, or random bytes
behind a valid header), then gives them size, kind and version fields that lie, flips bits,
overwrites and inserts bytes and cuts them at either end; one case in seven is random bytes.
Each goes through \`walkBatch\` + \`decodeEvent\` as the engine runs them, from a buffer of
exactly its size (so any out-of-bounds read throws a RangeError) and again at an odd offset
of a larger buffer. A case passes when nothing throws, every byte is either in a visited
record or counted as malformed, a batch that ends early counts one malformed record, an
unchanged batch decodes whole, and both placements decode the same. CI runs the same property
on 100,000 cases (test/core/decode-fuzz.test.ts).

- **cases**: batches checked (all passed, or the run stops at the first failure).
- **malformed counted**: batches that ended in a malformed record, as \`DecodeStats\` counts them.
- **records decoded**: valid records visited and decoded.
- The time includes generating the cases, which costs more than decoding them.
`;

function parseOptions(args: string[]): { cases: number; seed: number } {
  const { values } = parseArgs({
    args,
    options: { cases: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const cases = values.cases === undefined ? DEFAULT_CASES : Number(values.cases);
  if (!Number.isSafeInteger(cases) || cases < 1) fail(`--cases must be a whole number above 0, got ${values.cases}`, EXIT_USAGE);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) fail(`--seed must be a whole number, got ${values.seed}`, EXIT_USAGE);
  return { cases, seed };
}

function main(): void {
  const args = process.argv.slice(2);
  let options: { cases: number; seed: number };
  try {
    options = parseOptions(args);
  } catch (error) {
    fail(`${errorMessage(error)} (see --help)`, EXIT_USAGE);
  }
  const commit = describeCommit();
  let checked = 0;
  let malformed = 0;
  let records = 0;
  const started = process.hrtime.bigint();
  process.stderr.write(`bench: fuzzing the decoder with ${count(options.cases)} cases, seed ${options.seed}\n`);
  const result = fc.check(
    fc.property(fuzzCase, (generated) => {
      const stats = checkFuzzCase(generated);
      checked++;
      malformed += stats.malformedRecords;
      records += stats.records;
      if (checked % PROGRESS_EVERY === 0) process.stderr.write(`bench: ${count(checked)} cases\n`);
    }),
    { numRuns: options.cases, seed: options.seed, endOnFailure: true },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.failed) {
    fail(
      `the decoder failed a fuzz case after ${count(checked)} cases (seed ${options.seed}, path ${result.counterexamplePath}): ` +
        `${errorMessage(result.errorInstance)}; counterexample: ${fc.stringify(result.counterexample)}`,
      EXIT_FAILURE,
    );
  }

  const table = formatTable([
    ['cases', 'seconds', 'cases/s', 'malformed counted', 'records decoded', 'passed'],
    [count(checked), seconds.toFixed(1), count(Math.round(checked / seconds)), count(malformed), count(records), 'yes'],
  ]);
  process.stdout.write(`${table}\n`);
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading('decoder fuzz', commit, args),
      `- seed: ${options.seed}`,
      '',
      table,
      '',
    ].join('\n'),
  );
  process.stderr.write(`bench: appended to ${RESULTS_FILE}\n`);
}

main();
