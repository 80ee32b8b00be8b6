// --help and --version, as a user reads them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const PROJECT = new URL('../..', import.meta.url).pathname;

function clawtop(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.tsx', ...args], { cwd: PROJECT, encoding: 'utf8' });
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

