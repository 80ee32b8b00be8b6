import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { cleanup } from 'ink-testing-library';

import { ALERTS, FakeController, SNAPSHOT, TAKEN_MS } from './fixtures.ts';
import { renderApp, resize, settle } from './harness.tsx';
import {
  arrowDown,
  arrowUp,
  backspace,
  ctrlC,
  ctrlL,
  deleteKey,
  end,
  enter,
  escape,
  home,
  pageDown,
  shiftTab,
  tab,
} from './keys.ts';

afterEach(() => cleanup());

/** An 80x24 terminal shows 23 lines: Ink redraws the whole terminal when a frame fills it. */
const SCREEN_LINES = 23;

const HEADER = [
  'clawtop · testhost · 6.1.0-18-amd64 · up 3d 4h · drops 0 · ring 3%',
  'exec        12.5/s  on  tp_btf/sched_process_{exec,exit}',
  // Too long for 80 columns with the full hook: the program types leave room for the note.
  'files        340/s  on  tracepoint · fallback: no BPF LSM; attached while Files…',
  'net          3.0/s  on  cgroup + tp_btf · fallback: no BPF LSM',
  'cgroup           -  on  cgroup_skb/{ingress,egress}',
];
const PAUSED_SUMMARY = 'clawtop · testhost · 6.1.0-18-amd64 · up 3d 4h · drops 0 · ring 3%       PAUSED';

const TABS = {
  processes: '[1 Processes]  2 Files   3 Connections   4 Cgroups   5 Alerts',
  files: ' 1 Processes  [2 Files]  3 Connections   4 Cgroups   5 Alerts',
  connections: ' 1 Processes   2 Files  [3 Connections]  4 Cgroups   5 Alerts',
  cgroups: ' 1 Processes   2 Files   3 Connections  [4 Cgroups]  5 Alerts',
  alerts: ' 1 Processes   2 Files   3 Connections   4 Cgroups  [5 Alerts]',
};

/** The tabs line: the tabs, then the pane's row count at the right edge. */
function tabs(pane: keyof typeof TABS, count: string): string {
  return `${TABS[pane]}${count.padStart(80 - TABS[pane].length)}`;
}

const FOOTER = {
  normal: 'q quit  h help  / filter  <> sort  p pause  Enter detail  W snapshot  m monitors',
  filter: 'Enter apply  Esc cancel  Del clear filter  Backspace erase',
  detail: 'Backspace back  ↑↓ scroll  h help  q quit',
  monitors: '↑↓ move  Enter switch on/off  Esc close',
  help: 'any key close help',
};

/** A whole frame: top lines, the body, blank lines down to the bottom lines. */
function screen(top: readonly string[], body: readonly string[], bottom: readonly string[]): string {
  const blank = SCREEN_LINES - top.length - body.length - bottom.length;
  assert.ok(blank >= 0, 'the expected screen is taller than the terminal');
  return [...top, ...body, ...Array<string>(blank).fill(''), ...bottom].join('\n');
}

const PROCESS_HEADER = '   PID▼    PPID USER     COMMAND          EXECS/S STATE/EXIT  ARGS';
const PROCESS_ROWS = {
  sleep: '   4301    4100 alice    sleep               12.5 SIGKILL     sleep 600',
  nginx: '   4300       1 www-data nginx                  0 running     nginx: worker pro…',
  curl: '   4242    4100 alice    curl                 0.4 exit 7      curl -sS https://…',
  bash: '   4100     812 alice    bash                   0 running     -bash',
  sshd: '    812       1 root     sshd                   0 running     sshd: /usr/sbin/s…',
  systemd: '      1       0 root     systemd                0 running     /sbin/init',
};
const PROCESSES_BY_PID = [
  PROCESS_ROWS.sleep,
  PROCESS_ROWS.nginx,
  PROCESS_ROWS.curl,
  PROCESS_ROWS.bash,
  PROCESS_ROWS.sshd,
  PROCESS_ROWS.systemd,
];

