// Issue 7, security: what clawtop must never do, proven from what it ships.
// - LSM programs only watch: each returns 0 (allow) on every path. clawtop has no
//   enforcement mode; if one is ever added, this test must learn which programs may deny.
// - No user string reaches a shell: src/ starts processes only with execFile/spawn, never
//   a shell.
// Snapshots are mode 0600: test/core/snapshot-file.test.ts ("... mode 0600 ...").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { kernelPrerequisiteMissing, missingFileReason } from '../kernel/gate.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;
const BPF_OBJECT = join(PROJECT, 'build/bpf/clawtop.bpf.o');
const OBJDUMP = '/usr/bin/llvm-objdump';

interface Instruction {
  readonly index: number;
  readonly text: string;
}

/** The instructions of each function of the sections whose name starts with prefix, from llvm-objdump -d. */
export function functionsInSections(listing: string, prefix: string): Map<string, Instruction[]> {
  const functions = new Map<string, Instruction[]>();
  let inSection = false;
  let current: Instruction[] | undefined;
  for (const line of listing.split('\n')) {
    const section = /^Disassembly of section (\S+):$/.exec(line);
    if (section) {
      inSection = section[1]!.startsWith(prefix);
      current = undefined;
      continue;
    }
    if (!inSection) continue;
    const label = /^[0-9a-f]+ <(\w+)>:$/.exec(line);
    if (label && !label[1]!.startsWith('LBB')) functions.set(label[1]!, (current = []));
    const instruction = /^\s+(\d+):\s+(?:[0-9a-f]{2} )*\s*(.+?)\s*$/.exec(line);
    if (instruction && current) current.push({ index: Number(instruction[1]), text: instruction[2]! });
  }
  return functions;
}

type Value = 'zero' | 'other';
type Registers = readonly Value[]; // r0..r10

/**
 * The exits of a program where r0 may not be 0, found by a forward data-flow over its
 * control-flow graph: each register is known zero or anything, joined to anything where
 * paths meet. Only `rN = 0`/`wN = 0` and copies of a known zero make a zero; a 64-bit
 * immediate load (`= 0 ll`, a map address) and every other write make anything; a call
 * clobbers r0-r5. Conservative: it may flag a path that returns 0, never miss one that does not.
 */
export function exitsNotReturningZero(instructions: readonly Instruction[]): string[] {
  const position = new Map(instructions.map((instruction, at) => [instruction.index, at]));
  const states = new Map<number, Registers>();
  const initial: Registers = Array.from({ length: 11 }, () => 'other');
  const work: [number, Registers][] = [[0, initial]];
  const problems = new Set<string>();
  while (work.length > 0) {
    const [at, incoming] = work.pop()!;
    const instruction = instructions[at];
    if (instruction === undefined) {
      problems.add(`falls off the end after instruction ${instructions.at(-1)?.index}`);
      continue;
    }
    const previous = states.get(at);
    const joined = previous === undefined ? incoming : previous.map((value, register) => (value === incoming[register] ? value : 'other'));
    if (previous !== undefined && joined.every((value, register) => value === previous[register])) continue;
    states.set(at, joined);

    const { text, index } = instruction;
    const registers = [...joined];
    const successors: number[] = [];
    const jump = /goto ([+-]\d+)/.exec(text);
    if (text === 'exit') {
      if (registers[0] !== 'zero') problems.add(`exit at ${index} with r0 not known to be 0`);
      continue;
    }
    if (/^call\b/.test(text)) {
      for (let register = 0; register <= 5; register++) registers[register] = 'other';
    } else {
      const write = /^[rw](\d+) (\S+) (.*)$/.exec(text);
      if (write) {
        const [, target, operator, source] = write;
        const copied = /^[rw](\d+)$/.exec(source!);
        registers[Number(target)] =
          operator === '=' && /^0$/.test(source!) ? 'zero' : operator === '=' && copied ? registers[Number(copied[1])]! : 'other';
      }
    }
    if (jump) {
      const target = position.get(index + 1 + Number(jump[1]));
      if (target === undefined) problems.add(`jump at ${index} leaves the program`);
      else successors.push(target);
    }
    if (!/^goto /.test(text)) successors.push(at + 1);
    for (const successor of successors) work.push([successor, registers]);
  }
  return [...problems];
}

