/**
 * `npm run bench`: every measurement of issue 6 in one run, as one table of results against
 * their targets, appended with the machine, kernel, commit and command to docs/BENCHMARKS.md,
 * followed by each part's own table. `--quick` is a pass of about two minutes.
 */

import { DEFAULT_RING_SIZE_BYTES } from '../src/core/native.ts';
import { ensureTracefs, privilegeProblem } from '../src/core/preflight.ts';
import { killChildren } from './children.ts';
import { formatFilesKeepUp, keptUp as filesKeptUp, measureFilesKeepUp } from './files-keep-up.ts';
import { formatLatencyTable, latencyTargetMet, measureScreenLatency } from './latency.ts';
import { measureMemory } from './memory.ts';
import { buildOpenRate } from './open-rate.ts';
import { TARGET_EVENTS_PER_SECOND, measureProbeKeepUp } from './pipeline.ts';
import {
  RESULTS_FILE,
  buildClawtop,
  count,
  describeCommit,
  errorMessage,
  fail,
  formatTable,
  recordResults,
  cleanUpOnExit,
  parseQuickOption,
  runHeading,
} from './report.ts';
import {
  MODE_LABELS,
  cpuTargetOf,
  formatSelfCostTable,
  measureSelfCost,
  missedTargets,
  selfCostNotes,
  selfCostProblems,
} from './self-cost.ts';
import { formatTaxNotes, formatTaxTable, killTaxProcesses, measureTax } from './tax.ts';

const HELP = `
  USAGE
    npm run bench [-- --quick]

  Runs every benchmark of clawtop and prints one table of results against
  their targets, then each part's own table, and appends them to
  docs/BENCHMARKS.md:
    keep-up      highest event rate taken in with 0 drops (benchmark probe,
                 and the files monitor under an open/close loop)
    tax          ops/s of four workloads with clawtop or a peer attached,
                 divided by ops/s bare (peers: libbpf-tools, bpftrace)
    self cost    clawtop's CPU and RSS, headless and on the screen, idle and
                 at 1k, 10k and 100k events/s
    latency      keystroke to changed frame on the screen during a storm
    memory       RSS after 1M and 10M distinct paths
  Needs root, clang for the C workloads, and the peers: apt-get install
  libbpf-tools bpftrace.

  FLAGS
    --quick   a pass of about two minutes: shorter steps and windows, fewer
              samples, no reference rows, 1M distinct paths only
    --help    show this help

  EXAMPLES
    sudo npm run bench
    sudo npm run bench -- --quick
`;

const EXIT_FAILURE = 1;

const SECTION_HEADING = '## all of issue 6 (`npm run bench`, bench/index.ts)';
const SECTION_INTRO = `One run of every measurement, each row against its target. The parts' own tables
follow the summary; bench/pipeline.ts, bench/files-keep-up.ts, bench/tax.ts,
bench/self-cost.ts, bench/latency.ts and bench/memory.ts say how each is measured.
`;

const MIB = 1024 ** 2;
/** Printed under a quick pass's summary: its verdicts near a target are not to be trusted. */
const QUICK_CAVEAT =
  'A quick pass: one 1 s run per tax row (back-to-back 1 s runs differ by up to 5% here), so a ' +
  'tax row within a few percent of its target can read either way; and 2 s self-cost windows ' +
  "1 s after each change of rate, which catch V8 still optimizing clawtop's code for the new " +
  'rate and its one-time heap reduction about 8 s after start, so the self-cost rows under load ' +
  'read high (10,000 events/s: 3-6% where the full run reads 2-3%). The full run ' +
  '(`npm run bench`) judges the targets.';
const MEMORY_TARGET_BYTES = 200 * MIB;

interface SummaryRow {
  readonly measure: string;
  readonly result: string;
  readonly target: string;
  readonly met: boolean;
  /** Why a target is not met when it is not clawtop's doing, or what qualifies the result. */
  readonly note?: string;
}

interface Part {
  readonly title: string;
  readonly table: string;
  readonly notes: readonly string[];
}

