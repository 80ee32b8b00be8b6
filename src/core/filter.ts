/**
 * The filter bar's grammar: compiles text such as `comm==nginx, dport>=1024, !^ssh` into a
 * row predicate, and picks the terms the kernel can run too (its runtime settings map has
 * one slot each for a tgid, a uid, a cgroup id and a port). Pure: rows are read through a
 * FilterAccess the caller supplies, so one filter serves every pane. docs/FILTERS.md is the
 * user's description of the grammar.
 */
import { KERNEL_FILTER_MAX, type KernelFilter } from './native.ts';

/** Every field a term can name, with the type of its values. */
export const FILTER_FIELDS = {
  comm: 'string',
  pid: 'number',
  ppid: 'number',
  uid: 'number',
  user: 'string',
  argv: 'string',
  filename: 'string',
  exit: 'number',
  path: 'string',
  op: 'string',
  result: 'number',
  errno: 'string',
  cgroup: 'string',
  proto: 'string',
  dir: 'string',
  src: 'string',
  dst: 'string',
  sport: 'number',
  dport: 'number',
  port: 'number',
  kind: 'string',
  severity: 'string',
} as const;
export type FilterFieldName = keyof typeof FILTER_FIELDS;
/** `port` is not read from a row: it is sport or dport, either end. */
export type RowFieldName = Exclude<FilterFieldName, 'port'>;

/**
 * How a filter reads a row. field() gives a number for the number fields and a string for
 * the others, or undefined when the row has no such field (a value of the other type counts
 * as missing). text() is the row as shown, for free-text terms; both are called per row per
 * frame, so they should return what the row already holds rather than build it.
 */
export interface FilterAccess<Row> {
  field(row: Row, name: RowFieldName): string | number | undefined;
  text(row: Row): string;
}

export interface FilterOptions {
  /** A cgroup path's id, for pushing `cgroup==PATH` down; undefined when there is none. */
  readonly resolveCgroupId?: (path: string) => number | undefined;
}

/** One kernel filter to set: the caller writes value to the runtime settings map's slot. */
export interface KernelFilterSetting {
  readonly name: KernelFilter;
  readonly value: number;
  /** The term it comes from, as written. */
  readonly term: string;
}

export interface FilterTerm {
  /** As written, spaces around it trimmed. */
  readonly text: string;
  /** Pushed terms are checked in user space too: the kernel's port slot matches either end. */
  readonly runsIn: 'kernel+user' | 'user';
}

export interface CompiledFilter<Row> {
  /** The filter as given. */
  readonly text: string;
  matches(row: Row): boolean;
  readonly kernelFilters: readonly KernelFilterSetting[];
  readonly terms: readonly FilterTerm[];
}

/** A filter that does not parse; position is 1-based into the filter's text. */
export class FilterError extends Error {
  override readonly name = 'FilterError';

  constructor(
    readonly position: number,
    problem: string,
  ) {
    super(`at ${position}: ${problem}`);
  }
}

type Operator = '==' | '!=' | '>=' | '<=' | '>' | '<' | '~' | '!~';
type RowTest<Row> = (row: Row) => boolean;

/** Longest first, so `>=` is not read as `>`. */
const FIELD_TERM = /^([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|>=|<=|!~|>|<|~)/;
const LEADING_OPERATOR = /^(==|!=|>=|<=|!~|>|<|~)/;
const SINGLE_EQUALS = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/;
const WHOLE_NUMBER = /^-?\d+$/;
const FIELD_LIST = Object.keys(FILTER_FIELDS).join(', ');
const PORT_FIELDS: ReadonlySet<FilterFieldName> = new Set(['port', 'sport', 'dport']);
const MAX_PORT = 65535;

const KERNEL_FILTER_OF_FIELD: Partial<Record<FilterFieldName, KernelFilter>> = {
  pid: 'filterTgid',
  uid: 'filterUid',
  cgroup: 'filterCgroupId',
  port: 'filterPort',
  sport: 'filterPort',
  dport: 'filterPort',
};

/** One comma-separated piece of the text, spaces trimmed, escapes still in. */
interface RawTerm {
  readonly source: string;
  /** 0-based index of source in the filter's text. */
  readonly start: number;
}

interface ParsedTerm<Row> {
  readonly text: string;
  readonly test: RowTest<Row>;
  /** What it would set in the kernel, if the kernel can run it. */
  readonly pushdown?: { readonly name: KernelFilter; readonly value: number };
}

/**
 * Compiles a filter; throws FilterError at the first problem. Empty text (or only spaces)
 * matches every row. Regexes and numbers are made here, so matches() allocates nothing.
 */
export function compileFilter<Row>(
  text: string,
  access: FilterAccess<Row>,
  options: FilterOptions = {},
): CompiledFilter<Row> {
  const parsed = splitTerms(text).map((raw) => parseTerm(raw, access, options));
  const kernelFilters = choosePushdown(parsed);
  const pushedTerms = new Set(kernelFilters.flatMap((setting) => setting.terms));
  const tests = parsed.map((term) => term.test);
  return {
    text,
    matches(row: Row): boolean {
      // An indexed loop: called per row per frame, it must not allocate an iterator.
      for (let index = 0; index < tests.length; index++) {
        if (!tests[index]!(row)) return false;
      }
      return true;
    },
    kernelFilters: kernelFilters.map(({ name, value, terms }) => ({ name, value, term: terms[0]!.text })),
    terms: parsed.map((term) => ({ text: term.text, runsIn: pushedTerms.has(term) ? 'kernel+user' : 'user' })),
  };
}

/** `kernel: pid==42 · user: comm==nginx`; empty for an empty filter. */
export function describeFilter(compiled: Pick<CompiledFilter<unknown>, 'terms'>): string {
  const kernel = compiled.terms.filter((term) => term.runsIn === 'kernel+user').map((term) => term.text);
  const user = compiled.terms.filter((term) => term.runsIn === 'user').map((term) => term.text);
  const parts: string[] = [];
  if (kernel.length > 0) parts.push(`kernel: ${kernel.join(', ')}`);
  if (user.length > 0) parts.push(`user: ${user.join(', ')}`);
  return parts.join(' · ');
}

/** Splits at commas that are not escaped; a backslash escapes whatever follows it here. */
function splitTerms(text: string): RawTerm[] {
  if (text.trim() === '') return [];
  const pieces: { start: number; end: number }[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '\\') {
      index++;
    } else if (text[index] === ',') {
      pieces.push({ start, end: index });
      start = index + 1;
    }
  }
  pieces.push({ start, end: text.length });

  return pieces.map(({ start: pieceStart, end }, index) => {
    const piece = text.slice(pieceStart, end);
    const source = piece.trim();
    if (source === '') {
      // The last piece is empty after a trailing comma; any other ends at its own comma.
      const isLast = index === pieces.length - 1;
      throw new FilterError(isLast ? pieceStart : end + 1, isLast ? 'empty term after ","' : 'empty term before ","');
    }
    return { source, start: pieceStart + piece.indexOf(source) };
  });
}

