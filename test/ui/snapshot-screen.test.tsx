// A snapshot file reopened on the screen (clawtop --replay FILE.json): the SnapshotController
// over the fixtures' document, driven by keys like the live screen in app.test.tsx.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test, type TestContext } from 'node:test';

import { cleanup } from 'ink-testing-library';

import { readSnapshotFile, type SnapshotDocument } from '../../src/core/snapshot-file.ts';
import { modelSnapshotOf } from '../../src/core/snapshot-model.ts';
import { SnapshotController } from '../../src/ui/snapshot-controller.ts';
import { DOCUMENT_TIME, snapshotDocument } from './fixtures.ts';
import { renderApp } from './harness.tsx';
import { backspace, deleteKey, enter, escape } from './keys.ts';

afterEach(() => cleanup());

/** An 80x24 terminal shows 23 lines: Ink redraws the whole terminal when a frame fills it. */
const SCREEN_LINES = 23;

const HEADER = [
  'clawtop · snapshot of testhost · 6.1.0-18-amd64 · up 3d 4h · drops 12',
  ' READ-ONLY  taken 2026-11-25 01:46:00 UTC after watching 30s · events/s are ave…',
  // The document's totals over its 30 s: 375 execs, 10 188 opens, 90 connects.
  'exec        12.5/s  on  tp_btf/sched_process_{exec,exit}',
  'files        340/s  on  tracepoint · fallback: no BPF LSM; attached while Files…',
  'net          3.0/s  on  cgroup + tp_btf · fallback: no BPF LSM',
  'cgroup           -  on  cgroup_skb/{ingress,egress}',
];
const TABS = '[1 Processes]  2 Files   3 Connections   4 Cgroups   5 Alerts';
const FOOTER = 'q quit  h help  / filter  <> sort  Enter detail  W copy  m monitors';

const PROCESS_HEADER = '   PID▼    PPID USER     COMMAND          EXECS/S STATE/EXIT  ARGS';
const PROCESS_ROWS = {
  sleep: '   4301    4100 alice    sleep               12.5 SIGKILL     sleep 600',
  nginx: '   4300       1 www-data nginx                  0 running     nginx: worker pro…',
  curl: '   4242    4100 alice    curl                 0.4 exit 7      curl -sS https://…',
  bash: '   4100     812 alice    bash                   0 running     -bash',
  sshd: '    812       1 root     sshd                   0 running     sshd: /usr/sbin/s…',
  systemd: '      1       0 root     systemd                0 running     /sbin/init',
};

function tabs(count: string): string {
  return `${TABS}${count.padStart(80 - TABS.length)}`;
}

function screen(top: readonly string[], body: readonly string[], bottom: readonly string[]): string {
  const blank = SCREEN_LINES - top.length - body.length - bottom.length;
  assert.ok(blank >= 0, 'the expected screen is taller than the terminal');
  return [...top, ...body, ...Array<string>(blank).fill(''), ...bottom].join('\n');
}

/** The table's lines: the column headers and the rows under them. */
function tableLines(lines: readonly string[]): string[] {
  return lines.slice(HEADER.length + 1, HEADER.length + 2 + 6).filter((line) => line !== '');
}

function controllerOf(document: SnapshotDocument, snapshotDirectory = '/nonexistent', now = new Date()): SnapshotController {
  return new SnapshotController({ document, snapshot: modelSnapshotOf(document) }, { snapshotDirectory, now: () => now });
}

