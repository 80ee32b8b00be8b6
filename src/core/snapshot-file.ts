/**
 * The snapshot file: one JSON document with everything on screen (W, or --snapshot FILE
 * --duration N), written atomically with mode 0600, and read back (validated) for --replay.
 * The schema is documented in docs/SNAPSHOT.md; keep the two in step. Every failure is one
 * line: `failed to write snapshot <path>: <reason>` or `failed to read snapshot <path>: <reason>`.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const SNAPSHOT_FORMAT = 'clawtop-snapshot';
export const SNAPSHOT_VERSION = 1;

/** The panes, in screen order; each is one array of rows in the document. */
export const SNAPSHOT_PANE_NAMES = ['processes', 'commands', 'files', 'connections', 'cgroups', 'alerts'] as const;
export type SnapshotPaneName = (typeof SNAPSHOT_PANE_NAMES)[number];

/** A cell of a row: the model's row types are defined elsewhere; the file only keeps rows flat. */
export type SnapshotValue = string | number | boolean | null | readonly (string | number)[];
export type SnapshotRow = Readonly<Record<string, SnapshotValue>>;

export interface SnapshotHook {
  readonly monitor: string;
  readonly hook: string;
  readonly mode: string;
  readonly attached: boolean;
  readonly reason: string | null;
}

export interface SnapshotFeature {
  readonly feature: string;
  readonly available: boolean;
  readonly reason: string | null;
}

export interface SnapshotCounter {
  readonly kind: string;
  readonly emitted: number;
  readonly dropped: number;
  readonly received: number;
}

export interface SnapshotFilter {
  readonly text: string;
  readonly kernel: readonly string[];
  readonly user: readonly string[];
}

export interface SnapshotSort {
  readonly pane: SnapshotPaneName;
  readonly column: string;
  readonly descending: boolean;
}

export type SnapshotPanes = { readonly [pane in SnapshotPaneName]: readonly SnapshotRow[] };

export interface SnapshotDocument {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  /** When the snapshot was taken, ISO 8601. */
  readonly time: string;
  readonly host: string;
  readonly kernel: string;
  readonly uptimeSeconds: number;
  /** How long clawtop had been watching when the snapshot was taken. */
  readonly durationSeconds: number;
  readonly hooks: readonly SnapshotHook[];
  readonly features: readonly SnapshotFeature[];
  readonly counters: readonly SnapshotCounter[];
  readonly filter: SnapshotFilter;
  readonly sort: readonly SnapshotSort[];
  readonly panes: SnapshotPanes;
}

// ---------------------------------------------------------------------------------------
// Validation: every check names the field path it failed at, e.g. panes.files[3].opens.

type Check<T> = (value: unknown, path: string) => T;

function shapeError(path: string, expected: string, value: unknown): Error {
  return new Error(value === undefined ? `${path}: missing (expected ${expected})` : `${path}: expected ${expected}`);
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** panes.files, panes.files[3], panes.files[3]["odd key"]. */
function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (!IDENTIFIER.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const object: Check<Record<string, unknown>> = (value, path) => {
  if (!isPlainObject(value)) throw shapeError(path, 'an object', value);
  return value;
};

const string: Check<string> = (value, path) => {
  if (typeof value !== 'string') throw shapeError(path, 'a string', value);
  return value;
};

const boolean: Check<boolean> = (value, path) => {
  if (typeof value !== 'boolean') throw shapeError(path, 'a boolean', value);
  return value;
};

const stringOrNull: Check<string | null> = (value, path) => {
  if (value !== null && typeof value !== 'string') throw shapeError(path, 'a string or null', value);
  return value;
};

const nonNegativeNumber: Check<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw shapeError(path, 'a non-negative number', value);
  }
  return value;
};

const count: Check<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw shapeError(path, 'a non-negative integer', value);
  }
  return value;
};

/** What Date.prototype.toISOString writes, or with an explicit offset. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const isoTime: Check<string> = (value, path) => {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    throw shapeError(path, 'an ISO 8601 time such as 2026-01-31T12:00:00.000Z', value);
  }
  return value;
};

const paneName: Check<SnapshotPaneName> = (value, path) => {
  if (!SNAPSHOT_PANE_NAMES.includes(value as SnapshotPaneName)) {
    throw shapeError(path, `one of ${SNAPSHOT_PANE_NAMES.join(', ')}`, value);
  }
  return value as SnapshotPaneName;
};

function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) throw shapeError(path, 'an array', value);
    return value.map((item, index) => check(item, childPath(path, index)));
  };
}

/** Checks an object's known fields and keeps only those: fields a reader does not know are dropped. */
function record<T>(checks: { readonly [key in keyof T]: Check<T[key]> }): Check<T> {
  return (value, path) => {
    const source = object(value, path);
    const result = {} as T;
    for (const key of Object.keys(checks) as (keyof T & string)[]) {
      result[key] = checks[key](source[key], childPath(path, key));
    }
    return result;
  };
}