function formatSummary(rows: readonly SummaryRow[]): string {
  return formatTable([
    ['measure', 'result', 'target', 'met'],
    ...rows.map((row) => [row.measure, row.result, row.target, `${row.met ? 'met' : 'NOT met'}${row.note ? ` (${row.note})` : ''}`]),
  ]);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = parseQuickOption(args, HELP);
  const problem = privilegeProblem() ?? ensureTracefs();
  if (problem) fail(problem, EXIT_FAILURE);
  buildClawtop();
  buildOpenRate();
  const commit = describeCommit();
  cleanUpOnExit(() => {
    killChildren();
    killTaxProcesses();
  });
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const startedMs = performance.now();
  const summary: SummaryRow[] = [];
  const parts: Part[] = [];
  const untrustworthy: string[] = [];

  const probe = await measureProbeKeepUp({ quick, ringSizeBytes: DEFAULT_RING_SIZE_BYTES, log });
  untrustworthy.push(...probe.problems);
  summary.push({
    measure: 'keep-up, benchmark probe',
    result: probe.best ? `${count(probe.best.eventsPerSecond)} events/s, 0 dropped` : 'no step kept up',
    target: `>= ${count(TARGET_EVENTS_PER_SECOND)} events/s`,
    met: (probe.best?.eventsPerSecond ?? 0) >= TARGET_EVENTS_PER_SECOND,
  });
  parts.push({ title: 'keep-up, benchmark probe (getppid loop)', table: probe.table, notes: [] });

  const files = await measureFilesKeepUp({ quick, log });
  const filesBest = files.filter(filesKeptUp).reduce((top, step) => Math.max(top, step.opensPerSecond), 0);
  const filesPeak = files.reduce((top, step) => Math.max(top, step.opensPerSecond), 0);
  const filesAllKept = files.every(filesKeptUp);
  summary.push({
    measure: 'keep-up, files monitor (open/close loop)',
    result: `${count(filesBest)} events/s, 0 dropped`,
    target: `>= ${count(TARGET_EVENTS_PER_SECOND)} events/s`,
    met: filesBest >= TARGET_EVENTS_PER_SECOND,
    note:
      filesAllKept && filesPeak < TARGET_EVENTS_PER_SECOND
        ? `the loop makes at most ${count(filesPeak)} opens/s here with the tracepoints attached; every one was kept`
        : undefined,
  });
  parts.push({ title: 'keep-up, files monitor (open/close loop on /dev/null)', table: formatFilesKeepUp(files), notes: [] });

  log('tax: workloads bare and watched');
  const tax = await measureTax({ quick });
  for (const row of tax) {
    if (row.target === undefined) continue;
    summary.push({
      measure: `tax, ${row.workload}, ${row.tool}`,
      result: row.ratio === undefined ? 'not measured' : row.ratio.toFixed(3),
      target: row.target,
      met: row.targetMet === true,
    });
  }
  parts.push({ title: 'tax (ops/s watched / bare)', table: formatTaxTable(tax), notes: formatTaxNotes(tax) });

  log('self cost: headless and on the screen');
  const selfCost = await measureSelfCost({ quick });
  untrustworthy.push(...selfCostProblems(selfCost));
  for (const row of selfCost) {
    const target = cpuTargetOf(row);
    const missed = missedTargets(row);
    summary.push({
      measure: `self cost, ${MODE_LABELS[row.mode]}, ${row.load === 0 ? 'idle' : `${count(row.load)} events/s`}`,
      result: `${row.cpuPercent.toFixed(1)}% CPU, ${(row.memory.peakRssBytes / MIB).toFixed(0)} MB`,
      target: `${target === undefined ? '' : `< ${target}% CPU, `}< 150 MB`,
      met: missed.length === 0,
    });
  }
  parts.push({ title: 'self cost', table: formatSelfCostTable(selfCost), notes: selfCostNotes(selfCost) });

  log('latency: keystroke to frame during a storm');
  const latency = await measureScreenLatency({ quick });
  summary.push({
    measure: 'keystroke to changed frame, p99',
    result: `${latency.p99Ms.toFixed(0)} ms (p50 ${latency.p50Ms.toFixed(0)} ms) at ${count(Math.round(latency.stormOpensPerSecond))} opens/s`,
    target: '< 100 ms at 500,000 events/s',
    met: latencyTargetMet(latency),
  });
  parts.push({ title: 'screen latency', table: formatLatencyTable(latency), notes: [] });

  for (const paths of quick ? [1_000_000] : [1_000_000, 10_000_000]) {
    log(`memory: ${count(paths)} distinct paths`);
    const memory = await measureMemory({ paths, ringSizeText: undefined, ringSizeBytes: DEFAULT_RING_SIZE_BYTES });
    untrustworthy.push(...memory.problems);
    summary.push({
      measure: `RSS after ${count(paths)} distinct paths`,
      result: `${(memory.peakRssBytes / MIB).toFixed(0)} MB peak`,
      target: `< ${MEMORY_TARGET_BYTES / MIB} MB`,
      met: memory.targetMet,
    });
    parts.push({ title: `memory, ${count(paths)} distinct paths`, table: memory.table, notes: memory.notes });
  }

  const summaryTable = formatSummary(summary);
  const summaryNotes = quick ? ['', QUICK_CAVEAT] : [];
  const minutes = ((performance.now() - startedMs) / 60_000).toFixed(1);
  process.stdout.write([summaryTable, ...summaryNotes, ''].join('\n'));
  for (const part of parts) process.stdout.write(`\n${part.title}\n\n${part.table}\n${part.notes.map((note) => `${note}\n`).join('')}`);
  if (untrustworthy.length > 0) {
    fail(`not recorded in docs/BENCHMARKS.md, the run is not trustworthy:\n  ${untrustworthy.join('\n  ')}`, EXIT_FAILURE);
  }
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading(quick ? 'quick run' : 'full run', commit, args, ` (${minutes} min)`),
      '',
      summaryTable,
      ...summaryNotes,
      '',
      ...parts.flatMap((part) => [`#### ${part.title}`, '', part.table, '', ...part.notes.map((note) => `${note}\n`)]),
    ].join('\n'),
  );
  log(`appended to ${RESULTS_FILE}`);
}

main().catch((error: unknown) => {
  fail(errorMessage(error), EXIT_FAILURE);
});