/** The table's lines in the last frame: the header row and the rows under it. */
function tableLines(lines: readonly string[]): string[] {
  return lines.slice(HEADER.length + 1, HEADER.length + 2 + 6).filter((line) => line !== '');
}

describe('panes at 80x24', () => {
  test('Processes: PID, PPID, USER, COMMAND, EXECS/S, STATE/EXIT and ARGS, newest PID first; RUNTIME does not fit', async () => {
    const app = await renderApp(new FakeController());
    assert.equal(
      app.lastFrame(),
      screen([...HEADER, tabs('processes', '6 rows')], [PROCESS_HEADER, ...PROCESSES_BY_PID], [FOOTER.normal]),
    );
  });

  test('Files: the path keeps its tail, busiest first; OP gives way to the path', async () => {
    const app = await renderApp(new FakeController());
    await app.press('2');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('files', '4 rows')],
        [
          'PATH                           OPENS/S▼   COUNT   FAIL LAST     PROCESSES',
          '/var/log/nginx/access.log           340     15k      0 OK       nginx[4300]',
          '…me/alice/.config/missing.yaml      0.5       5      5 ENOENT   bash[4100]',
          '/etc/hosts                          0.4      12      0 OK       curl[4242] bash…',
          '…ssl/certs/ca-certificates.crt      0.3       3      0 OK       curl[4242]',
        ],
        [FOOTER.normal],
      ),
    );
  });

  test('Connections: PID and LOCAL give way on a narrow screen; ages from the snapshot time', async () => {
    const app = await renderApp(new FakeController());
    await app.press('3');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('connections', '3 rows')],
        [
          'COMMAND      PROTO  DIR  REMOTE                  COUNT▼  FAIL LAST           AGE',
          'nginx        tcp    in   10.0.2.2                    40     0 OK              1s',
          'curl         tcp    out  93.184.216.34:443            1     0 OK             11s',
          'curl         tcp    out  …606:2800:220:1::1]:443      1     1 ECONNREFUSED   11s',
        ],
        [FOOTER.normal],
      ),
    );
  });

  test('Cgroups: byte rates, packet rates and the threshold bar; OPENS and CONNECTS hidden at 80 columns', async () => {
    const app = await renderApp(new FakeController());
    await app.press('4');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('cgroups', '3 rows')],
        [
          'CGROUP                 RX/s   TX/s▼  RX pkt/s  TX pkt/s THRESHOLD          EXECS',
          '…lice/nginx.service    1.2M     48K       850       420 [#####-----]  48%      0',
          '….slice/ssh.service    300B    900B         0         0 -                      1',
          '…ce/session-3.scope    2.0K    512B       3.0       2.5 -                      3',
        ],
        [FOOTER.normal],
      ),
    );
  });

  test('Alerts: the latest first, with its age and repeats', async () => {
    const app = await renderApp(new FakeController());
    await app.press('5');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('alerts', '2 rows')],
        [
          'SEVERITY   TIME▲  REPEATS MESSAGE',
          'high          5s        2 cgroup /system.slice/nginx.service rx 3.1 MB/s, over …',
          'medium        2m        0 host opens 340/s, 4.2 deviations above its baseline o…',
        ],
        [FOOTER.normal],
      ),
    );
  });

  test('an empty pane says so', async () => {
    const app = await renderApp(new FakeController({ ...SNAPSHOT, alerts: [] }));
    await app.press('5');
    assert.deepEqual(tableLines(app.lines()), ['SEVERITY   TIME▲  REPEATS MESSAGE', '(no rows yet)']);
  });
});

