/**
 * The gate of kernel tests: a test whose prerequisite (root, bpftool, the BPF object) is
 * missing skips with the reason, except under CLAWTOP_REQUIRE_BPF=1 (CI), where it fails,
 * so a CI run can never pass by skipping everything.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

/**
 * True when the test must stop here (it was skipped); false when nothing is missing.
 * Fails the test instead of skipping it when CLAWTOP_REQUIRE_BPF=1.
 */
export function kernelPrerequisiteMissing(t: TestContext, reason: string | undefined): boolean {
  if (reason === undefined) return false;
  if (process.env.CLAWTOP_REQUIRE_BPF === '1') {
    assert.fail(`${reason} (CLAWTOP_REQUIRE_BPF=1: kernel tests must run, not skip)`);
  }
  t.skip(reason);
  return true;
}

export function notRootReason(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root: run the kernel tests with sudo';
}

export function missingFileReason(path: string, hint: string): string | undefined {
  return existsSync(path) ? undefined : `${path} not found: ${hint}`;
}