/** `\,` is a comma; every other backslash is left for the regex or the text it is in. */
function unescapeCommas(value: string): string {
  return value.replace(/\\(.)/g, (pair, escaped: string) => (escaped === ',' ? ',' : pair));
}

function parseTerm<Row>(raw: RawTerm, access: FilterAccess<Row>, options: FilterOptions): ParsedTerm<Row> {
  const { source, start } = raw;
  const at = (index: number) => start + index + 1;

  const fieldTerm = FIELD_TERM.exec(source);
  if (fieldTerm) {
    const name = fieldTerm[1]!;
    const operator = fieldTerm[2] as Operator;
    const operatorIndex = fieldTerm[0].length - operator.length;
    if (!Object.hasOwn(FILTER_FIELDS, name)) {
      throw new FilterError(at(0), `unknown field "${name}" (fields: ${FIELD_LIST})`);
    }
    const rest = source.slice(fieldTerm[0].length);
    const valueText = rest.trimStart();
    const valueIndex = fieldTerm[0].length + rest.length - valueText.length;
    if (valueText === '') {
      throw new FilterError(at(valueIndex), `no value after "${name}${operator}"`);
    }
    return parseFieldTerm(
      name as FilterFieldName,
      operator,
      unescapeCommas(valueText),
      { operator: at(operatorIndex), value: at(valueIndex) },
      source,
      access,
      options,
    );
  }

  const leadingOperator = LEADING_OPERATOR.exec(source);
  if (leadingOperator) {
    throw new FilterError(at(0), `"${leadingOperator[1]}" needs a field before it`);
  }
  const singleEquals = SINGLE_EQUALS.exec(source);
  if (singleEquals && Object.hasOwn(FILTER_FIELDS, singleEquals[1]!)) {
    throw new FilterError(at(singleEquals[0].length - 1), '"=" is not an operator (did you mean "=="?)');
  }

  if (source.startsWith('!')) {
    if (source.length === 1) throw new FilterError(at(0), '"!" needs a regex after it');
    const pattern = compileRegex(unescapeCommas(source.slice(1)), at(1));
    return { text: source, test: (row) => pattern.test(access.text(row)) };
  }
  // A case-insensitive regex of the escaped text: a substring test that lowercases nothing per row.
  const needle = new RegExp(escapeRegex(unescapeCommas(source)), 'i');
  return { text: source, test: (row) => needle.test(access.text(row)) };
}