describe('panes', () => {
  test('Tab and Shift-Tab go round the panes, digits pick one; the controller hears of every switch and of the first pane', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    const tabsLine = () => app.lines()[HEADER.length]!;
    await app.press(tab);
    assert.equal(tabsLine(), tabs('files', '4 rows'));
    await app.press(shiftTab, shiftTab);
    assert.equal(tabsLine(), tabs('alerts', '2 rows'));
    await app.press(tab);
    assert.equal(tabsLine(), tabs('processes', '6 rows'));
    await app.press('3');
    assert.equal(tabsLine(), tabs('connections', '3 rows'));
    assert.deepEqual(controller.calls, [
      'showPane processes',
      'showPane files',
      'showPane processes',
      'showPane alerts',
      'showPane processes',
      'showPane connections',
    ]);
  });

  test('each pane keeps its own selection and sort', async () => {
    const app = await renderApp(new FakeController());
    await app.press('I', '2', '1');
    assert.deepEqual(tableLines(app.lines()), [
      '   PID▲    PPID USER     COMMAND          EXECS/S STATE/EXIT  ARGS',
      ...[...PROCESSES_BY_PID].reverse(),
    ]);
  });
});

describe('sort', () => {
  test('> moves the sort to the next column, I inverts it', async () => {
    const app = await renderApp(new FakeController());
    await app.press('>');
    assert.deepEqual(tableLines(app.lines()), [
      // A right-aligned header gives the mark's column back when the mark moves on.
      '    PID   PPID▼ USER     COMMAND          EXECS/S STATE/EXIT  ARGS',
      // Ties keep the snapshot's order.
      PROCESS_ROWS.curl,
      PROCESS_ROWS.sleep,
      PROCESS_ROWS.bash,
      PROCESS_ROWS.sshd,
      PROCESS_ROWS.nginx,
      PROCESS_ROWS.systemd,
    ]);
    await app.press('>', '>', 'I');
    assert.deepEqual(tableLines(app.lines()), [
      '    PID    PPID USER     COMMAND▲         EXECS/S STATE/EXIT  ARGS',
      PROCESS_ROWS.bash,
      PROCESS_ROWS.curl,
      PROCESS_ROWS.nginx,
      PROCESS_ROWS.sleep,
      PROCESS_ROWS.sshd,
      PROCESS_ROWS.systemd,
    ]);
  });

  test('< stops at the first column; s goes round to it from the last', async () => {
    const app = await renderApp(new FakeController());
    await app.press('<');
    assert.equal(tableLines(app.lines())[0], PROCESS_HEADER);
    // STATE/EXIT sorts running first, then exits, then deaths by signal.
    await app.press('s', 's', 's', 's', 's', 'I');
    assert.deepEqual(tableLines(app.lines()), [
      '    PID    PPID USER     COMMAND          EXECS/S STATE/EXIT▲ ARGS',
      PROCESS_ROWS.systemd,
      PROCESS_ROWS.sshd,
      PROCESS_ROWS.bash,
      PROCESS_ROWS.nginx,
      PROCESS_ROWS.curl,
      PROCESS_ROWS.sleep,
    ]);
    await app.press('s', 's', 's');
    assert.equal(tableLines(app.lines())[0], '   PID▲    PPID USER     COMMAND          EXECS/S STATE/EXIT  ARGS');
  });

  test('Alerts sort by severity rank, not by name; the new column keeps the direction', async () => {
    const app = await renderApp(new FakeController());
    await app.press('5', '<');
    assert.deepEqual(tableLines(app.lines()), [
      'SEVERITY▲   TIME  REPEATS MESSAGE',
      'medium        2m        0 host opens 340/s, 4.2 deviations above its baseline o…',
      'high          5s        2 cgroup /system.slice/nginx.service rx 3.1 MB/s, over …',
    ]);
    await app.press('I');
    assert.deepEqual(tableLines(app.lines()), [
      'SEVERITY▼   TIME  REPEATS MESSAGE',
      'high          5s        2 cgroup /system.slice/nginx.service rx 3.1 MB/s, over …',
      'medium        2m        0 host opens 340/s, 4.2 deviations above its baseline o…',
    ]);
  });
});