function isCell(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || value === null || isFiniteNumber(value);
}

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

const FLAT_VALUE = 'a string, number, boolean, null, or an array of strings and numbers';

/** A row is flat: every value a string, number, boolean, null, or an array of strings and numbers. */
const row: Check<SnapshotRow> = (value, path) => {
  const source = object(value, path);
  for (const [key, cell] of Object.entries(source)) {
    const flat =
      isCell(cell) || (Array.isArray(cell) && cell.every((item) => typeof item === 'string' || isFiniteNumber(item)));
    if (!flat) {
      throw shapeError(childPath(path, key), FLAT_VALUE, cell);
    }
  }
  return source as SnapshotRow;
};

const rows = arrayOf(row);

const checkDocumentBody = record<Omit<SnapshotDocument, 'format' | 'version'>>({
  time: isoTime,
  host: string,
  kernel: string,
  uptimeSeconds: nonNegativeNumber,
  durationSeconds: nonNegativeNumber,
  hooks: arrayOf(
    record<SnapshotHook>({ monitor: string, hook: string, mode: string, attached: boolean, reason: stringOrNull }),
  ),
  features: arrayOf(record<SnapshotFeature>({ feature: string, available: boolean, reason: stringOrNull })),
  counters: arrayOf(record<SnapshotCounter>({ kind: string, emitted: count, dropped: count, received: count })),
  filter: record<SnapshotFilter>({ text: string, kernel: arrayOf(string), user: arrayOf(string) }),
  sort: arrayOf(record<SnapshotSort>({ pane: paneName, column: string, descending: boolean })),
  panes: record<SnapshotPanes>({
    processes: rows,
    commands: rows,
    files: rows,
    connections: rows,
    cgroups: rows,
    alerts: rows,
  }),
});

/**
 * The document in value, checked field by field, as a new object with the fields in schema
 * order (unknown fields dropped; rows kept whole). Throws an Error whose message is the
 * reason in one line. The format marker and the version are checked first, so a file of
 * another kind or version says so rather than naming the first field that differs.
 */
export function validateSnapshot(value: unknown): SnapshotDocument {
  if (!isPlainObject(value) || value.format !== SNAPSHOT_FORMAT) throw new Error('not a clawtop snapshot');
  const version = value.version;
  if (typeof version !== 'number' || !Number.isInteger(version)) throw shapeError('version', 'an integer', version);
  if (version !== SNAPSHOT_VERSION) {
    throw new Error(`snapshot version ${version} is not supported (this clawtop reads version ${SNAPSHOT_VERSION})`);
  }
  return { format: SNAPSHOT_FORMAT, version: SNAPSHOT_VERSION, ...checkDocumentBody(value, '') };
}

// ---------------------------------------------------------------------------------------
// Errors in one line.

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Node's "ENOSPC: no space left on device, write" without the code and the call. */
function plainReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const systemMessage = /^[A-Z0-9_]+: (.*?), \w+( '.*')?$/s.exec(message);
  return oneLine(systemMessage?.[1] ?? message);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writeFailureReason(error: unknown, path: string, directory: string): string {
  switch (errorCode(error)) {
    case 'ENOENT':
      // procfs and the like answer ENOENT to a create in a directory that exists.
      return isDirectory(directory) ? `cannot create files in ${directory}` : `no such directory ${directory}`;
    case 'ENOTDIR':
      return `${directory} is not a directory`;
    case 'EISDIR':
      return `${path} is a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    default:
      return plainReason(error);
  }
}

function readFailureReason(error: unknown, path: string): string {
  switch (errorCode(error)) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return `${path} is a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return plainReason(error);
  }
}

