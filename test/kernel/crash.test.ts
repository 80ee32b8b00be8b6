// Issue 7, crash safety: clawtop killed with SIGKILL at random moments leaves nothing in the
// kernel and no half-written snapshot; SIGINT, SIGTERM and SIGHUP end it cleanly, headless
// and on a terminal. Programs and links are identified by the killed process's own
// descriptors (other engineers run clawtop on this machine at the same time).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { readSnapshotFile } from '../../src/core/snapshot-file.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { leftLoadedAfter, PROJECT, startClawtop, trackBpfObjects, type RunningClawtop } from './process.ts';
import { addonMissingReason } from './session.ts';
import { temporaryDirectory, uniqueName, waitFor, exitOf } from './workload.ts';

function prerequisiteMissing(t: TestContext, ...more: string[]): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      missingFileReason('/usr/sbin/bpftool', 'run scripts/setup.sh') ??
      more.map((path) => missingFileReason(path, 'run scripts/setup.sh')).find((reason) => reason !== undefined),
  );
}

/** A small seeded generator, so a failing run can be replayed with CLAWTOP_CRASH_SEED. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

type Moment = 'load' | 'attach' | 'steady' | 'write (temp file seen)' | 'write (SIGTERM, then SIGKILL)';
// Ten moments: two while it starts and loads, two as programs appear, two while it watches,
// four while it stops and writes its snapshot.
const MOMENTS: readonly Moment[] = [
  'load',
  'load',
  'attach',
  'attach',
  'steady',
  'steady',
  'write (temp file seen)',
  'write (temp file seen)',
  'write (SIGTERM, then SIGKILL)',
  'write (SIGTERM, then SIGKILL)',
];

const hooksLineSeen = (clawtop: RunningClawtop) => clawtop.stdout().includes('"kind":"hooks"');

/** Kills clawtop at the moment; returns what happened, for the failure messages. */
async function killAt(moment: Moment, clawtop: RunningClawtop, programsSeen: () => number, directory: string, random: () => number): Promise<string> {
  const { child } = clawtop;
  switch (moment) {
    case 'load': {
      // From spawn to the programs attached is about 0.6 s here: Node, tsx, preflight, load.
      const delayMs = Math.round(random() * 700);
      await sleep(delayMs);
      break;
    }
    case 'attach': {
      await waitFor(() => programsSeen() > 0, 15_000, 1);
      await sleep(Math.round(random() * 30));
      break;
    }
    case 'steady': {
      await waitFor(() => hooksLineSeen(clawtop), 15_000, 10);
      await sleep(200 + Math.round(random() * 1300));
      break;
    }
    case 'write (temp file seen)': {
      await waitFor(() => hooksLineSeen(clawtop), 15_000, 10);
      await sleep(300);
      // The temp file appears when the write starts: kill it then, before the rename.
      const watcher = watch(directory);
      const tempSeen = new Promise<string>((resolve) =>
        watcher.on('change', (_event, name) => {
          if (String(name).endsWith('.tmp')) {
            child.kill('SIGKILL');
            resolve(String(name));
          }
        }),
      );
      child.kill('SIGTERM');
      const outcome = await Promise.race([tempSeen, exitOf(child).then(() => 'exited before')]);
      watcher.close();
      return `SIGKILL when ${outcome} appeared`;
    }
    case 'write (SIGTERM, then SIGKILL)': {
      await waitFor(() => hooksLineSeen(clawtop), 15_000, 10);
      await sleep(300);
      child.kill('SIGTERM');
      // Stopping and writing the snapshot takes about 250 ms here.
      await sleep(Math.round(random() * 250));
      break;
    }
  }
  child.kill('SIGKILL');
  return 'SIGKILL';
}