describe('filter', () => {
  test('/ opens the bar; Enter applies a valid filter and the bar shows where its terms run', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('/', ...'comm==curl');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('processes', '6 rows')],
        [PROCESS_HEADER, ...PROCESSES_BY_PID],
        ['filter: comm==curl', FOOTER.filter],
      ),
    );
    await app.press(enter);
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('processes', '1 of 6 rows')],
        [PROCESS_HEADER, PROCESS_ROWS.curl],
        ['filter: comm==curl  (user: comm==curl)', FOOTER.normal],
      ),
    );
    assert.deepEqual(controller.calls.slice(1), ['applyFilter comm==curl']);
  });

  test('the screen starts with --filter in force, applied as if typed', async () => {
    const controller = new FakeController();
    controller.initialFilter = 'comm==curl';
    const app = await renderApp(controller);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, PROCESS_ROWS.curl]);
    assert.equal(app.lines().at(-2), 'filter: comm==curl  (user: comm==curl)');
    assert.ok(controller.calls.includes('applyFilter comm==curl'));
  });

  test('the same filter applies to every pane', async () => {
    const app = await renderApp(new FakeController());
    await app.press('f', ...'pid==4242', enter, '3');
    assert.deepEqual(tableLines(app.lines()), [
      'COMMAND      PROTO  DIR  REMOTE                  COUNT▼  FAIL LAST           AGE',
      'curl         tcp    out  93.184.216.34:443            1     0 OK             11s',
      'curl         tcp    out  …606:2800:220:1::1]:443      1     1 ECONNREFUSED   11s',
    ]);
    assert.equal(app.lines().at(-2), 'filter: pid==4242  (kernel: pid==4242)');
  });

  test('a bad filter shows its error in the bar, and the previous filter stays in force', async () => {
    const app = await renderApp(new FakeController());
    await app.press('/', ...'comm==curl', enter);
    // The bar opens on the filter in force: erase it, then type a bad one.
    await app.press('/', ...Array<string>('comm==curl'.length).fill(backspace), ...'nosuch==1', enter);
    const lines = app.lines();
    assert.deepEqual(tableLines(lines), [PROCESS_HEADER, PROCESS_ROWS.curl]);
    assert.equal(lines.at(-3), 'filter: nosuch==1');
    assert.equal(lines.at(-2), 'error at 1: unknown field "nosuch" (fields: comm, pid, ppid, uid, user, argv, f…');
    assert.equal(lines.at(-1), FOOTER.filter);
    // Esc leaves the bad text; the filter in force is the one before it.
    await app.press(escape);
    assert.deepEqual(app.lines().slice(-2), ['filter: comm==curl  (user: comm==curl)', FOOTER.normal]);
  });

  test('Esc cancels an edit and the filter in force stays', async () => {
    const app = await renderApp(new FakeController());
    await app.press('/', ...'comm==curl', enter, '/', backspace, backspace, backspace, backspace, ...'bash');
    assert.equal(app.lines().at(-2), 'filter: comm==bash');
    await app.press(escape);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, PROCESS_ROWS.curl]);
    assert.equal(app.lines().at(-2), 'filter: comm==curl  (user: comm==curl)');
  });

  test('Delete clears the filter, from the bar or from the table', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('/', ...'comm==curl', enter, '/', deleteKey);
    assert.equal(app.lastFrame(), screen([...HEADER, tabs('processes', '6 rows')], [PROCESS_HEADER, ...PROCESSES_BY_PID], [FOOTER.normal]));
    await app.press('/', ...'comm==curl', enter, deleteKey);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, ...PROCESSES_BY_PID]);
    assert.deepEqual(controller.calls.slice(1), [
      'applyFilter comm==curl',
      'applyFilter ',
      'applyFilter comm==curl',
      'applyFilter ',
    ]);
  });

  test('keys typed together act in turn: the filter bar gets the letters, not the table', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    app.stdin.write('/comm==curl\r');
    await settle(app.stdout);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, PROCESS_ROWS.curl]);
    assert.deepEqual(controller.calls.slice(1), ['applyFilter comm==curl']);
  });
});

