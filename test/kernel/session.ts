// A kernel session for a test: open the monitors, check they attached, collect the
// events the test is about, and close everything when the test ends.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { TestContext } from 'node:test';

import { createDecodeStats, decodeEvent, walkBatch, type ClawtopEvent } from '../../src/core/decode.ts';
import { KernelSession, type KernelSessionOptions, type MonitorName } from '../../src/core/native.ts';
import { missingFileReason } from './gate.ts';

const ADDON = new URL('../../build/Release/clawtop.node', import.meta.url).pathname;

export function addonMissingReason(): string | undefined {
  return missingFileReason(ADDON, 'run scripts/setup.sh');
}

/**
 * Opens a session on `monitors` and keeps every decoded event `keep` accepts, in order.
 * The test fails if a monitor did not attach, or if the kernel sent a malformed record.
 */
export function watchEvents<Kept extends ClawtopEvent>(
  t: TestContext,
  monitors: readonly MonitorName[],
  keep: (event: ClawtopEvent) => event is Kept,
  options: Omit<KernelSessionOptions, 'monitors'> = {},
): { session: KernelSession; seen: Kept[] } {
  const session = new KernelSession({ ...options, monitors });
  t.after(() => session.close());
  for (const monitor of monitors) {
    const hook = session.report.hooks.find((candidate) => candidate.monitor === monitor);
    assert.equal(hook?.attached, true, `${monitor} monitor not attached: ${hook?.reason}`);
  }
  const seen: Kept[] = [];
  const stats = createDecodeStats();
  session.start((batch) =>
    walkBatch(
      batch,
      (_kind, view, offset) => {
        const event = decodeEvent(view, offset);
        if (keep(event)) seen.push(event);
      },
      stats,
    ),
  );
  t.after(() => assert.equal(stats.malformedRecords, 0, 'the kernel sent malformed records'));
  return { session, seen };
}

/**
 * This process's loaded BPF programs whose names start with `prefix`, by name, from its
 * fdinfo (program fds carry prog_id and no link_id): other sessions on the host load their own.
 */
export function ownPrograms(prefix: string): { id: number; name: string }[] {
  const own = new Set<number>();
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed since the listing
    }
    const program = /^prog_id:\s+(\d+)$/m.exec(info);
    if (program && !/^link_id:/m.test(info)) own.add(Number(program[1]));
  }
  const programs = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as {
    id: number;
    name: string;
  }[];
  return programs
    .filter((program) => own.has(program.id) && program.name.startsWith(prefix))
    .map(({ id, name }) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function ownProgramNames(prefix: string): string[] {
  return ownPrograms(prefix).map((program) => program.name);
}