describe('a snapshot file on the screen', () => {
  test('says whose snapshot it is, when it was taken, that it is read-only; shows its rows', async () => {
    const app = await renderApp(controllerOf(snapshotDocument()));
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('6 rows')],
        [
          PROCESS_HEADER,
          PROCESS_ROWS.sleep,
          PROCESS_ROWS.nginx,
          PROCESS_ROWS.curl,
          PROCESS_ROWS.bash,
          PROCESS_ROWS.sshd,
          PROCESS_ROWS.systemd,
        ],
        [FOOTER],
      ),
    );
  });

  test('the filter it was taken with is in the header: its rows are only those the filter kept', async () => {
    const document: SnapshotDocument = { ...snapshotDocument(), filter: { text: 'uid!=0', kernel: ['uid!=0'], user: [] } };
    const app = await renderApp(controllerOf(document));
    assert.equal(app.lines()[1], ' READ-ONLY  taken 2026-11-25 01:46:00 UTC after watching 30s · filtered when ta…');
  });

  test('the filter, the panes and the sort work on the frozen rows', async () => {
    const app = await renderApp(controllerOf(snapshotDocument()));
    await app.press('/', ...'nginx', enter);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, PROCESS_ROWS.nginx]);
    // Every term runs here, on the rows: none is said to run in a kernel.
    assert.equal(app.lines().at(-2), 'filter: nginx');
    // Sorted as the document is: by count (a snapshot written headless sorts files by opens).
    await app.press('2');
    assert.deepEqual(tableLines(app.lines()), [
      'PATH                            OPENS/S  COUNT▼   FAIL LAST     PROCESSES',
      '/var/log/nginx/access.log           340     15k      0 OK       nginx[4300]',
    ]);
    await app.press(deleteKey, '<', '<');
    assert.deepEqual(tableLines(app.lines()), [
      'PATH▼                           OPENS/S   COUNT   FAIL LAST     PROCESSES',
      '/var/log/nginx/access.log           340     15k      0 OK       nginx[4300]',
      '…me/alice/.config/missing.yaml      0.5       5      5 ENOENT   bash[4100]',
      '…ssl/certs/ca-certificates.crt      0.3       3      0 OK       curl[4242]',
      '/etc/hosts                          0.4      12      0 OK       curl[4242] bash…',
    ]);
    await app.press('I');
    assert.equal(tableLines(app.lines())[1], '/etc/hosts                          0.4      12      0 OK       curl[4242] bash…');
  });

  test('each pane starts sorted as the snapshot recorded it', async () => {
    const document = snapshotDocument(undefined, [
      { pane: 'processes', column: 'comm', descending: false },
      // An age column: the latest first is lastSeen descending.
      { pane: 'connections', column: 'lastSeen', descending: true },
    ]);
    const app = await renderApp(controllerOf(document));
    assert.deepEqual(tableLines(app.lines()), [
      '    PID    PPID USER     COMMAND▲         EXECS/S STATE/EXIT  ARGS',
      PROCESS_ROWS.bash,
      PROCESS_ROWS.curl,
      PROCESS_ROWS.nginx,
      PROCESS_ROWS.sleep,
      PROCESS_ROWS.sshd,
      PROCESS_ROWS.systemd,
    ]);
    await app.press('3');
    assert.match(tableLines(app.lines())[0]!, /AGE▲$/);
  });

  test('Enter shows a row\'s detail, its ages from when the snapshot was taken', async () => {
    const app = await renderApp(controllerOf(snapshotDocument()));
    await app.press(enter);
    assert.deepEqual(app.lines().slice(HEADER.length + 1, HEADER.length + 11), [
      'Process 4301 sleep',
      '  user        alice (uid 1000)',
      '  parent      4100',
      '  state       killed by SIGKILL',
      '  runtime     1m05s',
      '  filename    /usr/bin/sleep',
      '  cgroup      /user.slice/user-1000.slice/session-3.scope',
      '  execs/s     12.5 (sleep, over 10 s)',
      '  seen        first 1m ago, last 5s ago',
      '',
    ]);
    await app.press(backspace);
    assert.deepEqual(tableLines(app.lines())[1], PROCESS_ROWS.sleep);
  });

  test('keys that would change the kernel or the stream say it is read-only, and change nothing', async () => {
    // The controller throws if it is asked to pause, clear or switch: the screen must not ask.
    const app = await renderApp(controllerOf(snapshotDocument()));
    await app.press('p');
    assert.deepEqual(app.lines().slice(-2), ['a snapshot is read-only: nothing changes, so there is nothing to pause', FOOTER]);
    assert.equal(app.lines()[0], HEADER[0], 'not PAUSED');
    await app.press('Z');
    assert.equal(app.lines().at(-2), 'a snapshot is read-only: nothing changes, so there is nothing to pause');
    await app.press('c');
    assert.equal(app.lines().at(-2), 'a snapshot is read-only: c cannot clear its tables');
    assert.equal(app.lines()[HEADER.length], tabs('6 rows'));
    await app.press('m');
    assert.deepEqual(app.lines().slice(HEADER.length + 1, HEADER.length + 3), [
      'MONITOR   STATE       MODE        HOOK',
      'exec      on (fixed)  preferred   tp_btf/sched_process_{exec,exit}',
    ]);
    await app.press(enter);
    assert.deepEqual(app.lines().slice(-2), ['a snapshot is read-only: its monitors cannot be switched on or off', '↑↓ move  Esc close']);
    await app.press(escape, 'h');
    assert.deepEqual(app.lines().slice(10, 16), [
      '  Z p                 pause: not here, a snapshot is read-only',
      '  Ctrl-L              redraw the screen',
      'Act',
      '  W                   write a copy of this snapshot with the rows shown',
      '  m                   the monitors as they were (read-only)',
      '  c                   clear: not here, a snapshot is read-only',
    ]);
  });
});