test('SIGKILL at 10 random moments: its programs and links gone within 1 s, the snapshot whole or absent', async (t) => {
  if (prerequisiteMissing(t)) return;
  const seed = Number(process.env.CLAWTOP_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = seededRandom(seed);
  const directory = temporaryDirectory(t);
  const target = join(directory, 'out.json');
  const killedPids: number[] = [];
  const tempFiles = () => readdirSync(directory).filter((name) => name.startsWith('.out.json.') && name.endsWith('.tmp'));
  const tempsLeft: string[] = [];

  for (const [index, moment] of MOMENTS.entries()) {
    const context = `seed ${seed}, kill ${index + 1} (${moment})`;
    // All monitors with the files monitor seeing the test's own churn: a snapshot of a few hundred KB.
    const clawtop = startClawtop(t, ['--json', '--snapshot', target, '--monitors', 'exec,files,net,cgroup']);
    const tracker = trackBpfObjects(clawtop.child.pid!, 2);
    const how = await killAt(moment, clawtop, () => tracker.objects.programs.size, directory, random);
    // killAt may have seen it exit already: a second once('exit') would wait forever.
    if (clawtop.child.exitCode === null && clawtop.child.signalCode === null) await exitOf(clawtop.child);
    tracker.stop();
    killedPids.push(clawtop.child.pid!);

    const left = await leftLoadedAfter(tracker.objects, 1000);
    assert.deepEqual(left, [], `${context}, ${how}: still loaded 1 s after the kill`);
    if (moment !== 'load') {
      assert.ok(tracker.objects.programs.size > 0, `${context}: killed before it loaded anything`);
    }
    if (existsSync(target)) {
      assert.doesNotThrow(() => readSnapshotFile(target), `${context}, ${how}: the snapshot is not whole`);
    }
    // A temp file a SIGKILL left belongs to a killed writer; the next write removes it.
    for (const name of tempFiles()) {
      assert.ok(
        killedPids.some((pid) => name.startsWith(`.out.json.${pid}.`)),
        `${context}: ${name} is not from a killed clawtop`,
      );
      if (!tempsLeft.includes(name)) tempsLeft.push(name);
    }
    t.diagnostic(`${context}: ${how}; ${tracker.objects.programs.size} programs, ${tracker.objects.links.size} links, all gone`);
  }

  // One clean run writes the same target: the document is whole, and no temp file of a killed writer is left.
  const clean = startClawtop(t, ['--snapshot', target, '--monitors', 'exec', '--duration', '1']);
  const [exitCode] = await exitOf(clean.child);
  assert.equal(exitCode, 0, clean.stderr());
  readSnapshotFile(target);
  assert.deepEqual(tempFiles(), [], `seed ${seed}: temp files left after a clean write`);
  t.diagnostic(`temp files SIGKILL left before the clean write: ${tempsLeft.length === 0 ? 'none' : tempsLeft.join(', ')}`);
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal}, headless: exit 0, snapshot written, its programs and links gone`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const directory = temporaryDirectory(t);
    const target = join(directory, 'out.json');
    const clawtop = startClawtop(t, ['--json', '--snapshot', target, '--monitors', 'exec,net']);
    const tracker = trackBpfObjects(clawtop.child.pid!);
    assert.ok(await waitFor(() => hooksLineSeen(clawtop), 15_000), clawtop.stderr());
    await sleep(100);
    tracker.stop();
    assert.ok(tracker.objects.links.size > 0, 'no link seen');
    clawtop.child.kill(signal);
    const [exitCode] = await exitOf(clawtop.child);
    assert.equal(exitCode, 0, clawtop.stderr());
    assert.equal(clawtop.stderr(), '');
    assert.match(clawtop.stdout().trimEnd().split('\n').at(-1)!, /"kind":"summary"/);
    readSnapshotFile(target);
    assert.deepEqual(await leftLoadedAfter(tracker.objects, 1000), []);
  });
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal}, on a terminal: exit 0, the shell's screen back, its programs and links gone`, async (t) => {
    if (prerequisiteMissing(t, '/usr/bin/tmux')) return;
    const directory = temporaryDirectory(t);
    const session = `clawtop-crash-${uniqueName()}`;
    const marker = `before-clawtop-${uniqueName()}`;
    const pidFile = join(directory, 'pid');
    const exitFile = join(directory, 'exit-code');
    // A shell that stays after clawtop, so the screen it leaves behind can be looked at.
    tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '30', 'bash --norc --noprofile');
    t.after(() => {
      try {
        tmux('kill-session', '-t', session);
      } catch {
        // already gone
      }
    });
    const screen = () => tmux('capture-pane', '-p', '-t', session);
    // In the foreground (the screen reads keys); exec keeps the pid the inner shell wrote.
    const run = `echo $$ > ${pidFile}; exec node --import tsx src/cli.tsx --monitors exec`;
    tmux('send-keys', '-t', session, '-l', `echo ${marker}; cd ${PROJECT}; bash -c '${run}'; echo $? > ${exitFile}`);
    tmux('send-keys', '-t', session, 'Enter');
    assert.ok(await waitFor(() => screen().includes('Processes'), 20_000, 100), `no header:\n${screen()}`);
    assert.ok(!screen().includes(marker), 'the screen is not on the alternate screen');
    const pid = Number(execFileSync('cat', [pidFile], { encoding: 'utf8' }).trim());
    const tracker = trackBpfObjects(pid);
    await sleep(200);
    tracker.stop();
    assert.ok(tracker.objects.links.size > 0, 'no link seen');

    process.kill(pid, signal);
    assert.ok(await waitFor(() => existsSync(exitFile) && execFileSync('cat', [exitFile], { encoding: 'utf8' }) !== '', 10_000, 50));
    assert.equal(execFileSync('cat', [exitFile], { encoding: 'utf8' }).trim(), '0');
    // The alternate screen was left: the shell's own lines, with the marker echoed before clawtop, are back.
    assert.ok(await waitFor(() => screen().includes(marker), 2000, 50), `the terminal was not restored:\n${screen()}`);
    assert.ok(!screen().includes('Processes'), `clawtop's screen is still shown:\n${screen()}`);
    assert.deepEqual(await leftLoadedAfter(tracker.objects, 1000), []);
  });
}
