// `clawtop --replay FILE.json` on a real terminal (tmux), as an unprivileged user: the built
// clawtop reopens a snapshot file read-only, filters it, refuses to pause it, and quits 0.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { kernelPrerequisiteMissing, missingFileReason } from '../kernel/gate.ts';
import { temporaryDirectory, uniqueName, waitFor } from '../kernel/workload.ts';
import { snapshotDocument } from '../ui/fixtures.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;
const COLUMNS = 120;
const ROWS = 32;
const NOBODY = 65534;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    missingFileReason('/usr/bin/tmux', 'apt-get install tmux') ??
      (process.getuid?.() === 0 ? missingFileReason('/usr/bin/setpriv', 'apt-get install util-linux') : undefined),
  );
}

test.before(() => {
  // Of the source under test, not whatever was built last.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: PROJECT, stdio: 'inherit' });
});

test('clawtop --replay SNAPSHOT as nobody: the snapshot\'s rows, read-only, filtered; q exits 0', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const snapshot = join(directory, 'host.json');
  const exitFile = join(directory, 'exit-code');
  // As W writes it: mode 0600, owned by whoever reopens it.
  writeFileSync(snapshot, `${JSON.stringify(snapshotDocument(), null, 2)}\n`, { mode: 0o600 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chownSync(directory, NOBODY, NOBODY);
    chownSync(snapshot, NOBODY, NOBODY);
  }
  const unprivileged = asRoot ? `setpriv --reuid=${NOBODY} --regid=${NOBODY} --clear-groups ` : '';
  const command = `cd ${directory} && ${unprivileged}${process.execPath} ${PROJECT}dist/cli.js --replay ${snapshot}; echo $? > ${exitFile}`;
  const session = `clawtop-e2e-snapshot-${uniqueName()}`;
  tmux('new-session', '-d', '-s', session, '-x', String(COLUMNS), '-y', String(ROWS), command);
  t.after(() => {
    try {
      execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'ignore' });
    } catch {
      // Already gone with its command.
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const keys = (...names: string[]) => tmux('send-keys', '-t', session, ...names);

  assert.ok(await waitFor(() => screen().includes('Processes'), 20_000, 100), `no screen:\n${screen()}`);
  const first = screen();
  assert.match(first, /^clawtop · snapshot of testhost · 6\.1\.0-18-amd64 · up 3d 4h · drops 12$/m);
  assert.match(first, /^ READ-ONLY {2}taken 2026-11-25 01:46:00 UTC after watching 30s/m);
  for (const row of ['curl -sS https://example.com/status', 'nginx: worker process', 'sleep 600', '/sbin/init']) {
    assert.ok(first.includes(row), `no ${row}:\n${first}`);
  }

  keys('/');
  keys('-l', 'comm==nginx');
  keys('Enter');
  assert.ok(
    await waitFor(() => screen().includes('1 of 6 rows') && !screen().includes('curl -sS'), 5000, 100),
    `the filter did not keep only nginx:\n${screen()}`,
  );
  assert.ok(screen().includes('nginx: worker process'));

  keys('p');
  assert.ok(
    await waitFor(() => screen().includes('a snapshot is read-only: nothing changes, so there is nothing to pause'), 5000, 100),
    `p did not say the snapshot is read-only:\n${screen()}`,
  );

  keys('q');
  // No screen() in the message: it is built at once, and the session ends with clawtop.
  assert.ok(await waitFor(() => existsSync(exitFile), 10_000, 100), 'clawtop did not quit');
  assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
});