describe('pause', () => {
  test('p pauses (PAUSED in the header) and resumes; Z does too', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('p');
    assert.equal(app.lines()[0], PAUSED_SUMMARY);
    await app.press('Z');
    assert.equal(app.lines()[0], HEADER[0]);
    assert.deepEqual(controller.calls.slice(1), ['pause', 'resume']);
  });

  test('starts PAUSED when the core is paused', async () => {
    const controller = new FakeController();
    controller.paused = true;
    const app = await renderApp(controller);
    assert.equal(app.lines()[0], PAUSED_SUMMARY);
  });
});

describe('selection and detail', () => {
  test('Enter shows the selected process: arguments, parent chain, files, connections; Backspace goes back', async () => {
    const app = await renderApp(new FakeController());
    await app.press(arrowDown, 'j', enter);
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('processes', '6 rows')],
        [
          'Process 4242 curl',
          '  user        alice (uid 1000)',
          '  parent      4100',
          '  state       exited with 7',
          '  runtime     1.2s',
          '  filename    /usr/bin/curl',
          '  cgroup      /user.slice/user-1000.slice/session-3.scope',
          '  execs/s     0.4 (curl, over 10 s)',
          '  seen        first 12s ago, last 11s ago',
          '',
          'Arguments',
          '  [0] curl',
          '  [1] -sS',
          '  [2] https://example.com/status',
          '',
          'Parent chain',
        ],
        [FOOTER.detail],
      ),
    );
    await app.press(end);
    assert.deepEqual(app.lines().slice(HEADER.length + 1, -1), [
      '  [0] curl',
      '  [1] -sS',
      '  [2] https://example.com/status',
      '',
      'Parent chain',
      '     4100  bash             -bash',
      '      812  sshd             sshd: /usr/sbin/sshd -D [listener]',
      '        1  systemd          /sbin/init',
      '',
      'Files (2)',
      '  OK           12  /etc/hosts',
      '  OK            3  /etc/ssl/certs/ca-certificates.crt',
      '',
      'Connections (2)',
      '  tcp outbound 10.0.2.15 -> 93.184.216.34:443  1 × OK',
      '  tcp outbound [fd00::15] -> [2606:2800:220:1::1]:443  1 × ECONNREFUSED',
    ]);
    await app.press(backspace);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, ...PROCESSES_BY_PID]);
    // The selection is where it was.
    await app.press(enter);
    assert.equal(app.lines()[HEADER.length + 1], 'Process 4242 curl');
  });

  test('a cgroup shows its traffic and its processes', async () => {
    const app = await renderApp(new FakeController());
    await app.press('4', arrowDown, arrowDown, enter);
    assert.deepEqual(app.lines().slice(HEADER.length + 1, HEADER.length + 13), [
      'Cgroup /user.slice/user-1000.slice/session-3.scope',
      '  id          11',
      '',
      'Traffic',
      '  received    2.0K/s, 3.0 packets/s, 0B in all',
      '  sent        512B/s, 2.5 packets/s, 0B in all',
      '  threshold   none',
      '  activity    3 execs, 20 opens, 2 connects',
      '',
      'Processes (3)',
      '     4100  bash             -bash',
      '     4242  curl             curl -sS https://example.com/status',
    ]);
  });

  test('an alert shows all its fields', async () => {
    const app = await renderApp(new FakeController());
    await app.press('5', enter);
    assert.deepEqual(app.lines().slice(HEADER.length + 1, HEADER.length + 13), [
      'Alert cgroup-bytes:10',
      '  key              cgroup-bytes:10',
      '  severity         high',
      '  source           threshold',
      '  message          cgroup /system.slice/nginx.service rx 3.1 MB/s, over its',
      '    threshold of 2.5 MB/s',
      '  firstNs          40s ago',
      '  lastNs           5s ago',
      '  repeats          2',
      '  observed         3250000',
      '  limit            2621440',
      '  subjectCgroupId  10',
    ]);
  });

  test('End, Home, PgDn and arrows move the selection, and the window follows it', async () => {
    const processes = Array.from({ length: 40 }, (_, index) => ({ ...SNAPSHOT.processes[0]!, pid: 1000 + index, comm: `worker${index}` }));
    const app = await renderApp(new FakeController({ ...SNAPSHOT, processes }));
    const firstRow = () => tableLines(app.lines())[1]!.trim().split(/\s+/)[0];
    const openedPid = async () => {
      await app.press(enter);
      const pid = app.lines()[HEADER.length + 1]!.split(' ')[1];
      await app.press(backspace);
      return pid;
    };
    await app.press(end);
    assert.equal(await openedPid(), '1000');
    // 15 rows fit: the window ends at the last row.
    assert.equal(firstRow(), '1014');
    await app.press(home);
    assert.equal(await openedPid(), '1039');
    assert.equal(firstRow(), '1039');
    await app.press(pageDown);
    assert.equal(await openedPid(), '1024');
    assert.equal(firstRow(), '1038');
    await app.press(arrowUp);
    assert.equal(await openedPid(), '1025');
    assert.equal(firstRow(), '1038');
  });

  test('the detail of a row that has gone says so', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press(enter);
    controller.publish({ ...SNAPSHOT, processes: SNAPSHOT.processes.slice(0, -1) });
    await settle(app.stdout);
    assert.equal(app.lines()[HEADER.length + 1], 'This row is gone (cleared, or dropped from a full table). Backspace goes back.');
  });
});

