/**
 * How many file events a second clawtop's whole pipeline takes in without losing one: the
 * files monitor (here the openat tracepoints) -> ring buffer -> reader thread -> the
 * Engine every mode runs (walkBatch, decodeEvent, the model's tables). The workload is an
 * open/close loop on /dev/null (bench/open-rate.c with DISTINCT 0) at a ladder of rates.
 * Every file event of the host counts, the workload's and any other process's alike. The
 * kernel folds a thread's repeated opens of a file into counts (bpf/clawtop.h), so the
 * loop's opens arrive as a few records: kept up means no record lost and every open
 * counted in /dev/null's row.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

import { Engine, monotonicNowNs } from '../src/core/engine.ts';
import { DEFAULT_RING_SIZE_BYTES } from '../src/core/native.ts';
import { REPOSITORY, buildWorkload, count, formatTable } from './report.ts';

const WORKLOAD_SOURCE = `${REPOSITORY}bench/open-rate.c`;
const WORKLOAD_PROGRAM = `${REPOSITORY}build/bench/open-rate`;
/** open-rate's DISTINCT 0: open and close /dev/null. */
const OPEN_CLOSE_DEV_NULL = '0';
const DEV_NULL = '/dev/null';
const FLAT_OUT = 0;
const RATE_LADDER = [100_000, 200_000, 400_000, FLAT_OUT];
const STEP_SECONDS = 3;
const QUICK_STEP_SECONDS = 1;
const DRAIN_TIMEOUT_MS = 2000;
const DRAIN_POLL_MS = 10;

export interface FilesKeepUpStep {
  readonly targetRate: number;
  /** Opens the workload made. */
  readonly opens: number;
  /** File events of the whole host: emitted by the kernel, dropped by a full ring, received by the engine. */
  readonly emitted: number;
  readonly dropped: number;
  readonly received: number;
  /** Opens of /dev/null the engine counted, the workload's and any other process's. */
  readonly counted: number;
  readonly opensPerSecond: number;
  /** This process (reader thread and engine), in percent of one core. */
  readonly cpuPercent: number;
}

/**
 * Nothing dropped, everything emitted received and every open counted. received may exceed
 * emitted by the few events emitted just before the step and received during it.
 */
export function keptUp(step: FilesKeepUpStep): boolean {
  return step.dropped === 0 && step.received >= step.emitted && step.counted >= step.opens;
}

function devNullOpens(engine: Engine): number {
  return engine.model.snapshot(monotonicNowNs() / 1e6).files.find((row) => row.path === DEV_NULL)?.opens ?? 0;
}

function fileTotals(engine: Engine): { emitted: number; dropped: number; received: number } {
  const totals = engine.kindTotals().find((entry) => entry.kind === 'file');
  if (totals === undefined) throw new Error('the contract has no file event kind');
  return totals;
}

async function runStep(engine: Engine, targetRate: number, seconds: number): Promise<FilesKeepUpStep> {
  const workload = spawn(WORKLOAD_PROGRAM, [String(targetRate), String(seconds), OPEN_CLOSE_DEV_NULL], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    workload.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const closed = once(workload, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    await once(workload, 'spawn');
    const before = fileTotals(engine);
    const countedBefore = devNullOpens(engine);
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    workload.stdin.end('s');
    const [exitCode, signal] = await closed;
    if (exitCode !== 0) {
      throw new Error(`failed to run ${WORKLOAD_PROGRAM}: ${signal ? `killed by ${signal}` : `exit code ${exitCode}`}`);
    }
    const opens = Number(output.trim());
    if (!Number.isSafeInteger(opens)) throw new Error(`failed to read the workload's count: got "${output.trim()}"`);

    // The ring drains into the engine while this process waits: the batches arrive on this thread.
    const deadline = performance.now() + DRAIN_TIMEOUT_MS;
    let after = fileTotals(engine);
    let counted = devNullOpens(engine) - countedBefore;
    // The last count waits in a fold slot until the reader's next poll.
    while (
      after.received - before.received < after.emitted - before.emitted - (after.dropped - before.dropped) ||
      counted < opens
    ) {
      if (performance.now() > deadline) break;
      await sleep(DRAIN_POLL_MS);
      after = fileTotals(engine);
      counted = devNullOpens(engine) - countedBefore;
    }
    const cpu = process.cpuUsage(cpuBefore);
    const wallMicroseconds = (performance.now() - wallBefore) * 1000;
    return {
      targetRate,
      opens,
      emitted: after.emitted - before.emitted,
      dropped: after.dropped - before.dropped,
      received: after.received - before.received,
      counted,
      opensPerSecond: Math.round(opens / seconds),
      cpuPercent: ((cpu.user + cpu.system) / wallMicroseconds) * 100,
    };
  } finally {
    if (workload.exitCode === null && workload.signalCode === null) workload.kill('SIGKILL');
  }
}

/** The ladder, each step a fresh workload, one engine (the files monitor only) for all. */
export async function measureFilesKeepUp(options: {
  /** 1 s steps instead of 3 s. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}): Promise<FilesKeepUpStep[]> {
  buildWorkload(WORKLOAD_SOURCE, WORKLOAD_PROGRAM);
  const engine = new Engine({ monitors: ['files'], ringSizeBytes: DEFAULT_RING_SIZE_BYTES });
  const steps: FilesKeepUpStep[] = [];
  try {
    engine.start();
    for (const rate of RATE_LADDER) {
      const step = await runStep(engine, rate, options.quick ? QUICK_STEP_SECONDS : STEP_SECONDS);
      steps.push(step);
      const label = rate === FLAT_OUT ? 'flat out' : `${count(rate)}/s`;
      options.log(`files keep-up ${label}: ${count(step.opensPerSecond)} opens/s, ${count(step.dropped)} dropped`);
    }
  } finally {
    await engine.stop();
    engine.close();
  }
  return steps;
}

export function formatFilesKeepUp(steps: readonly FilesKeepUpStep[]): string {
  return formatTable([
    ['target/s', 'opens', 'emitted', 'received', 'dropped', 'counted', 'opens/s', 'CPU %', 'kept up'],
    ...steps.map((step) => [
      step.targetRate === FLAT_OUT ? 'flat out' : count(step.targetRate),
      count(step.opens),
      count(step.emitted),
      count(step.received),
      count(step.dropped),
      count(step.counted),
      count(step.opensPerSecond),
      step.cpuPercent.toFixed(1),
      keptUp(step) ? 'yes' : 'NO',
    ]),
  ]);
}