describe('W on a snapshot file', () => {
  /** Room for the path in the status line. */
  const WIDE = { columns: 160, rows: 24 };

  function scratch(t: TestContext): string {
    const directory = mkdtempSync(join(tmpdir(), 'clawtop-snapshot-copy-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    return directory;
  }

  test('writes a copy with the rows the filter keeps, its filter the two joined, mode 0600', async (t) => {
    const directory = scratch(t);
    const original: SnapshotDocument = { ...snapshotDocument(), filter: { text: 'uid!=0', kernel: ['uid!=0'], user: [] } };
    const app = await renderApp(controllerOf(original, directory, new Date('2026-11-26T10:00:00.000Z')), WIDE);
    await app.press('/', ...'comm==curl', enter, 'W');
    const path = join(directory, 'clawtop-20261126-100000.json');
    assert.equal(app.lines().at(-2), `snapshot written to ${path}`);
    assert.equal(statSync(path).mode & 0o777, 0o600);

    const copy = readSnapshotFile(path);
    // The same snapshot: when, where and what was counted do not change.
    assert.equal(copy.time, DOCUMENT_TIME);
    assert.deepEqual([copy.host, copy.kernel, copy.durationSeconds], ['testhost', '6.1.0-18-amd64', 30]);
    assert.deepEqual(copy.counters, original.counters);
    assert.deepEqual(copy.hooks, original.hooks);
    assert.deepEqual(copy.filter, { text: 'uid!=0, comm==curl', kernel: ['uid!=0'], user: ['comm==curl'] });
    assert.deepEqual(
      copy.panes.processes.map((row) => row.pid),
      [4242],
    );
    assert.deepEqual(
      copy.panes.connections.map((row) => row.remote),
      ['93.184.216.34:443', '[2606:2800:220:1::1]:443'],
    );
    // Rows without a comm fail a comm term.
    assert.deepEqual([copy.panes.files, copy.panes.cgroups, copy.panes.alerts], [[], [], []]);
    // Its rows are the original's, cell for cell.
    assert.deepEqual(copy.panes.processes[0], original.panes.processes.find((row) => row.pid === 4242));
    // And it reopens.
    assert.equal(modelSnapshotOf(copy).processes[0]?.comm, 'curl');
  });

  test('a copy that cannot be written says why', async () => {
    const app = await renderApp(controllerOf(snapshotDocument(), '/nonexistent', new Date('2026-11-26T10:00:00.000Z')), WIDE);
    await app.press('W');
    assert.equal(
      app.lines().at(-2),
      'snapshot not written: failed to write snapshot /nonexistent/clawtop-20261126-100000.json: no such directory /nonexistent',
    );
  });
});
