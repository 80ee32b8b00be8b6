/**
 * Drives bench/open-rate.c: openat() at a steady rate on DISTINCT paths that do not exist,
 * one file event per call for clawtop's files monitor. Started early and held at its start
 * byte, it begins when the benchmark says so.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';

import { describeExit, track } from './children.ts';
import { REPOSITORY, buildWorkload } from './report.ts';

const SOURCE = `${REPOSITORY}bench/open-rate.c`;
const PROGRAM = `${REPOSITORY}build/bench/open-rate`;

/** Compiles the workload into build/bench/ when it is missing or older than its source. */
export function buildOpenRate(): void {
  buildWorkload(SOURCE, PROGRAM);
}

export interface OpenRateRun {
  /** Sends the start byte: the calls begin. */
  start(): void;
  /** Ends the calls before the workload's seconds are up; done then resolves as usual. */
  stop(): void;
  /** Resolves with the calls made, once the workload has run its seconds or been stopped. */
  readonly done: Promise<number>;
}

/**
 * Spawns the workload, waiting for its start byte: RATE calls a second (0: flat out) for
 * SECONDS, or until stopped.
 */
export async function prepareOpenRate(rate: number, seconds: number, distinct: number): Promise<OpenRateRun> {
  const workload: ChildProcessByStdio<Writable, Readable, null> = track(
    spawn(PROGRAM, [String(rate), String(seconds), String(distinct)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  let output = '';
  workload.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const closed = once(workload, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(workload, 'spawn');
  const done = closed.then(([code, signal]) => {
    if (code !== 0) throw new Error(`failed to run ${PROGRAM}: ${describeExit(code, signal)}`);
    const calls = Number(output.trim());
    if (!Number.isSafeInteger(calls)) throw new Error(`failed to read the workload's call count: got "${output.trim()}"`);
    return calls;
  });
  // Awaited by the caller; until then, a failure must not be an unhandled rejection.
  done.catch(() => undefined);
  return { start: () => workload.stdin.end('s'), stop: () => workload.kill('SIGTERM'), done };
}