/** 1-based line and column of a character position in text. */
function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column} (position ${position})`;
}

/**
 * Why JSON.parse rejected text, from V8's message: a text that stops before the document
 * is complete is truncated (a half-written or cut copy); anything else is corrupt, at the
 * position JSON.parse gives. V8 gives no position for an unexpected token, only the token.
 */
function jsonFailureReason(text: string, error: unknown): string {
  if (text.trim() === '') return 'the file is empty';
  const message = error instanceof Error ? error.message : String(error);
  const atPosition = /^(.*?)(?: in JSON)? at position (\d+)$/s.exec(message);
  const position = atPosition === null ? undefined : Number(atPosition[2]);
  if (message === 'Unexpected end of JSON input' || (position !== undefined && position >= text.trimEnd().length)) {
    return `truncated JSON: it ends at ${lineAndColumn(text, text.length)} before the document is complete`;
  }
  if (atPosition !== null && position !== undefined) {
    const what = atPosition[1]!;
    return `corrupt JSON at ${lineAndColumn(text, position)}: ${what.charAt(0).toLowerCase()}${what.slice(1)}`;
  }
  const token = /^Unexpected token '(.+?)', /su.exec(message)?.[1];
  if (token !== undefined) return `corrupt JSON: unexpected character ${JSON.stringify(token)}`;
  return `corrupt JSON: ${oneLine(message).slice(0, 120)}`;
}

// ---------------------------------------------------------------------------------------
// The file.

function ignoreFailure(action: () => void): void {
  try {
    action();
  } catch {
    // the caller is already reporting the failure that matters
  }
}

/** Makes the rename itself durable. Some file systems cannot sync a directory (EINVAL): the file is whole anyway. */
function syncDirectory(directory: string): void {
  const descriptor = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(descriptor);
  } catch (error) {
    if (errorCode(error) !== 'EINVAL') throw error;
  } finally {
    closeSync(descriptor);
  }
}

/** The name W gives a snapshot file written at date: clawtop-20261125-014600.json. */
export function snapshotFileName(date: Date): string {
  return `clawtop-${date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}.json`;
}

/** The temp file of one write: `.<name>.<writer pid>.<random>.tmp`, next to the target. */
export function snapshotTempPath(path: string, pid = process.pid): string {
  return join(dirname(path), `.${basename(path)}.${pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH'; // EPERM: alive, someone else's
  }
}

/**
 * A writer killed between creating its temp file and renaming it (SIGKILL, a power cut)
 * cannot remove the temp file itself: the next write to the same target does, for every
 * temp file whose writer process is gone. A temp file of a live writer is left alone: two
 * clawtops may write the same target. Never fails: this is tidying, not the write.
 */
export function removeStaleSnapshotTemps(path: string): string[] {
  const directory = dirname(path);
  const prefix = `.${basename(path)}.`;
  const removed: string[] = [];
  let names: string[] = [];
  ignoreFailure(() => (names = readdirSync(directory)));
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length))?.[1];
    if (pid === undefined || Number(pid) === process.pid || !processIsGone(Number(pid))) continue;
    ignoreFailure(() => {
      rmSync(join(directory, name));
      removed.push(name);
    });
  }
  return removed;
}

/**
 * Writes document to path so that path is always either the old file or the whole new one:
 * the text goes to a temp file in the same directory (a rename only replaces atomically
 * within one file system), is synced, then renamed over path. The temp file is created
 * exclusively with mode 0600, so it is never readable by others, not even for a moment,
 * and the final file is 0600 whatever mode a file it replaces had. The document is
 * validated first, so clawtop never writes a file it would refuse to read back (a NaN,
 * which JSON would quietly turn into null, is caught here). On failure the temp file is
 * removed and an Error with one line `failed to write snapshot <path>: <reason>` thrown.
 * A temp file left by a writer that was killed is removed by the next write (see
 * removeStaleSnapshotTemps).
 */
export function writeSnapshotFile(path: string, document: SnapshotDocument): void {
  const fail = (reason: string, cause?: unknown) =>
    new Error(`failed to write snapshot ${path}: ${reason}`, cause === undefined ? undefined : { cause });

  let text: string;
  try {
    text = `${JSON.stringify(validateSnapshot(document), null, 2)}\n`;
  } catch (error) {
    throw fail(`not a valid snapshot: ${oneLine(error instanceof Error ? error.message : String(error))}`, error);
  }

  const directory = dirname(path);
  removeStaleSnapshotTemps(path);
  const tempPath = snapshotTempPath(path);
  let descriptor: number | undefined;
  let tempExists = false;
  try {
    // O_EXCL: never reuse (or follow a symlink planted at) an existing name.
    descriptor = openSync(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    tempExists = true;
    fchmodSync(descriptor, 0o600); // a umask can only remove bits; this makes the result exactly 0600
    writeFileSync(descriptor, text);
    fsyncSync(descriptor);
    closeSync(descriptor);
    descriptor = undefined;
    renameSync(tempPath, path);
    tempExists = false;
    syncDirectory(directory);
  } catch (error) {
    // Clean up without letting a second failure hide the first one.
    const openDescriptor = descriptor;
    if (openDescriptor !== undefined) ignoreFailure(() => closeSync(openDescriptor));
    if (tempExists) ignoreFailure(() => rmSync(tempPath, { force: true }));
    throw fail(writeFailureReason(error, path, directory), error);
  }
}

/**
 * Reads and validates the snapshot at path. Throws an Error with one line
 * `failed to read snapshot <path>: <reason>`: no such file, truncated or corrupt JSON
 * (with the position), not a clawtop snapshot, another version, or the first field that
 * does not fit the schema (`panes.files[3]: expected an object`).
 */
export function readSnapshotFile(path: string): SnapshotDocument {
  const fail = (reason: string, cause: unknown) => new Error(`failed to read snapshot ${path}: ${reason}`, { cause });

  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw fail(readFailureReason(error, path), error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(jsonFailureReason(text, error), error);
  }
  try {
    return validateSnapshot(value);
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
}