describe('help', () => {
  test('h shows every key; any key closes it', async () => {
    const app = await renderApp(new FakeController());
    await app.press('h');
    assert.equal(
      app.lastFrame(),
      screen(
        [],
        [
          'Move',
          '  ↑ ↓  j k            select the previous / next row',
          '  PgUp PgDn           a page up / down',
          '  Home End            the first / last row',
          '  Tab Shift-Tab 1-5   next / previous pane, or pane by number',
          'View',
          '  / f                 filter: Enter applies, Esc cancels, Del clears',
          '  < > s               sort by the column left / right / next',
          '  I                   invert the sort',
          '  Enter Backspace     detail of the selected row / back',
          '  Z p                 pause / resume (counting goes on)',
          '  Ctrl-L              redraw the screen',
          'Act',
          '  W                   write a snapshot file of what is shown',
          '  m                   switch monitors on and off',
          '  c                   clear the tables and alerts',
          '  q Ctrl-C            quit',
          'Filter',
          '  text: substring, any case · !regex · field terms joined by commas (AND):',
          '  comm==nginx  pid==42  uid!=0  dport>=1024  path~^/etc  cgroup~docker',
        ],
        [FOOTER.help],
      ),
    );
    await app.press('q');
    assert.equal(app.lastFrame(), screen([...HEADER, tabs('processes', '6 rows')], [PROCESS_HEADER, ...PROCESSES_BY_PID], [FOOTER.normal]));
    assert.equal(app.onQuit.mock.callCount(), 0);
  });

  test('? opens it too, and from the detail it goes back to the detail', async () => {
    const app = await renderApp(new FakeController());
    await app.press(enter, '?');
    assert.equal(app.lines()[0], 'Move');
    await app.press(' ');
    assert.equal(app.lines()[HEADER.length + 1], 'Process 4301 sleep');
  });
});

