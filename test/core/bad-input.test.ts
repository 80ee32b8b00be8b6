// Every row of docs/BAD-INPUT.md, run as a user would: clawtop refuses the input before it
// touches the kernel, with exactly one line on stderr (no stack trace), nothing on stdout,
// exit 2 for a usage error and 1 for the rest, and no output file (nor its temp file) left.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

const PROJECT = new URL('../..', import.meta.url).pathname;
const EXIT_RUNTIME_FAILURE = 1;
const EXIT_USAGE = 2;

function clawtop(args: readonly string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.tsx', ...args], { cwd: PROJECT, encoding: 'utf8' });
}

/** A fresh, empty directory for one row's output, removed when the test ends. */
function outputDirectory(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-bad-input-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/**
 * A directory clawtop cannot create files in. Root writes through permission bits, so as
 * root it is a read-only tmpfs mount; as anyone else a mode 0555 directory is enough.
 */
function unwritableDirectory(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-bad-input-ro-'));
  const mounted = process.getuid?.() === 0;
  if (mounted) execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=4k', 'clawtop-bad-input', directory]);
  else chmodSync(directory, 0o555);
  t.after(() => {
    if (mounted) execFileSync('umount', [directory]);
    rmSync(directory, { recursive: true, force: true });
  });
  return directory;
}

interface Row {
  /** What the user did, as docs/BAD-INPUT.md words it. */
  readonly input: string;
  /**
   * The arguments, and the message: DIR is a fresh empty directory (checked empty
   * afterwards), OUT a file name in it, RO a directory clawtop cannot create files in.
   */
  readonly args: readonly string[];
  readonly message: string;
  readonly exitCode: typeof EXIT_USAGE | typeof EXIT_RUNTIME_FAILURE;
}

const FILTER_FIELDS =
  'comm, pid, ppid, uid, user, argv, filename, exit, path, op, result, errno, cgroup, proto, dir, src, dst, sport, dport, port, kind, severity';
const THRESHOLD_FORMAT = '--cgroup-threshold must be CGROUP=RATE such as /system.slice/x.service=10M, got';

/** In the order of docs/BAD-INPUT.md's table. */
const ROWS: readonly Row[] = [
  // Flags and arguments.
  { input: 'unknown flag', args: ['--json', '--snapshot', 'OUT', '--bogus'], message: 'unknown flag --bogus (see --help)', exitCode: EXIT_USAGE },
  { input: 'unknown short flag', args: ['--json', '-x'], message: 'unknown flag -x (see --help)', exitCode: EXIT_USAGE },
  { input: 'stray argument', args: ['--json', 'extra'], message: 'unexpected argument "extra" (see --help)', exitCode: EXIT_USAGE },
  { input: 'unknown monitor', args: ['--json', '--monitors', 'exec,disk'], message: '--monitors: unknown monitor "disk" (choose from exec, files, net, cgroup, syscalls)', exitCode: EXIT_USAGE },
  { input: 'no terminal for the interactive view', args: [], message: 'the interactive view needs a terminal: use --json or --snapshot when piping', exitCode: EXIT_USAGE },
  // Numbers.
  { input: 'ring size not a power of two', args: ['--snapshot', 'OUT', '--ring-size', '3000'], message: '--ring-size: ring size must be a power of two from 4K to 1G, got 3000', exitCode: EXIT_USAGE },
  { input: 'ring size too large', args: ['--json', '--ring-size', '2G'], message: '--ring-size: ring size must be a power of two from 4K to 1G, got 2147483648', exitCode: EXIT_USAGE },
  { input: 'ring size too small', args: ['--json', '--ring-size', '1K'], message: '--ring-size: ring size must be a power of two from 4K to 1G, got 1024', exitCode: EXIT_USAGE },
  { input: 'ring size not a size', args: ['--json', '--ring-size', 'big'], message: '--ring-size must be a size such as 8M or 4096, got "big"', exitCode: EXIT_USAGE },
  { input: 'negative duration', args: ['--snapshot', 'OUT', '--duration', '-5'], message: '--duration must be a number of seconds above 0, got -5', exitCode: EXIT_USAGE },
  { input: 'zero duration', args: ['--json', '--duration', '0'], message: '--duration must be a number of seconds above 0, got 0', exitCode: EXIT_USAGE },
  { input: 'duration not a number', args: ['--json', '--duration', 'soon'], message: '--duration must be a number of seconds above 0, got NaN', exitCode: EXIT_USAGE },
  { input: 'port out of range (==)', args: ['--snapshot', 'OUT', '--duration', '1', '--filter', 'dport==70000'], message: '--filter: at 8: dport must be a port number from 0 to 65535, got 70000', exitCode: EXIT_USAGE },
  { input: 'port out of range (>)', args: ['--json', '--filter', 'port>65536'], message: '--filter: at 6: port must be a port number from 0 to 65535, got 65536', exitCode: EXIT_USAGE },
  { input: 'negative port', args: ['--json', '--filter', 'sport==-1'], message: '--filter: at 8: sport must be a port number from 0 to 65535, got -1', exitCode: EXIT_USAGE },
  // Filters.
  { input: 'unknown filter field', args: ['--snapshot', 'OUT', '--filter', 'cmd==x'], message: `--filter: at 1: unknown field "cmd" (fields: ${FILTER_FIELDS})`, exitCode: EXIT_USAGE },
  { input: 'bad regex in a filter', args: ['--json', '--filter', 'path~['], message: '--filter: at 6: bad regex "[": Unterminated character class', exitCode: EXIT_USAGE },
  { input: '= instead of ==', args: ['--json', '--filter', 'comm=nginx'], message: '--filter: at 5: "=" is not an operator (did you mean "=="?)', exitCode: EXIT_USAGE },
  { input: 'empty filter term', args: ['--json', '--filter', 'comm==nginx,'], message: '--filter: at 12: empty term after ","', exitCode: EXIT_USAGE },
  { input: 'text compared as a number', args: ['--json', '--filter', 'path>5'], message: '--filter: at 5: ">" compares numbers, but path is text (use ==, !=, ~ or !~)', exitCode: EXIT_USAGE },
  // Thresholds.
  { input: 'threshold cgroup not a path', args: ['--snapshot', 'OUT', '--cgroup-threshold', 'system.slice=1M'], message: `${THRESHOLD_FORMAT} "system.slice=1M"`, exitCode: EXIT_USAGE },
  { input: 'threshold rate not a size', args: ['--json', '--cgroup-threshold', '/x=fast'], message: `${THRESHOLD_FORMAT} "/x=fast"`, exitCode: EXIT_USAGE },
  { input: 'threshold rate of zero', args: ['--json', '--cgroup-threshold', '/x=0'], message: `${THRESHOLD_FORMAT} "/x=0"`, exitCode: EXIT_USAGE },
  { input: 'threshold without a rate', args: ['--json', '--cgroup-threshold', '/x'], message: `${THRESHOLD_FORMAT} "/x"`, exitCode: EXIT_USAGE },
  { input: 'threshold on a cgroup that does not exist', args: ['--snapshot', 'OUT', '--duration', '1', '--cgroup-threshold', '/clawtop-no-such-cgroup=1M'], message: '--cgroup-threshold: no cgroup /clawtop-no-such-cgroup', exitCode: EXIT_RUNTIME_FAILURE },
  // Snapshot path.
  { input: 'snapshot without a name', args: ['--snapshot', ''], message: '--snapshot needs a file name', exitCode: EXIT_USAGE },
  { input: 'snapshot in a missing directory', args: ['--snapshot', 'DIR/missing/out.json', '--duration', '1'], message: 'failed to write snapshot DIR/missing/out.json: no such directory DIR/missing', exitCode: EXIT_RUNTIME_FAILURE },
  { input: 'snapshot in an unwritable directory', args: ['--snapshot', 'RO/out.json', '--duration', '1'], message: 'failed to write snapshot RO/out.json: cannot create files in RO', exitCode: EXIT_RUNTIME_FAILURE },
  { input: 'snapshot path is a directory', args: ['--snapshot', 'DIR', '--duration', '1'], message: 'failed to write snapshot DIR: DIR is a directory', exitCode: EXIT_RUNTIME_FAILURE },
  { input: 'record without a name', args: ['--record', ''], message: '--record needs a file name', exitCode: EXIT_USAGE },
  { input: 'replay without a name', args: ['--replay', ''], message: '--replay needs a file name', exitCode: EXIT_USAGE },
  { input: 'record and replay together', args: ['--record', 'a', '--replay', 'b'], message: '--record and --replay cannot be used together', exitCode: EXIT_USAGE },
  { input: 'speed without replay', args: ['--json', '--speed', '2'], message: '--speed needs --replay', exitCode: EXIT_USAGE },
  { input: 'speed not a number', args: ['--replay', 'x', '--speed', 'fast'], message: '--speed must be a number above 0, or 0 or max for as fast as possible, got "fast"', exitCode: EXIT_USAGE },
  { input: 'negative speed', args: ['--replay', 'x', '--speed', '-1'], message: '--speed must be a number above 0, or 0 or max for as fast as possible, got "-1"', exitCode: EXIT_USAGE },
  { input: 'snapshot under a file', args: ['--snapshot', '/etc/hostname/out.json', '--duration', '1'], message: 'failed to write snapshot /etc/hostname/out.json: /etc/hostname is not a directory', exitCode: EXIT_RUNTIME_FAILURE },
];

for (const row of ROWS) {
  const usage = row.exitCode === EXIT_USAGE ? 'usage error' : 'failure';
  test(`bad input: ${row.input} -> exit ${row.exitCode} (${usage}): ${row.message}`, (t) => {
    const out = outputDirectory(t);
    const readOnly = row.args.some((arg) => arg.includes('RO')) ? unwritableDirectory(t) : '';
    const fill = (text: string) =>
      text.replace(/\bOUT\b/g, join(out, 'out.json')).replace(/\bDIR\b/g, out).replace(/\bRO\b/g, readOnly);
    const args = row.args.map(fill);
    const message = fill(row.message);

    const result = clawtop(args);

    assert.equal(result.stderr, `clawtop: ${message}\n`, 'exactly this one line on stderr');
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(result.stdout, '', 'nothing on stdout');
    assert.equal(result.status, row.exitCode);
    // No snapshot, and no temp file of one: the output directory is as it was made.
    assert.deepEqual(readdirSync(out), [], 'no output file or temp file left');
    if (readOnly !== '') assert.deepEqual(readdirSync(readOnly), []);
  });
}

test('--help names every flag and gives examples', () => {
  const result = clawtop(['--help']);
  assert.equal(result.status, 0);
  for (const text of ['USAGE', '--json', '--duration', '--ring-size', '--verbose', 'EXAMPLES']) {
    assert.ok(result.stdout.includes(text), `--help lacks ${text}`);
  }
});
