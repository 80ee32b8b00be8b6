// Usage errors never reach the kernel: one line on stderr, exit 2, nothing on stdout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const PROJECT = new URL('../..', import.meta.url).pathname;

function clawtop(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.tsx', ...args], { cwd: PROJECT, encoding: 'utf8' });
}

const USAGE_ERRORS: [args: string[], message: string][] = [
  [['--json', '--bogus'], 'unknown flag --bogus (see --help)'],
  [['--json', '-x'], 'unknown flag -x (see --help)'],
  [['--json', 'extra'], 'unexpected argument "extra" (see --help)'],
  [['--json', '--duration', '-5'], '--duration must be a number of seconds above 0, got -5'],
  [['--json', '--duration', '0'], '--duration must be a number of seconds above 0, got 0'],
  [['--json', '--ring-size', '3000'], '--ring-size: ring size must be a power of two from 4K to 1G, got 3000'],
  [['--json', '--ring-size', '2G'], '--ring-size: ring size must be a power of two from 4K to 1G, got 2147483648'],
  [['--json', '--ring-size', 'big'], '--ring-size must be a size such as 8M or 4096, got "big"'],
  [
    ['--json', '--cgroup-threshold', 'system.slice=1M'],
    '--cgroup-threshold must be CGROUP=RATE such as /system.slice/x.service=10M, got "system.slice=1M"',
  ],
  [
    ['--json', '--cgroup-threshold', '/x=fast'],
    '--cgroup-threshold must be CGROUP=RATE such as /system.slice/x.service=10M, got "/x=fast"',
  ],
  [[], 'the interactive view needs a terminal: use --json or --snapshot when piping'],
  [['--json', '--filter', 'cmd==x'], '--filter: at 1: unknown field "cmd" (fields: comm, pid, ppid, uid, user, argv, filename, exit, path, op, result, errno, cgroup, proto, dir, src, dst, sport, dport, port, kind, severity)'],
  [['--snapshot', ''], '--snapshot needs a file name'],
  [['--record', ''], '--record needs a file name'],
  [['--replay', ''], '--replay needs a file name'],
  [['--record', 'a', '--replay', 'b'], '--record and --replay cannot be used together'],
  [['--json', '--speed', '2'], '--speed needs --replay'],
  [['--replay', 'x', '--speed', 'fast'], '--speed must be a number above 0, or 0 or max for as fast as possible, got "fast"'],
  [['--replay', 'x', '--speed', '-1'], '--speed must be a number above 0, or 0 or max for as fast as possible, got "-1"'],
  [['--json', '--monitors', 'exec,disk'], '--monitors: unknown monitor "disk" (choose from exec, files, net, cgroup, syscalls)'],
];

for (const [args, message] of USAGE_ERRORS) {
  test(`clawtop ${args.join(' ')} -> exit 2: ${message}`, () => {
    const result = clawtop(...args);
    assert.equal(result.stderr, `clawtop: ${message}\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 2);
  });
}

/** The flags meow is given, read from the FLAGS object in src/cli.tsx, in their --kebab-case form. */
function declaredFlags(): string[] {
  const source = readFileSync(join(PROJECT, 'src/cli.tsx'), 'utf8');
  const block = /^const FLAGS = \{\n([\s\S]*?)\n\};/m.exec(source)?.[1];
  assert.ok(block, 'no FLAGS object in src/cli.tsx');
  return [...block.matchAll(/^ {2}(\w+):/gm)].map(([, name]) => `--${name!.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`);
}

test('--help has USAGE and EXAMPLES, and names every flag of FLAGS with its default', () => {
  const result = clawtop('--help');
  assert.equal(result.status, 0);
  for (const text of ['USAGE', 'FLAGS', 'EXAMPLES', '--help', '--version']) {
    assert.ok(result.stdout.includes(text), `--help lacks ${text}`);
  }
  const flags = declaredFlags();
  assert.ok(flags.length >= 12 && flags.includes('--replay') && flags.includes('--cgroup-threshold'), flags.join(' '));
  // Each flag's entry runs from its name to the next flag's (or to EXAMPLES), and says its default.
  const help = result.stdout.slice(result.stdout.indexOf('FLAGS'), result.stdout.indexOf('EXAMPLES'));
  const entries = help.split(/\n(?= {4}--)/);
  for (const flag of flags) {
    const entry = entries.find((candidate) => candidate.trimStart().startsWith(`${flag} `) || candidate.trimStart().startsWith(`${flag}\n`));
    assert.ok(entry, `--help does not list ${flag}`);
    assert.match(entry, /\(default: [^)]*\)|default: /, `--help gives no default for ${flag}`);
  }
});

test('--version prints the package version, from src with tsx and from the built dist', () => {
  const { version } = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string };
  const fromSource = clawtop('--version');
  assert.equal(fromSource.stdout, `${version}\n`);
  assert.equal(fromSource.status, 0);
  const fromDist = spawnSync(process.execPath, ['dist/cli.js', '--version'], { cwd: PROJECT, encoding: 'utf8' });
  assert.equal(fromDist.stdout, `${version}\n`);
  assert.equal(fromDist.status, 0);
});

const SNAPSHOT_TARGET_ERRORS: [path: string, message: string][] = [
  ['/nonexistent-clawtop-dir/out.json', 'failed to write snapshot /nonexistent-clawtop-dir/out.json: no such directory /nonexistent-clawtop-dir'],
  ['/tmp', 'failed to write snapshot /tmp: /tmp is a directory'],
  ['/etc/hostname/out.json', 'failed to write snapshot /etc/hostname/out.json: /etc/hostname is not a directory'],
];

for (const [path, message] of SNAPSHOT_TARGET_ERRORS) {
  test(`--snapshot ${path} is refused before anything runs: ${message}`, () => {
    const result = clawtop('--snapshot', path, '--duration', '1');
    assert.equal(result.stderr, `clawtop: ${message}\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 1);
  });
}
