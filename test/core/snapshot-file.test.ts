import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';

import {
  readSnapshotFile,
  snapshotTempPath,
  validateSnapshot,
  writeSnapshotFile,
  type SnapshotDocument,
} from '../../src/core/snapshot-file.ts';

const DOCUMENT: SnapshotDocument = {
  format: 'clawtop-snapshot',
  version: 1,
  time: '2026-11-25T01:46:00.000Z',
  host: 'build-7',
  kernel: '6.18.44-fc-v669',
  uptimeSeconds: 86400.5,
  durationSeconds: 30,
  hooks: [
    { monitor: 'exec', hook: 'tp_btf/sched_process_exec', mode: 'preferred', attached: true, reason: null },
    {
      monitor: 'files',
      hook: 'tracepoint/syscalls/sys_exit_openat',
      mode: 'fallback',
      attached: true,
      reason: 'lsm/file_open does not load: BPF LSM is not enabled',
    },
  ],
  features: [
    { feature: 'lsm', available: false, reason: 'BPF LSM is not enabled' },
    { feature: 'fentry', available: true, reason: null },
  ],
  counters: [
    { kind: 'exec', emitted: 120, dropped: 0, received: 120 },
    { kind: 'file', emitted: 9000, dropped: 12, received: 8988 },
  ],
  filter: { text: 'comm==nginx, uid!=0', kernel: ['uid!=0'], user: ['comm==nginx'] },
  sort: [
    { pane: 'processes', column: 'pid', descending: false },
    { pane: 'files', column: 'opens', descending: true },
  ],
  panes: {
    processes: [
      { pid: 42, ppid: 1, user: 'www-data', comm: 'nginx', argv: ['nginx', '-g', 'daemon off;'], exitCode: null },
    ],
    commands: [{ comm: 'nginx', execsPerSecond: 0.5 }],
    files: [
      { path: '/etc/passwd', opens: 3, opensPerSecond: 0.1, processes: [42, 43], lastResult: 0, operation: 'read' },
    ],
    connections: [{ comm: 'curl', protocol: 'tcp', remote: '93.184.216.34:443', direction: 'outbound', ok: true }],
    cgroups: [{ path: '/system.slice/web.service', rxBytesPerSecond: 1536, txBytesPerSecond: 0 }],
    alerts: [],
  },
};

const FLAT = 'a string, number, boolean, null, or an array of strings and numbers';
const ISO = 'an ISO 8601 time such as 2026-01-31T12:00:00.000Z';

