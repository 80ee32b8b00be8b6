// Workloads the kernel tests cause themselves, named so nothing else on the host matches.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

/** A name that fits a 15-character comm whole and that no other process has. */
export function uniqueName(prefix = 'ct'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A temporary directory removed when the test ends. */
export function temporaryDirectory(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-test-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** A copy of an executable under a unique name, so its execs carry that comm. */
export function uniqueProgram(directory: string, source: string): { path: string; name: string } {
  const name = uniqueName();
  const path = join(directory, name);
  copyFileSync(source, path);
  chmodSync(path, 0o755);
  return { path, name };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}
