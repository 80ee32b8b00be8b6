#!/usr/bin/env node
// Parses flags, checks what the kernel side needs, picks the mode, and owns cleanup.
import meow from 'meow';

import { BENCH_RECORD_KIND } from './core/contract.ts';
import { createDecodeStats, decodeEvent, walkBatch } from './core/decode.ts';
import {
  DEFAULT_RING_SIZE_BYTES,
  KernelSession,
  MONITOR_NAMES,
  parseByteSize,
  ringSizeProblem,
} from './core/native.ts';
import { createNdjsonFormatter } from './core/ndjson.ts';
import { btfProblem, privilegeProblem } from './core/preflight.ts';

const EXIT_RUNTIME_FAILURE = 1;
const EXIT_USAGE = 2;
/** After the programs are detached, how long the ring reader gets to hand over what is queued. */
const FINAL_DRAIN_MS = 50;

const HELP = `
  USAGE
    clawtop --json [--duration SECONDS] [--ring-size SIZE] [--verbose]

  Watches this host through eBPF and streams what it sees: programs executed and
  processes exiting, one JSON object per line. Needs root, or CAP_BPF, CAP_PERFMON
  and CAP_NET_ADMIN.

  FLAGS
    --json              stream events as NDJSON on stdout
    --duration SECONDS  stop after this many seconds (default: run until Ctrl-C)
    --ring-size SIZE    kernel ring buffer size, a power of two from 4K to 1G
                        (default: 8M)
    --verbose           print libbpf's messages on stderr
    --help              show this help
    --version           show the version

  EXAMPLES
    sudo clawtop --json --duration 5
    sudo clawtop --json | grep '"kind":"exec"'
`;

class UsageError extends Error {}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`clawtop: ${message}\n`);
  process.exit(exitCode);
}

const FLAGS = {
  json: { type: 'boolean', default: false },
  duration: { type: 'number' },
  ringSize: { type: 'string', default: String(DEFAULT_RING_SIZE_BYTES) },
  verbose: { type: 'boolean', default: false },
} as const;

function parseFlags() {
  // Unknown flags are reported here, not by meow, to keep the error on one line.
  const cli = meow(HELP, { importMeta: import.meta, allowUnknownFlags: true, flags: FLAGS });
  const unknown = Object.keys(cli.unnormalizedFlags).find((name) => !(name in FLAGS));
  if (unknown !== undefined) {
    throw new UsageError(`unknown flag ${unknown.length === 1 ? '-' : '--'}${unknown} (see --help)`);
  }
  if (cli.input.length > 0) throw new UsageError(`unexpected argument "${cli.input[0]}" (see --help)`);
  const { duration } = cli.flags;
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) {
    throw new UsageError(`--duration must be a number of seconds above 0, got ${duration}`);
  }
  const ringSizeBytes = parseByteSize(cli.flags.ringSize);
  if (ringSizeBytes === undefined) {
    throw new UsageError(`--ring-size must be a size such as 8M or 4096, got "${cli.flags.ringSize}"`);
  }
  const ringProblem = ringSizeProblem(ringSizeBytes);
  if (ringProblem) throw new UsageError(`--ring-size: ${ringProblem}`);
  if (!cli.flags.json) {
    throw new UsageError('the interactive view is not built yet: use --json (see --help)');
  }
  return { durationSeconds: duration, ringSizeBytes, verbose: cli.flags.verbose };
}

function streamJson(options: ReturnType<typeof parseFlags>): void {
  const problem = privilegeProblem() ?? btfProblem();
  if (problem) fail(problem, EXIT_RUNTIME_FAILURE);

  const log = options.verbose ? (line: string) => process.stderr.write(`libbpf: ${line}\n`) : undefined;
  const session = new KernelSession({ ringSizeBytes: options.ringSizeBytes, monitors: MONITOR_NAMES, log });
  const unattached = session.report.hooks.filter((hook) => hook.monitor !== 'bench' && !hook.attached);
  for (const hook of unattached) process.stderr.write(`clawtop: ${hook.monitor} is off: ${hook.reason}\n`);
  if (unattached.length === MONITOR_NAMES.length) fail('no monitor could be attached', EXIT_RUNTIME_FAILURE);

  const formatEvent = createNdjsonFormatter();
  const stats = createDecodeStats();
  session.start((batch) => {
    let lines = '';
    walkBatch(
      batch,
      (kind, view, offset) => {
        if (kind !== BENCH_RECORD_KIND) lines += formatEvent(decodeEvent(view, offset));
      },
      stats,
    );
    if (lines) process.stdout.write(lines);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const monitor of MONITOR_NAMES) session.setMonitor(monitor, false);
    setTimeout(() => {
      session.close();
      process.exit(0);
    }, FINAL_DRAIN_MS);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  // A reader that went away (clawtop --json | head) is a normal end, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') fail(`failed to write output: ${error.message}`, EXIT_RUNTIME_FAILURE);
    session.close();
    process.exit(0);
  });
  if (options.durationSeconds !== undefined) setTimeout(stop, options.durationSeconds * 1000);
}

try {
  streamJson(parseFlags());
} catch (error) {
  if (error instanceof UsageError) fail(error.message, EXIT_USAGE);
  fail(error instanceof Error ? error.message : String(error), EXIT_RUNTIME_FAILURE);
}
