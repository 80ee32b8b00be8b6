/**
 * What every benchmark script shares: building its C workload, describing where a run was
 * measured (machine, commit, command), formatting its markdown table and appending its
 * section to docs/BENCHMARKS.md.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository's root, ending in a slash. */
export const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_PATH = 'docs/BENCHMARKS.md';
export const RESULTS_FILE = `${REPOSITORY}${RESULTS_PATH}`;

const RESULTS_HEADER = `# Benchmarks

Measured numbers, newest last. Each section is appended by the script that measured it,
with the machine, the commit (\`+dirty\`: with uncommitted changes) and the exact command.
`;

export function fail(message: string, exitCode: number): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(exitCode);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Compiles a workload into the git-ignored build/bench/ when it is missing or older than its source. */
export function buildWorkload(source: string, program: string): void {
  const upToDate = existsSync(program) && statSync(program).mtimeMs >= statSync(source).mtimeMs;
  if (upToDate) return;
  mkdirSync(dirname(program), { recursive: true });
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', program, source], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr).trim() : '';
    throw new Error(`failed to compile ${source}: ${stderr || errorMessage(error)}`);
  }
}

export const count = (value: number) => value.toLocaleString('en-US');

/** A power of two of bytes, as 8 MiB or 4 KiB. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${bytes / 1024 ** 2} MiB` : `${bytes / 1024} KiB`;
}

export function describeMachine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const memoryGiB = (totalmem() / 1024 ** 3).toFixed(1);
  return `${cpuModel}, ${availableParallelism()} CPUs, ${memoryGiB} GiB, Linux ${release()}`;
}

function gitOutput(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The short commit, with `+dirty` when the tree has uncommitted changes. */
export function describeCommit(): string {
  const commit = gitOutput(['rev-parse', '--short', 'HEAD']);
  if (commit === undefined) return 'unknown';
  // The results file is not the code measured: earlier runs' sections do not make it dirty.
  return gitOutput(['status', '--porcelain', '--', '.', `:!${RESULTS_PATH}`]) ? `${commit}+dirty` : commit;
}

/** The command as the user typed it, through npm or not. */
export function describeCommand(args: readonly string[]): string {
  const script = process.env.npm_lifecycle_event;
  if (script) return `npm run ${script}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  return ['node --import tsx', relative(REPOSITORY, process.argv[1]!), ...args].join(' ');
}

/** A markdown table: numbers right-aligned, the last column (a verdict) left-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const last = rows[0]!.length - 1;
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const pad = (cell: string, column: number) =>
    column === last ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  const line = (row: readonly string[]) => `| ${row.map(pad).join(' | ')} |`;
  const dashes = widths.map((width) => '-'.repeat(width + 1));
  const rule = `|${dashes.map((dash, column) => (column === last ? `:${dash}` : `${dash}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/**
 * Appends one run's section to docs/BENCHMARKS.md. The file's header goes in when the file
 * is new, and the script's heading and introduction before its first results.
 */
export function recordResults(heading: string, introduction: string, section: string): void {
  const existing = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '';
  if (existing === '') appendFileSync(RESULTS_FILE, RESULTS_HEADER);
  if (!existing.includes(heading)) appendFileSync(RESULTS_FILE, `\n${heading}\n\n${introduction}`);
  appendFileSync(RESULTS_FILE, `\n${section}`);
}

/** Whether the module of this URL is the script node was started with (not imported by another). */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** What users run (the README's command), built from src/ by buildCli. */
export const CLI = 'dist/cli.js';

/**
 * Compiles src/ into dist/ as `npm run build:ts` does, on every run: it takes a few seconds,
 * and a stale dist/ would measure old code.
 */
export function buildCli(): void {
  process.stderr.write(`bench: building ${CLI} (tsc -p tsconfig.build.json)\n`);
  try {
    execFileSync(process.execPath, [`${REPOSITORY}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
      cwd: REPOSITORY,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // tsc reports type errors on stdout.
    const output = error instanceof Error && 'stdout' in error ? String(error.stdout).trim() : '';
    throw new Error(`failed to build ${CLI}: ${output || errorMessage(error)}`);
  }
}
