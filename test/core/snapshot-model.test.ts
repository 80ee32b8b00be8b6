// A snapshot document back as the model's snapshot: the reverse of buildSnapshotDocument,
// on the UI's fixtures, and every cell the screen cannot show refused by its path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Alert } from '../../src/core/alerts.ts';
import type { CommandRow, ModelSnapshot } from '../../src/core/model.ts';
import { documentColumnName, modelColumnName } from '../../src/core/snapshot-document.ts';
import type { SnapshotDocument, SnapshotPaneName, SnapshotRow } from '../../src/core/snapshot-file.ts';
import { SnapshotColumnError, modelSnapshotOf } from '../../src/core/snapshot-model.ts';
import { ALERTS, DOCUMENT_TIME, SNAPSHOT, TAKEN_MS, WALL_CLOCK_OFFSET_MS, snapshotDocument } from '../ui/fixtures.ts';

const COMMAND: CommandRow = {
  comm: 'curl',
  execs: 4,
  execsOverestimate: 0,
  exits: 4,
  failedExits: 1,
  execsPerSecond1: 0,
  execsPerSecond10: 0.4,
  execsPerSecond60: 0.1,
  lastArgv: ['curl', '-sS', 'https://example.com/status'],
  firstSeenMs: TAKEN_MS - 40_000,
  lastSeenMs: TAKEN_MS - 11_000,
};

const ALERT_OF_A_PROCESS: Alert = { ...ALERTS[1]!, key: 'process-failed-opens:4100', subjectPid: 4100 };

/** The fixtures with a command and an alert about a process: every pane has rows. */
const FULL: ModelSnapshot = { ...SNAPSHOT, commands: [COMMAND], alerts: [...ALERTS, ALERT_OF_A_PROCESS] };

/** Every time of a row moved from the fixtures' monotonic clock to the wall clock. */
function onWallClock<Row extends object>(row: Row): Row {
  const moved: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const key of ['firstSeenMs', 'lastSeenMs'] as const) {
    if (typeof moved[key] === 'number') moved[key] = (moved[key] as number) + WALL_CLOCK_OFFSET_MS;
  }
  for (const key of ['firstNs', 'lastNs'] as const) {
    if (typeof moved[key] === 'number') moved[key] = ((moved[key] as number) / 1e6 + WALL_CLOCK_OFFSET_MS) * 1e6;
  }
  return moved as Row;
}

/** The document with one cell of one row changed (undefined: the column removed). */
function withCell(pane: SnapshotPaneName, column: string, value: unknown): SnapshotDocument {
  const document = snapshotDocument(FULL);
  const [first, ...rest] = document.panes[pane];
  const row: Record<string, unknown> = { ...first };
  if (value === undefined) delete row[column];
  else row[column] = value;
  return { ...document, panes: { ...document.panes, [pane]: [row as SnapshotRow, ...rest] } };
}

describe('modelSnapshotOf', () => {
  test('gives back the rows buildSnapshotDocument was given, their times on the wall clock', () => {
    const reopened = modelSnapshotOf(snapshotDocument(FULL));
    assert.equal(reopened.takenMs, Date.parse(DOCUMENT_TIME));
    assert.equal(reopened.takenMs, TAKEN_MS + WALL_CLOCK_OFFSET_MS);
    // The document sorts each pane (by default: processes by last seen, files by opens, ...);
    // the screen sorts them again, so the rows are compared whatever their order.
    const byKey = <Row>(rows: readonly Row[], key: (row: Row) => string) =>
      [...rows].sort((left, right) => key(left).localeCompare(key(right)));
    assert.deepEqual(byKey(reopened.processes, (row) => String(row.pid)), byKey(FULL.processes.map(onWallClock), (row) => String(row.pid)));
    assert.deepEqual(reopened.commands, FULL.commands.map(onWallClock));
    assert.deepEqual(byKey(reopened.files, (row) => row.path), byKey(FULL.files.map(onWallClock), (row) => row.path));
    assert.deepEqual(
      byKey(reopened.connections, (row) => row.remote),
      byKey(FULL.connections.map(onWallClock), (row) => row.remote),
    );
    assert.deepEqual(byKey(reopened.cgroups, (row) => row.path), byKey(FULL.cgroups.map(onWallClock), (row) => row.path));
    assert.deepEqual(byKey(reopened.alerts, (row) => row.key), byKey(FULL.alerts.map(onWallClock), (row) => row.key));
    assert.deepEqual(reopened.otherCounts, { commands: 0, files: 0, connections: 0 });
  });

  test('keeps each row\'s columns in their order, and columns it does not know (a newer clawtop\'s)', () => {
    const reopened = modelSnapshotOf(withCell('files', 'inode', 1234));
    const file = reopened.files[0]!;
    assert.deepEqual(Object.keys(file), [...Object.keys(SNAPSHOT.files[0]!), 'inode']);
    assert.equal((file as unknown as Record<string, unknown>).inode, 1234);
  });

  test('an alert without a subject has no subject columns', () => {
    const alert = modelSnapshotOf(snapshotDocument(FULL)).alerts.find((row) => row.key === 'host-opens')!;
    assert.equal('subjectPid' in alert, false);
    assert.equal('subjectCgroupId' in alert, false);
  });

  const REFUSED: [what: string, document: () => SnapshotDocument, message: string][] = [
    ['a missing column', () => withCell('processes', 'argv', undefined), 'panes.processes[0].argv: missing (expected an array of strings)'],
    ['a number as text', () => withCell('files', 'opens', '12'), 'panes.files[0].opens: expected a number'],
    ['a date that is not one', () => withCell('connections', 'lastSeen', 'yesterday'), 'panes.connections[0].lastSeen: expected an ISO 8601 time such as 2026-01-31T12:00:00.000Z'],
    ['an unknown state', () => withCell('processes', 'state', 'zombie'), 'panes.processes[0].state: expected one of running, exited'],
    ['an unknown severity', () => withCell('alerts', 'severity', 'dire'), 'panes.alerts[0].severity: expected one of info, low, medium, high, critical'],
    ['a subject that is not a number', () => withCell('alerts', 'subjectCgroupId', 'ten'), 'panes.alerts[0].subjectCgroupId: expected a number, or no such column'],
    ['null where the model has none', () => withCell('cgroups', 'rxBytes', null), 'panes.cgroups[0].rxBytes: expected a number'],
    [
      'an unknown hook mode',
      () => {
        const document = snapshotDocument(FULL);
        return { ...document, hooks: [document.hooks[0]!, { ...document.hooks[1]!, mode: 'magic' }] };
      },
      'hooks[1].mode: expected one of preferred, fallback, unavailable',
    ],
  ];
  for (const [what, document, message] of REFUSED) {
    test(`refuses ${what}, naming the cell`, () => {
      assert.throws(() => modelSnapshotOf(document()), (error) => {
        assert.ok(error instanceof SnapshotColumnError);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});

test('modelColumnName is the reverse of documentColumnName', () => {
  for (const column of ['firstSeenMs', 'lastSeenMs', 'firstNs', 'lastNs', 'pid', 'opensPerSecond10']) {
    assert.equal(modelColumnName(documentColumnName(column)), column);
  }
  assert.equal(modelColumnName('lastSeen'), 'lastSeenMs');
  assert.equal(modelColumnName('last'), 'lastNs');
});
