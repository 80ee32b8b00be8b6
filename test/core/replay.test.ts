// Replaying a recording needs no root and no kernel: the sample in docs/ is played headless
// as an unprivileged user, and every way a file can be unfit for replay is one line, exit 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { RECORDING_VERSION, parseRecording } from '../../src/core/recording.ts';
import { snapshotDocument } from '../ui/fixtures.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;
const SAMPLE = join(PROJECT, 'docs/sample.clawtop-rec');
const NOBODY = 65534;

/** clawtop as an unprivileged user: nobody when the tests run as root, else the user running them. */
function clawtopUnprivileged(...args: string[]) {
  const command = [process.execPath, '--import', 'tsx', 'src/cli.tsx', ...args];
  const asNobody = process.getuid?.() === 0 ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : [];
  const [program, ...rest] = [...asNobody, ...command];
  return spawnSync(program!, rest, { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } });
}

function scratch(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-replay-'));
  // Writable by the unprivileged user clawtop runs as.
  if (process.getuid?.() === 0) chownSync(directory, NOBODY, NOBODY);
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

test('the sample recording has its header: format, version, kernel, boot time, host, hooks, clawtop version', () => {
  const recording = parseRecording(SAMPLE, readFileSync(SAMPLE));
  const { header } = recording;
  assert.equal(header.format, 'clawtop-recording');
  assert.equal(header.version, RECORDING_VERSION);
  assert.match(header.kernel, /^\d+\.\d+/);
  assert.ok(header.host.length > 0);
  assert.ok(header.bootTimeWallMs > Date.UTC(2020, 0, 1) && header.bootTimeWallMs < Date.now());
  assert.match(header.clawtopVersion, /^\d+\.\d+\.\d+/);
  assert.ok(header.hooks.hooks.some((hook) => hook.monitor === 'exec' && hook.attached));
  assert.equal(recording.truncated, false);
  const types = new Set(recording.records.map((record) => record.type));
  for (const type of ['batch', 'tick', 'labels', 'end'] as const) assert.ok(types.has(type), `no ${type} record`);
  assert.ok(readFileSync(SAMPLE).length < 200 * 1024, 'the sample must stay small');
});

test('clawtop --replay docs/sample.clawtop-rec --json --speed max, unprivileged, finds its execs, opens and connects', () => {
  const result = clawtopUnprivileged('--replay', SAMPLE, '--json', '--speed', 'max');
  assert.equal(result.stderr, '');
  assert.equal(result.status, 0);
  const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(lines[0]!.kind, 'hooks');
  assert.equal(lines.at(-1)!.kind, 'summary');
  const events = lines.slice(1, -1);
  const echo = events.find((event) => event.kind === 'exec' && (event.argv as string[]).join(' ') === '/bin/echo sample-1');
  assert.ok(echo, 'no exec of /bin/echo sample-1');
  assert.equal(echo.uid, NOBODY);
  // The recorded clock maps to the recording's dates, not to now.
  const { bootTimeWallMs } = parseRecording(SAMPLE, readFileSync(SAMPLE)).header;
  assert.equal(echo.time, new Date(bootTimeWallMs + (echo.timestampNs as number) / 1e6).toISOString());
  assert.ok(events.some((event) => event.kind === 'file' && event.path === '/etc/hostname' && event.comm === 'cat'));
  assert.ok(events.some((event) => event.kind === 'net' && event.errno === 'ECONNREFUSED' && event.destinationPort === 9));
  const summary = lines.at(-1)!.events as Record<string, { emitted: number; received: number }>;
  assert.equal(summary.exec!.received, summary.exec!.emitted);
});

test('--replay --snapshot writes the recording\'s tables, with the recorded host', (t) => {
  const directory = scratch(t);
  const output = join(directory, 'replayed.json');
  const result = clawtopUnprivileged('--replay', SAMPLE, '--snapshot', output, '--speed', '0');
  assert.equal(result.stderr, '');
  assert.equal(result.status, 0);
  const document = JSON.parse(readFileSync(output, 'utf8'));
  const header = parseRecording(SAMPLE, readFileSync(SAMPLE)).header;
  assert.equal(document.host, header.host);
  assert.equal(document.kernel, header.kernel);
  assert.ok(document.panes.commands.some((row: { comm: string }) => row.comm === 'curl'));
  assert.ok(document.panes.connections.some((row: { remote?: string }) => JSON.stringify(row).includes('127.0.0.1:9')));
});

test('--speed paces the replay by the recorded times', () => {
  const { records, header } = parseRecording(SAMPLE, readFileSync(SAMPLE));
  const recordedSeconds = (records.at(-1)!.timestampNs - header.startedNs) / 1e9;
  const started = performance.now();
  const result = clawtopUnprivileged('--replay', SAMPLE, '--json', '--speed', '4');
  const elapsedSeconds = (performance.now() - started) / 1000;
  assert.equal(result.status, 0);
  assert.ok(elapsedSeconds >= recordedSeconds / 4, `${elapsedSeconds} s for ${recordedSeconds} s at 4x`);
});

/** The sample with its bytes changed by edit, written where nobody can read it. */
function damagedCopy(t: TestContext, name: string, edit: (data: Buffer) => Buffer): string {
  const path = join(scratch(t), name);
  writeFileSync(path, edit(Buffer.from(readFileSync(SAMPLE))), { mode: 0o644 });
  return path;
}

const headerEnd = (data: Buffer) => 16 + data.readUInt32LE(12);

const UNFIT: [name: string, edit: ((data: Buffer) => Buffer) | undefined, message: (path: string) => string][] = [
  ['missing.clawtop-rec', undefined, (path) => `failed to read ${path}: no such file`],
  [
    'other-version.clawtop-rec',
    (data) => (data.writeUInt32LE(99, 8), data),
    (path) => `${path} is a version 99 recording; this clawtop reads version ${RECORDING_VERSION}`,
  ],
  ['cut-header.clawtop-rec', (data) => data.subarray(0, 100), (path) => `${path} is truncated: its header is incomplete`],
  [
    'corrupt.clawtop-rec',
    (data) => (data.writeUInt32LE(77, headerEnd(data)), data),
    (path) => `${path} is corrupt: unknown record type 77 at byte ${headerEnd(readFileSync(SAMPLE))}`,
  ],
  ['not-a-recording.json', () => Buffer.from('{"hello":'), (path) => `failed to read snapshot ${path}: truncated JSON: it ends at line 1, column 10 (position 9) before the document is complete`],
];

for (const [name, edit, message] of UNFIT) {
  test(`--replay ${name}: one line, exit 1, nothing written`, (t) => {
    const directory = scratch(t);
    const path = edit === undefined ? join(directory, name) : damagedCopy(t, name, edit);
    const output = join(directory, 'out.json');
    const result = clawtopUnprivileged('--replay', path, '--json', '--snapshot', output);
    assert.equal(result.stderr, `clawtop: ${message(path)}\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 1);
    assert.throws(() => readFileSync(output), /ENOENT/);
  });
}

/** The fixtures' snapshot as clawtop writes it, its text changed by edit, in a file nobody can read. */
function snapshotFile(t: TestContext, name: string, edit: (text: string) => string): string {
  const path = join(scratch(t), name);
  writeFileSync(path, edit(`${JSON.stringify(snapshotDocument(), null, 2)}\n`), { mode: 0o644 });
  return path;
}

/** Where JSON.parse stops reading text, as the snapshot reader says it. */
function endOf(text: string): string {
  const lines = text.split('\n');
  return `line ${lines.length}, column ${lines.at(-1)!.length + 1} (position ${text.length})`;
}

const CUT_AT = 300;

const UNFIT_SNAPSHOTS: [name: string, edit: (text: string) => string, reason: (text: string) => string][] = [
  [
    'other-version.json',
    (text) => text.replace('"version": 1', '"version": 2'),
    () => 'snapshot version 2 is not supported (this clawtop reads version 1)',
  ],
  [
    'truncated.json',
    (text) => text.slice(0, CUT_AT),
    (text) => `truncated JSON: it ends at ${endOf(text.slice(0, CUT_AT))} before the document is complete`,
  ],
  [
    'corrupt.json',
    (text) => text.replace('"clawtop-snapshot",', '"clawtop-snapshot";'),
    () => 'corrupt JSON at line 2, column 31 (position 32): expected \',\' or \'}\' after property value',
  ],
  ['not-a-snapshot.json', () => '{"hello": "world"}\n', () => 'not a clawtop snapshot'],
  [
    'missing-column.json',
    (text) => text.replace(/"argv": \[[^\]]*\],\n\s*/, ''),
    () => 'panes.processes[0].argv: missing (expected an array of strings)',
  ],
];

for (const [name, edit, reason] of UNFIT_SNAPSHOTS) {
  test(`--replay ${name} (a snapshot it cannot show): one line, exit 1`, (t) => {
    const path = snapshotFile(t, name, edit);
    // Without a terminal the screen could not start either: the file is checked first.
    const result = clawtopUnprivileged('--replay', path);
    const text = `${JSON.stringify(snapshotDocument(), null, 2)}\n`;
    assert.equal(result.stderr, `clawtop: failed to read snapshot ${path}: ${reason(text)}\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 1);
  });
}

test('--replay of a snapshot with --json or --snapshot is a usage error: a snapshot reopens on the screen only', (t) => {
  const path = snapshotFile(t, 'fine.json', (text) => text);
  const output = join(dirname(path), 'out.json');
  for (const args of [['--json'], ['--snapshot', output]]) {
    const result = clawtopUnprivileged('--replay', path, ...args);
    assert.equal(result.stderr, `clawtop: ${path} is a snapshot: it reopens on the screen only (without --json or --snapshot)\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 2);
  }
  assert.throws(() => readFileSync(output), /ENOENT/);
});

test('a recording cut in the middle of a record replays its whole records and says it was cut short', (t) => {
  const path = damagedCopy(t, 'killed.clawtop-rec', (data) => data.subarray(0, data.length - 700));
  const result = clawtopUnprivileged('--replay', path, '--json', '--speed', 'max');
  assert.equal(result.status, 0);
  assert.match(result.stderr, /^clawtop: .* was cut short \(no end record\): replayed its [\d.]+ s of whole records\n$/);
  assert.ok(result.stdout.includes('/bin/echo'));
  assert.ok(result.stdout.trimEnd().split('\n').at(-1)!.includes('"kind":"summary"'));
});

test('--record never writes over a file, and is refused before anything is loaded', (t) => {
  const path = join(scratch(t), 'exists.clawtop-rec');
  writeFileSync(path, 'keep me');
  const result = clawtopUnprivileged('--record', path, '--json', '--duration', '1');
  assert.equal(result.stderr, `clawtop: failed to create recording ${path}: ${path} exists (a recording is never overwritten)\n`);
  assert.equal(result.status, 1);
  assert.equal(readFileSync(path, 'utf8'), 'keep me');
});
