// Turns the in-VM kernel checks (test/vm/checks.ts) and the test helpers they import into
// JavaScript under build/vm, for guests where node starts many times slower and tsx would
// add seconds. The product code is not compiled again: build/vm/src links to dist/, so the
// checks run the built clawtop and its addon. Run by scripts/test-kernels.sh.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const PROJECT = resolve(import.meta.dirname, '..');
const OUTPUT = join(PROJECT, 'build/vm');
const ENTRY = 'test/vm/checks.ts';

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  verbatimModuleSyntax: true,
  rewriteRelativeImportExtensions: true,
};

/** The project files a module imports, relative to the project: './x.ts' and '../../src/y.ts'. */
function relativeImports(file: string, source: string): string[] {
  const specifiers = [...source.matchAll(/^import [^;]*? from '(\.{1,2}\/[^']+)';$/gms)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(PROJECT, resolve(PROJECT, dirname(file), specifier)));
}

rmSync(OUTPUT, { recursive: true, force: true });
const pending = [ENTRY];
const done = new Set<string>();
while (pending.length > 0) {
  const file = pending.pop()!;
  if (done.has(file)) continue;
  done.add(file);
  const source = readFileSync(join(PROJECT, file), 'utf8');
  for (const imported of relativeImports(file, source)) {
    if (imported.startsWith('test/')) pending.push(imported);
    else if (!imported.startsWith('src/')) throw new Error(`${file} imports ${imported}: neither a test helper nor src/`);
  }
  const { outputText } = ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS, fileName: file });
  const output = join(OUTPUT, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, outputText);
}
// build/vm/test/x/y.js imports '../../src/core/z.js': the built z.js in dist/core.
symlinkSync('../../dist', join(OUTPUT, 'src'));
console.log(`build-vm-checks: ${[...done].join(', ')} -> ${relative(PROJECT, OUTPUT)}`);