describe('snapshot, monitors, clear, redraw, quit', () => {
  test('W writes a snapshot of what is shown and says where', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('/', ...'comm==curl', enter, '>', 'W');
    assert.deepEqual(app.lines().slice(-3), [
      'filter: comm==curl  (user: comm==curl)',
      'snapshot written to /tmp/clawtop-snapshot.json',
      FOOTER.normal,
    ]);
    assert.deepEqual(controller.lastView, {
      filter: 'comm==curl',
      sort: [
        { pane: 'processes', column: 'ppid', descending: true },
        { pane: 'files', column: 'opensPerSecond10', descending: true },
        { pane: 'connections', column: 'count', descending: true },
        { pane: 'cgroups', column: 'txBytesPerSecond', descending: true },
        // The latest first: the age ascending is lastNs descending.
        { pane: 'alerts', column: 'lastNs', descending: true },
      ],
    });
    // The message goes at the next key.
    await app.press(arrowDown);
    assert.deepEqual(app.lines().slice(-2), ['filter: comm==curl  (user: comm==curl)', FOOTER.normal]);
  });

  test('a snapshot that cannot be written says why', async () => {
    const controller = new FakeController();
    controller.snapshotError = 'failed to open /nope/x.json: ENOENT';
    const app = await renderApp(controller);
    await app.press('W');
    assert.deepEqual(app.lines().slice(-2), ['snapshot not written: failed to open /nope/x.json: ENOENT', FOOTER.normal]);
  });

  test('m lists the monitors; Enter switches the selected one; Esc closes', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('m');
    assert.equal(
      app.lastFrame(),
      screen(
        [...HEADER, tabs('processes', '6 rows')],
        [
          'MONITOR   STATE       MODE        HOOK',
          'exec      on (fixed)  preferred   tp_btf/sched_process_{exec,exit}',
          'files     on          fallback    tracepoint/syscalls/sys_exit_openat',
          '    no BPF LSM; attached while Files is shown',
          'net       on          fallback    cgroup/connect{4,6} + tp_btf/inet_sock_set_st…',
          '    no BPF LSM',
          'cgroup    on          preferred   cgroup_skb/{ingress,egress}',
        ],
        [FOOTER.monitors],
      ),
    );
    await app.press(enter);
    assert.equal(app.lines().at(-2), 'exec cannot be switched off or on');
    await app.press(arrowDown, enter);
    assert.deepEqual(app.lines().slice(HEADER.length + 3, HEADER.length + 5), [
      'files     off         fallback    tracepoint/syscalls/sys_exit_openat',
      '    no BPF LSM; attached while Files is shown',
    ]);
    assert.equal(app.lines()[2], 'files        340/s  off tracepoint · fallback: no BPF LSM; attached while Files…');
    assert.equal(app.lines().at(-2), 'files switched off');
    controller.toggleError = 'failed to attach files: Operation not permitted';
    await app.press(' ');
    assert.equal(app.lines().at(-2), 'failed to attach files: Operation not permitted');
    await app.press(escape);
    assert.deepEqual(tableLines(app.lines()), [PROCESS_HEADER, ...PROCESSES_BY_PID]);
    assert.deepEqual(controller.calls.slice(1), ['toggleMonitor files', 'toggleMonitor files']);
  });

  test('c clears the tables', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    await app.press('c');
    assert.deepEqual(app.lines().slice(HEADER.length, HEADER.length + 3), [
      tabs('processes', '0 rows'),
      PROCESS_HEADER,
      '(no rows yet)',
    ]);
    assert.equal(app.lines().at(-2), 'tables and alerts cleared');
    assert.deepEqual(controller.calls.slice(1), ['clear']);
  });

  test('Ctrl-L clears the terminal (Ink then draws its last frame again) and changes nothing else', async () => {
    const app = await renderApp(new FakeController());
    const before = app.lastFrame();
    await app.press(ctrlL);
    assert.equal(app.stdout.frames.at(-1), '\u001B[2J\u001B[H');
    await app.press('1');
    assert.equal(app.lastFrame(), before);
  });

  test('q quits, and Ctrl-C does in every mode', async () => {
    const app = await renderApp(new FakeController());
    await app.press('q');
    assert.equal(app.onQuit.mock.callCount(), 1);
    await app.press('/', 'q');
    assert.equal(app.onQuit.mock.callCount(), 1, 'q in the filter bar is a letter');
    await app.press(ctrlC);
    assert.equal(app.onQuit.mock.callCount(), 2);
  });
});

