// `clawtop` on a real terminal (tmux), driven by keys as a person would: the program it
// must show is run by the test, and what it writes and leaves behind is checked.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { readSnapshotFile } from '../../src/core/snapshot-file.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from '../kernel/gate.ts';
import { leftLoadedAfter, trackBpfObjects } from '../kernel/process.ts';
import { addonMissingReason } from '../kernel/session.ts';
import { temporaryDirectory, uniqueName, uniqueProgram, waitFor } from '../kernel/workload.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;
const COLUMNS = 160;
const ROWS = 40;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ?? addonMissingReason() ?? missingFileReason('/usr/bin/tmux', 'apt-get install tmux'),
  );
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** The clawtop the tmux pane's shell runs: the shell's child. */
function clawtopPidIn(session: string): number | undefined {
  const shell = tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim();
  const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
  return children === '' ? undefined : Number(children.split(' ')[0]);
}

test.before(() => {
  // Of the source under test, not whatever was built last.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: PROJECT, stdio: 'inherit' });
});

test('clawtop in a terminal: a filter shows a new program, W writes a snapshot, q quits cleanly', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const session = `clawtop-e2e-${uniqueName()}`;
  const exitFile = join(directory, 'exit-code');
  // The built clawtop, as the README runs it; CI=true (Ink draws only the last frame there)
  // is undone by clawtop itself on a terminal, so the environment is left as it is.
  const command = `cd ${directory} && node ${PROJECT}dist/cli.js; echo $? > ${exitFile}`;
  tmux('new-session', '-d', '-s', session, '-x', String(COLUMNS), '-y', String(ROWS), command);
  t.after(() => {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      // Already gone with its command.
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-t', session);
  const keys = (...names: string[]) => tmux('send-keys', '-t', session, ...names);

  assert.ok(await waitFor(() => screen().includes('Processes'), 20_000, 100), `no header:\n${screen()}`);
  // Its own programs and links, from its descriptors: other clawtops may run on this machine.
  const pid = clawtopPidIn(session);
  assert.ok(pid, 'no clawtop process under the tmux pane');
  const tracked = trackBpfObjects(pid);
  t.after(() => tracked.stop());

  // A program that stays running while the test looks for it. The filter comes first: PIDs
  // wrap (pid_max is 32768 here), so a new process need not sort to the top of the table.
  const program = uniqueProgram(directory, '/bin/sleep');
  keys('/');
  keys('-l', `comm==${program.name}`);
  keys('Enter');
  const sleeper = spawn(program.path, ['60'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  // Its row, not the filter bar, which names it too.
  const row = new RegExp(`^\\s*${sleeper.pid}\\s.*${program.name}`, 'm');
  assert.ok(
    await waitFor(() => !screen().includes('bash') && row.test(screen()), 10_000, 100),
    `the filtered Processes pane does not show only the new program:\n${screen()}`,
  );

  keys('W');
  const snapshotFile = () => readdirSync(directory).find((name) => /^clawtop-.*\.json$/.test(name));
  const shown = () => {
    const name = snapshotFile();
    return name !== undefined && screen().includes(join(directory, name));
  };
  assert.ok(await waitFor(shown, 5000, 50), `no snapshot written, or its path not shown:\n${screen()}`);
  const path = join(directory, snapshotFile()!);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const snapshot = readSnapshotFile(path);
  assert.equal(snapshot.filter.text, `comm==${program.name}`);
  assert.deepEqual(
    snapshot.panes.processes.map((row) => [row.comm, row.pid]),
    [[program.name, sleeper.pid]],
  );

  keys('q');
  assert.ok(await waitFor(() => existsSync(exitFile), 10_000, 100), 'clawtop did not quit');
  assert.equal(readFileSync(exitFile, 'utf8').trim(), '0');
  tracked.stop();
  assert.ok(tracked.objects.programs.size > 0, 'saw none of its programs');
  assert.deepEqual(await leftLoadedAfter(tracked.objects, 1000), []);
});