function parseFieldTerm<Row>(
  name: FilterFieldName,
  operator: Operator,
  value: string,
  positions: { readonly operator: number; readonly value: number },
  text: string,
  access: FilterAccess<Row>,
  options: FilterOptions,
): ParsedTerm<Row> {
  if (FILTER_FIELDS[name] === 'string') {
    if (operator !== '==' && operator !== '!=' && operator !== '~' && operator !== '!~') {
      throw new FilterError(
        positions.operator,
        `"${operator}" compares numbers, but ${name} is text (use ==, !=, ~ or !~)`,
      );
    }
    const field = name as RowFieldName; // port is the only field not read from a row, and it is a number
    const test = stringTest(access, field, operator, value, positions.value);
    if (name === 'cgroup' && operator === '==') {
      const cgroupId = options.resolveCgroupId?.(value);
      if (cgroupId !== undefined && fitsKernelFilter('filterCgroupId', cgroupId)) {
        return { text, test, pushdown: { name: 'filterCgroupId', value: cgroupId } };
      }
    }
    return { text, test };
  }

  if (operator === '~' || operator === '!~') {
    throw new FilterError(
      positions.operator,
      `"${operator}" matches text, but ${name} is a number (use ==, !=, <, <=, > or >=)`,
    );
  }
  const number = WHOLE_NUMBER.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new FilterError(positions.value, `${name} needs a whole number, got "${value}"`);
  }
  if (PORT_FIELDS.has(name) && (number < 0 || number > MAX_PORT)) {
    // A port that cannot exist is a typo, not a filter that quietly matches nothing.
    throw new FilterError(positions.value, `${name} must be a port number from 0 to ${MAX_PORT}, got ${value}`);
  }
  const test = name === 'port' ? eitherPortTest(access, operator, number) : numberTest(access, name, operator, number);
  const kernelFilter = KERNEL_FILTER_OF_FIELD[name];
  if (operator === '==' && kernelFilter !== undefined && fitsKernelFilter(kernelFilter, number)) {
    return { text, test, pushdown: { name: kernelFilter, value: number } };
  }
  return { text, test };
}

function fitsKernelFilter(name: KernelFilter, value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= KERNEL_FILTER_MAX[name];
}

function compileRegex(pattern: string, position: number): RegExp {
  try {
    return new RegExp(pattern, 'i');
  } catch (error) {
    // "Invalid regular expression: /[/i: Unterminated character class": keep the reason.
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    throw new FilterError(position, `bad regex "${pattern}": ${reason}`);
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stringTest<Row>(
  access: FilterAccess<Row>,
  name: RowFieldName,
  operator: '==' | '!=' | '~' | '!~',
  value: string,
  valuePosition: number,
): RowTest<Row> {
  switch (operator) {
    case '==':
      return (row) => access.field(row, name) === value;
    case '!=':
      // A row without the field is not equal to the value: it passes.
      return (row) => access.field(row, name) !== value;
    case '~': {
      const pattern = compileRegex(value, valuePosition);
      return (row) => {
        const actual = access.field(row, name);
        return typeof actual === 'string' && pattern.test(actual);
      };
    }
    case '!~': {
      const pattern = compileRegex(value, valuePosition);
      return (row) => {
        const actual = access.field(row, name);
        return typeof actual !== 'string' || !pattern.test(actual);
      };
    }
  }
}

type NumberOperator = Exclude<Operator, '~' | '!~'>;

function numberPredicate(operator: NumberOperator, expected: number): (actual: number) => boolean {
  switch (operator) {
    case '==':
      return (actual) => actual === expected;
    case '!=':
      return (actual) => actual !== expected;
    case '>=':
      return (actual) => actual >= expected;
    case '<=':
      return (actual) => actual <= expected;
    case '>':
      return (actual) => actual > expected;
    case '<':
      return (actual) => actual < expected;
  }
}

function numberTest<Row>(
  access: FilterAccess<Row>,
  name: RowFieldName,
  operator: NumberOperator,
  expected: number,
): RowTest<Row> {
  const predicate = numberPredicate(operator, expected);
  const passesWhenMissing = operator === '!=';
  return (row) => {
    const actual = access.field(row, name);
    return typeof actual === 'number' ? predicate(actual) : passesWhenMissing;
  };
}

/**
 * port is either end, as the kernel's port filter: `port==443` passes when sport or dport is
 * 443. `port!=443` is its opposite: neither end is 443 (a missing end is not 443).
 */
function eitherPortTest<Row>(access: FilterAccess<Row>, operator: NumberOperator, expected: number): RowTest<Row> {
  if (operator === '!=') {
    return (row) => access.field(row, 'sport') !== expected && access.field(row, 'dport') !== expected;
  }
  const predicate = numberPredicate(operator, expected);
  return (row) => {
    const source = access.field(row, 'sport');
    if (typeof source === 'number' && predicate(source)) return true;
    const destination = access.field(row, 'dport');
    return typeof destination === 'number' && predicate(destination);
  };
}

/**
 * The kernel has one slot per filter: terms that agree on a slot's value share it; terms that
 * want different values for one slot are all left to user space.
 */
function choosePushdown<Row>(
  terms: readonly ParsedTerm<Row>[],
): { name: KernelFilter; value: number; terms: ParsedTerm<Row>[] }[] {
  const bySlot = new Map<KernelFilter, { name: KernelFilter; value: number; terms: ParsedTerm<Row>[] }>();
  const conflicting = new Set<KernelFilter>();
  for (const term of terms) {
    if (term.pushdown === undefined) continue;
    const { name, value } = term.pushdown;
    const slot = bySlot.get(name);
    if (slot === undefined) bySlot.set(name, { name, value, terms: [term] });
    else if (slot.value === value) slot.terms.push(term);
    else conflicting.add(name);
  }
  return [...bySlot.values()].filter((slot) => !conflicting.has(slot.name));
}