describe('rendering', () => {
  test('renders each published snapshot, and unsubscribes when it goes', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    assert.equal(controller.listenerCount, 1);
    controller.publish({ ...SNAPSHOT, takenMs: TAKEN_MS + 60_000, alerts: ALERTS.slice(1) });
    await settle(app.stdout);
    await app.press('5');
    assert.deepEqual(tableLines(app.lines()), [
      'SEVERITY   TIME▲  REPEATS MESSAGE',
      'medium        3m        0 host opens 340/s, 4.2 deviations above its baseline o…',
    ]);
    app.unmount();
    assert.equal(controller.listenerCount, 0);
  });

  test('a publication that changes nothing on screen draws no frame; the next key shows the latest', async () => {
    const processes = Array.from({ length: 40 }, (_, index) => ({ ...SNAPSHOT.processes[0]!, pid: 1000 + index, comm: `worker${index}` }));
    const controller = new FakeController({ ...SNAPSHOT, processes });
    const app = await renderApp(controller);
    const framesBefore = app.stdout.frames.length;
    // A second later, and a row out of view (the oldest PID) has exited.
    const later = processes.map((row) => (row.pid === 1000 ? { ...row, state: 'exited' as const, exitCode: 3 } : row));
    controller.publish({ ...SNAPSHOT, takenMs: TAKEN_MS + 1000, processes: later });
    await settle(app.stdout);
    assert.equal(app.stdout.frames.length, framesBefore, 'no frame for what is not on screen');
    await app.press(end);
    assert.ok(app.lines().some((line) => /^ {3}1000 .* exit 3 /.test(line)), app.lastFrame());

    // A row in view changes: drawn at once.
    const renamed = later.map((row) => (row.pid === 1039 ? { ...row, comm: 'renamed' } : row));
    await app.press(home);
    controller.publish({ ...SNAPSHOT, takenMs: TAKEN_MS + 2000, processes: renamed });
    await settle(app.stdout);
    assert.match(tableLines(app.lines())[1]!, /^ {3}1039 .* renamed /);
  });

  test('a publication redraws the header when what it shows changed, though no row did', async () => {
    const controller = new FakeController();
    const app = await renderApp(controller);
    const framesBefore = app.stdout.frames.length;
    // The uptime is shown to the minute (or the hour): a second more shows the same.
    controller.setHeader({ ...controller.header(), uptimeSeconds: controller.header().uptimeSeconds + 1 });
    controller.publish({ ...SNAPSHOT, takenMs: TAKEN_MS + 1000 });
    await settle(app.stdout);
    assert.equal(app.stdout.frames.length, framesBefore);
    controller.setHeader({ ...controller.header(), dropped: 42 });
    controller.publish({ ...SNAPSHOT, takenMs: TAKEN_MS + 2000 });
    await settle(app.stdout);
    assert.match(app.lines()[0]!, / · drops 42 · /);
  });

  test('follows a resize: at 200x50 every column fits', async () => {
    const app = await renderApp(new FakeController());
    resize(app.stdout, { columns: 200, rows: 50 });
    await settle(app.stdout);
    const lines = app.lines();
    assert.equal(lines.length, 49);
    assert.equal(
      lines[2],
      'files        340/s  on  tracepoint/syscalls/sys_exit_openat · fallback: no BPF LSM; attached while Files is shown',
    );
    assert.deepEqual(tableLines(lines).slice(0, 2), [
      '   PID▼    PPID USER     COMMAND          EXECS/S STATE/EXIT   RUNTIME ARGS',
      '   4301    4100 alice    sleep               12.5 SIGKILL        1m05s sleep 600',
    ]);
    await app.press('4');
    assert.equal(
      tableLines(app.lines())[1],
      // CGROUP stops at 80 columns wide: the numbers stay near their cgroup.
      `${'/system.slice/nginx.service'.padEnd(80)}    1.2M     48K       850       420 [#####-----]  48%      0    15k        40`,
    );
  });
});