test('the analysis flags an LSM program that could deny, and passes one that cannot', () => {
  const allowing = [
    { index: 0, text: 'call 14' },
    { index: 1, text: 'if r0 == 0 goto +2 <LBB0_2>' },
    { index: 2, text: 'r0 = 0' },
    { index: 3, text: 'exit' },
    { index: 4, text: 'r6 = 0' },
    { index: 5, text: 'r0 = r6' },
    { index: 6, text: 'exit' },
  ];
  assert.deepEqual(exitsNotReturningZero(allowing), []);
  const denyingOnOnePath = allowing.map((instruction) => (instruction.index === 4 ? { index: 4, text: 'r6 = -1' } : instruction));
  assert.deepEqual(exitsNotReturningZero(denyingOnOnePath), ['exit at 6 with r0 not known to be 0']);
  const returningHelperResult = [
    { index: 0, text: 'r0 = 0' },
    { index: 1, text: 'call 14' },
    { index: 2, text: 'exit' },
  ];
  assert.deepEqual(exitsNotReturningZero(returningHelperResult), ['exit at 2 with r0 not known to be 0']);
  const mapAddress = [
    { index: 0, text: 'r0 = 0 ll' },
    { index: 2, text: 'exit' },
  ];
  assert.deepEqual(exitsNotReturningZero(mapAddress), ['exit at 2 with r0 not known to be 0']);
});

test('every LSM program in the BPF object returns 0 on every path: clawtop watches, never denies', (t) => {
  if (kernelPrerequisiteMissing(t, missingFileReason(BPF_OBJECT, 'run make -C bpf') ?? missingFileReason(OBJDUMP, 'apt-get install llvm'))) return;
  const listing = execFileSync(OBJDUMP, ['-d', '--no-show-raw-insn', BPF_OBJECT], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const programs = functionsInSections(listing, 'lsm');
  assert.deepEqual([...programs.keys()].sort(), ['clawtop_file_open', 'clawtop_socket_connect']);
  for (const [name, instructions] of programs) {
    assert.ok(instructions.some((instruction) => instruction.text === 'exit'), `${name}: no exit found`);
    assert.deepEqual(exitsNotReturningZero(instructions), [], `${name} may return non-zero (deny)`);
  }
});

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Why a line of source may hand a string to a shell, if it may. */
export function shellUse(line: string): string | undefined {
  if (/\bshell\s*:(?!\s*false\b)/.test(line)) return 'a shell option';
  if (/\bimport\b.*\b(exec|execSync)\b(?!File).*child_process/.test(line)) return 'imports exec or execSync';
  if (/(?<![\w.$])(exec|execSync)\s*\(/.test(line)) return 'calls exec or execSync';
  if (/\.(exec|execSync)\s*\(\s*['"`]/.test(line)) return 'calls child_process exec with a command string';
  return undefined;
}

test('the source check catches each way to reach a shell, and not RegExp.exec or execFile', () => {
  for (const line of [
    "import { exec } from 'node:child_process';",
    "import { execFileSync, execSync } from 'node:child_process';",
    'execSync(`mount ${path}`);',
    "childProcess.exec('ls ' + name);",
    "spawn('sh', ['-c', command], { shell: true });",
    'spawn(command, { shell: process.env.SHELL });',
  ]) {
    assert.notEqual(shellUse(line), undefined, line);
  }
  for (const line of [
    "import { execFileSync } from 'node:child_process';",
    "execFileSync('mount', ['-t', 'tracefs', 'tracefs', path]);",
    'const match = /^(\\d+)$/.exec(text);',
    "spawn(program, args, { shell: false, stdio: 'ignore' });",
  ]) {
    assert.equal(shellUse(line), undefined, line);
  }
});

test('no user string reaches a shell: src/ starts processes only with execFile or spawn, without shell', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(join(PROJECT, 'src'))) {
    for (const [number, line] of readFileSync(file, 'utf8').split('\n').entries()) {
      const use = shellUse(line);
      if (use !== undefined) offenders.push(`${file.slice(PROJECT.length)}:${number + 1}: ${use}: ${line.trim()}`);
    }
  }
  assert.deepEqual(offenders, []);
});