const scratch = mkdtempSync(join(tmpdir(), 'clawtop-snapshot-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let directoryCount = 0;
/** A fresh empty directory under the test's scratch directory. */
function freshDirectory(): string {
  const directory = join(scratch, `case-${++directoryCount}`);
  mkdirSync(directory);
  return directory;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Deletes the field a change sets to this. */
const REMOVED = Symbol('removed');

/** A deep copy of the example with the field at path (e.g. ['hooks', 1, 'attached']) set to value. */
function changed(path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(DOCUMENT) as unknown as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === REMOVED) delete parent[last];
  else parent[last] = value;
  return copy;
}

test('a snapshot written and read back is the same document, in pretty JSON ending with a newline', () => {
  const directory = freshDirectory();
  const path = join(directory, 'snap.json');
  writeSnapshotFile(path, DOCUMENT);
  assert.deepEqual(readSnapshotFile(path), DOCUMENT);
  const text = readFileSync(path, 'utf8');
  assert.equal(text, `${JSON.stringify(DOCUMENT, null, 2)}\n`);
  assert.deepEqual(readdirSync(directory), ['snap.json'], 'no temp file left');
});

test('fields are written in schema order and fields the schema does not know are dropped', () => {
  const directory = freshDirectory();
  const path = join(directory, 'snap.json');
  const { panes, format, ...rest } = DOCUMENT;
  const shuffled = { panes, ...rest, extra: 'not in the schema', format } as unknown as SnapshotDocument;
  writeSnapshotFile(path, shuffled);
  assert.equal(readFileSync(path, 'utf8'), `${JSON.stringify(DOCUMENT, null, 2)}\n`);
});

test('a new snapshot file has mode 0600', () => {
  const path = join(freshDirectory(), 'snap.json');
  const oldUmask = process.umask(0o022);
  try {
    writeSnapshotFile(path, DOCUMENT);
  } finally {
    process.umask(oldUmask);
  }
  assert.equal(modeOf(path), 0o600);
});

test('a snapshot written over an existing 0644 file replaces it and has mode 0600', () => {
  const directory = freshDirectory();
  const path = join(directory, 'snap.json');
  writeFileSync(path, 'old contents\n');
  chmodSync(path, 0o644);
  writeSnapshotFile(path, DOCUMENT);
  assert.equal(modeOf(path), 0o600);
  assert.deepEqual(readSnapshotFile(path), DOCUMENT);
  assert.deepEqual(readdirSync(directory), ['snap.json']);
});

/**
 * A directory no one can create files in, root included: sysfs refuses creates with EACCES.
 * Without root, a directory with mode 0500 does. Undefined when neither is available.
 */
function unwritableDirectory(): string | undefined {
  if (process.getuid?.() !== 0) {
    const directory = freshDirectory();
    chmodSync(directory, 0o500);
    return directory;
  }
  const probe = '/sys/kernel/.clawtop-snapshot-probe';
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? '/sys/kernel' : undefined;
  }
}

interface WriteFailure {
  readonly name: string;
  /** Prepares the case in a fresh directory; returns the path to write and what the directory should hold after. */
  readonly setUp: (directory: string) => { path: string; expectedReason: string; expectedEntries: string[] };
  readonly document?: unknown;
}

const WRITE_FAILURES: readonly WriteFailure[] = [
  {
    name: 'the directory does not exist',
    setUp: (directory) => ({
      path: join(directory, 'missing', 'snap.json'),
      expectedReason: `no such directory ${join(directory, 'missing')}`,
      expectedEntries: [],
    }),
  },
  {
    name: 'the target is a directory',
    setUp: (directory) => {
      mkdirSync(join(directory, 'taken'));
      return {
        path: join(directory, 'taken'),
        expectedReason: `${join(directory, 'taken')} is a directory`,
        expectedEntries: ['taken'],
      };
    },
  },
  {
    name: 'a parent is a regular file',
    setUp: (directory) => {
      writeFileSync(join(directory, 'plain'), '');
      return {
        path: join(directory, 'plain', 'snap.json'),
        expectedReason: `${join(directory, 'plain')} is not a directory`,
        expectedEntries: ['plain'],
      };
    },
  },
  {
    name: 'the document does not fit the schema (a NaN that JSON would write as null)',
    document: { ...DOCUMENT, uptimeSeconds: Number.NaN },
    setUp: (directory) => ({
      path: join(directory, 'snap.json'),
      expectedReason: 'not a valid snapshot: uptimeSeconds: expected a non-negative number',
      expectedEntries: [],
    }),
  },
];

for (const { name, setUp, document = DOCUMENT } of WRITE_FAILURES) {
  test(`write fails in one line when ${name}, and leaves no temp file`, () => {
    const directory = freshDirectory();
    const { path, expectedReason, expectedEntries } = setUp(directory);
    assert.throws(() => writeSnapshotFile(path, document as SnapshotDocument), {
      message: `failed to write snapshot ${path}: ${expectedReason}`,
    });
    assert.deepEqual(readdirSync(directory).sort(), expectedEntries);
    if (expectedEntries.includes('taken')) assert.deepEqual(readdirSync(join(directory, 'taken')), []);
  });
}

test('write fails in one line when the directory is not writable', (context) => {
  const directory = unwritableDirectory();
  if (directory === undefined) {
    context.skip('running as root and /sys/kernel accepts creates here: no directory refuses root');
    return;
  }
  const path = join(directory, 'clawtop-snapshot.json');
  const before = readdirSync(directory);
  assert.throws(() => writeSnapshotFile(path, DOCUMENT), {
    message: `failed to write snapshot ${path}: permission denied`,
  });
  assert.deepEqual(readdirSync(directory), before);
});

test('write fails in one line in a directory that exists but takes no files (procfs)', () => {
  const path = '/proc/clawtop-snapshot.json';
  assert.throws(() => writeSnapshotFile(path, DOCUMENT), {
    message: `failed to write snapshot ${path}: cannot create files in /proc`,
  });
});

test('a failed write leaves the previous snapshot whole', () => {
  const directory = freshDirectory();
  const path = join(directory, 'snap.json');
  writeSnapshotFile(path, DOCUMENT);
  const before = readFileSync(path, 'utf8');
  assert.throws(() => writeSnapshotFile(path, { ...DOCUMENT, time: 'yesterday' }), {
    message: `failed to write snapshot ${path}: not a valid snapshot: time: expected ${ISO}`,
  });
  assert.equal(readFileSync(path, 'utf8'), before);
  assert.deepEqual(readdirSync(directory), ['snap.json']);
});

const FILE_ROW = DOCUMENT.panes.files[0]!;
const VALID_TEXT = `${JSON.stringify(DOCUMENT, null, 2)}\n`;

interface ReadFailure {
  readonly name: string;
  /** The file's text, or a function that makes the path in a directory; undefined: no file. */
  readonly contents: string | ((path: string) => void) | undefined;
  readonly reason: (path: string) => string;
}

const READ_FAILURES: readonly ReadFailure[] = [
  { name: 'a missing file', contents: undefined, reason: () => 'no such file' },
  { name: 'a directory', contents: (path) => mkdirSync(path), reason: (path) => `${path} is a directory` },
  { name: 'an empty file', contents: '', reason: () => 'the file is empty' },
  {
    name: 'a file cut inside a string',
    contents: '{\n  "format": "clawtop-snapshot",\n  "version": 1,\n  "time": "2026-',
    reason: () => 'truncated JSON: it ends at line 4, column 17 (position 66) before the document is complete',
  },
  {
    name: 'a file cut after a comma, with a trailing newline',
    contents: '{\n  "format": "clawtop-snapshot",\n',
    reason: () => 'truncated JSON: it ends at line 3, column 1 (position 34) before the document is complete',
  },
  {
    name: 'a file cut between tokens',
    contents: VALID_TEXT.slice(0, 20),
    reason: () => 'truncated JSON: it ends at line 2, column 19 (position 20) before the document is complete',
  },
  {
    name: 'a corrupt file, with the position',
    contents: '{\n  "format": "clawtop-snapshot",\n  "version" 1\n}\n',
    reason: () =>
      'corrupt JSON at line 3, column 13 (position 46): unexpected number',
  },
  {
    name: 'text after the document',
    contents: `${VALID_TEXT}}`,
    reason: () =>
      `corrupt JSON at line ${VALID_TEXT.split('\n').length}, column 1 (position ${VALID_TEXT.length}): ` +
      'unexpected non-whitespace character after JSON',
  },
  {
    name: 'binary garbage',
    contents: '\u0000\u0001\u0002',
    reason: () => 'corrupt JSON: unexpected character "\\u0000"',
  },
  { name: 'JSON that is not an object', contents: '[1, 2, 3]\n', reason: () => 'not a clawtop snapshot' },
  {
    name: 'another format marker',
    contents: '{"format": "something-else", "version": 1}',
    reason: () => 'not a clawtop snapshot',
  },
  {
    name: 'a newer version',
    contents: JSON.stringify({ format: 'clawtop-snapshot', version: 2, panes: 'different now' }),
    reason: () => 'snapshot version 2 is not supported (this clawtop reads version 1)',
  },
  {
    name: 'a version that is not a number',
    contents: JSON.stringify({ format: 'clawtop-snapshot', version: '1' }),
    reason: () => 'version: expected an integer',
  },
  {
    name: 'a fourth file row with a nested object',
    contents: JSON.stringify({
      ...DOCUMENT,
      panes: { ...DOCUMENT.panes, files: [FILE_ROW, FILE_ROW, FILE_ROW, { ...FILE_ROW, opens: { count: 3 } }] },
    }),
    reason: () => `panes.files[3].opens: expected ${FLAT}`,
  },
];

for (const { name, contents, reason } of READ_FAILURES) {
  test(`reading ${name} fails in one line`, () => {
    const path = join(freshDirectory(), 'snap.json');
    if (typeof contents === 'string') writeFileSync(path, contents);
    else contents?.(path);
    assert.throws(() => readSnapshotFile(path), { message: `failed to read snapshot ${path}: ${reason(path)}` });
  });
}

/** [what is wrong, where, the value put there (REMOVED: none), the reason]. */
const VALIDATION_FAILURES: readonly [string, (string | number)[], unknown, string][] = [
  ['a missing format marker', ['format'], REMOVED, 'not a clawtop snapshot'],
  ['version 0', ['version'], 0, 'snapshot version 0 is not supported (this clawtop reads version 1)'],
  ['a fractional version', ['version'], 1.5, 'version: expected an integer'],
  ['a missing host', ['host'], REMOVED, 'host: missing (expected a string)'],
  ['a time that is not ISO 8601', ['time'], 'Tue Nov 25 2026', `time: expected ${ISO}`],
  ['an impossible date', ['time'], '2026-13-45T00:00:00Z', `time: expected ${ISO}`],
  ['a negative duration', ['durationSeconds'], -1, 'durationSeconds: expected a non-negative number'],
  ['hooks as an object', ['hooks'], {}, 'hooks: expected an array'],
  ['a hook without attached', ['hooks', 1, 'attached'], REMOVED, 'hooks[1].attached: missing (expected a boolean)'],
  ['a feature reason that is a number', ['features', 0, 'reason'], 7, 'features[0].reason: expected a string or null'],
  ['a fractional counter', ['counters', 1, 'dropped'], 1.5, 'counters[1].dropped: expected a non-negative integer'],
  ['a kernel filter term that is a number', ['filter', 'kernel', 1], 3, 'filter.kernel[1]: expected a string'],
  [
    'a sort on a pane that does not exist',
    ['sort', 0, 'pane'],
    'threads',
    'sort[0].pane: expected one of processes, commands, files, connections, cgroups, alerts',
  ],
  ['a missing pane', ['panes', 'alerts'], REMOVED, 'panes.alerts: missing (expected an array)'],
  ['a row that is an array', ['panes', 'cgroups', 0], [1, 2], 'panes.cgroups[0]: expected an object'],
  ['a nested object in a row', ['panes', 'files', 0, 'opens'], { count: 3 }, `panes.files[0].opens: expected ${FLAT}`],
  [
    'a row array holding a boolean, under a key that is not an identifier',
    ['panes', 'files', 0, 'last result'],
    [1, true],
    `panes.files[0]["last result"]: expected ${FLAT}`,
  ],
];

test('validation rejects what is not an object', () => {
  for (const value of [null, 'clawtop-snapshot', [DOCUMENT]]) {
    assert.throws(() => validateSnapshot(value), { message: 'not a clawtop snapshot' });
  }
});

for (const [name, path, value, reason] of VALIDATION_FAILURES) {
  test(`validation names the field: ${name}`, () => {
    assert.throws(() => validateSnapshot(changed(path, value)), { message: reason });
  });
}

test('validation accepts the example, returns a copy, and keeps rows whole', () => {
  const copy = structuredClone(DOCUMENT);
  const validated = validateSnapshot(copy);
  assert.deepEqual(validated, DOCUMENT);
  assert.notEqual(validated, copy);
});

test('the example in docs/SNAPSHOT.md is a valid snapshot', () => {
  const page = readFileSync(new URL('../../docs/SNAPSHOT.md', import.meta.url), 'utf8');
  const example = /```json\n([\s\S]*?)```/.exec(page)?.[1];
  assert.ok(example !== undefined, 'docs/SNAPSHOT.md has a json example');
  assert.equal(validateSnapshot(JSON.parse(example)).host, 'build-7');
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const pid = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
  return Number(pid);
}

// A writer killed by SIGKILL between creating its temp file and renaming it cannot clean up
// (test/kernel/crash.test.ts kills clawtop mid-write): the next write to the target does.
test('a write removes the temp files that dead writers left for the same target, and nothing else', () => {
  const directory = freshDirectory();
  const path = join(directory, 'snap.json');
  const stale = snapshotTempPath(path, deadPid());
  const live = snapshotTempPath(path, 1); // init never exits: its writer may still be writing
  const otherTarget = snapshotTempPath(join(directory, 'other.json'), deadPid());
  const notOurs = join(directory, '.snap.json.notes.tmp');
  for (const file of [stale, live, otherTarget, notOurs]) writeFileSync(file, '{"half":', { mode: 0o600 });

  writeSnapshotFile(path, DOCUMENT);
  assert.deepEqual(
    readdirSync(directory).sort(),
    [live, otherTarget, notOurs, path].map((file) => basename(file)).sort(),
    "only the dead writer's temp file of this target is gone",
  );
  assert.deepEqual(readSnapshotFile(path), DOCUMENT);
});
