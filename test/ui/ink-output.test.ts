// patches/ink+6.8.0.patch makes Ink's Output (which turns a frame's writes into the text
// sent to the terminal) skip work for plain and equally-styled characters. The frames must
// stay byte for byte what Ink drew before: here against @alcalzone/ansi-tokenize's own
// tokenizer and serializer, which Ink used for every line.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { styledCharsFromTokens, styledCharsToString, tokenize, type StyledChar } from '@alcalzone/ansi-tokenize';
import fc from 'fast-check';
import widestLine from 'widest-line';

interface OutputInstance {
  write(x: number, y: number, text: string, options: { readonly transformers: readonly unknown[] }): void;
  get(): { readonly output: string; readonly height: number };
}
type OutputClass = new (size: { readonly width: number; readonly height: number }) => OutputInstance;

const inkBuild = new URL('.', import.meta.resolve('ink'));
const { default: Output } = (await import(new URL('output.js', inkBuild).href)) as { default: OutputClass };
const { default: measureText } = (await import(new URL('measure-text.js', inkBuild).href)) as {
  default: (text: string) => { readonly width: number };
};

/** SGR codes Ink's styles produce, each with the code that ends it. */
const STYLES: readonly (readonly [string, string])[] = [
  ['\u001B[1m', '\u001B[22m'],
  ['\u001B[2m', '\u001B[22m'],
  ['\u001B[7m', '\u001B[27m'],
  ['\u001B[4m', '\u001B[24m'],
  ['\u001B[31m', '\u001B[39m'],
  ['\u001B[38;2;255;136;0m', '\u001B[39m'],
  ['\u001B[44m', '\u001B[49m'],
];

/**
 * Characters one column wide: printable ASCII and narrow ones ('·', 'é', '…', '│', '▼') take
 * the patch's short paths; a combining accent, joined to the character before it, the tokenizer's.
 */
const character = fc.constantFrom('a', 'Z', '0', ' ', '.', '~', '·', 'é', '…', '│', '▼', '\u0301');

interface Piece {
  readonly text: string;
  readonly style: number | null;
  readonly inner: Piece | null;
}

const piece: fc.Arbitrary<Piece> = fc.letrec<{ piece: Piece }>((tie) => ({
  piece: fc.record({
    text: fc.string({ unit: character, maxLength: 6 }),
    style: fc.option(fc.nat(STYLES.length - 1)),
    inner: fc.option(tie('piece'), { depthSize: 'small' }),
  }),
})).piece;

function styled({ text, style, inner }: Piece): string {
  const body = `${text}${inner === null ? '' : styled(inner)}${text}`;
  return style === null ? body : `${STYLES[style]![0]}${body}${STYLES[style]![1]}`;
}

const line = fc.array(piece, { maxLength: 5 }).map((pieces) => pieces.map(styled).join(''));

/** What Ink 6.8 drew for one line written at column 0 of a row width columns wide. */
function unpatchedRow(text: string, width: number): string {
  const chars = styledCharsFromTokens(tokenize(text));
  const blank: StyledChar = { type: 'char', value: ' ', fullWidth: false, styles: [] };
  const row = [...chars, ...Array.from({ length: Math.max(0, width - chars.length) }, () => blank)];
  return styledCharsToString(row).trimEnd();
}

test("Ink's patched output draws styled lines as ansi-tokenize's serializer does", () => {
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 20 }), (lines, extraWidth) => {
      const width = Math.max(...lines.map((text) => tokenize(text).filter((token) => token.type === 'char').length)) + extraWidth;
      const expected = [...lines.map((text) => unpatchedRow(text, width)), ''].join('\n');
      // Twice: the second frame takes its lines' characters from the first.
      for (let frame = 0; frame < 2; frame++) {
        const output = new Output({ width, height: lines.length + 1 });
        lines.forEach((text, y) => output.write(0, y, text, { transformers: [] }));
        assert.equal(output.get().output, expected);
      }
    }),
    { numRuns: 2000 },
  );
});

/** What Ink 6.8 drew for lines written anywhere, the later over the earlier: a row of cells per line. */
function unpatchedFrame(writes: readonly { readonly x: number; readonly y: number; readonly text: string }[], width: number, height: number): string {
  const blank: StyledChar = { type: 'char', value: ' ', fullWidth: false, styles: [] };
  const rows = Array.from({ length: height }, () => Array.from({ length: width }, () => blank));
  for (const { x, y, text } of writes) {
    styledCharsFromTokens(tokenize(text)).forEach((char, index) => (rows[y]![x + index] = char));
  }
  return rows.map((row) => styledCharsToString(row).trimEnd()).join('\n');
}

test("Ink's patched output draws lines written over each other as Ink did", () => {
  const write = fc.record({ x: fc.nat(8), y: fc.nat(2), text: line.filter((text) => text.length > 0) });
  fc.assert(
    fc.property(fc.array(write, { minLength: 1, maxLength: 6 }), (writes) => {
      const width = 40;
      const expected = unpatchedFrame(writes, width, 3);
      for (let frame = 0; frame < 2; frame++) {
        const output = new Output({ width, height: 3 });
        for (const { x, y, text } of writes) output.write(x, y, text, { transformers: [] });
        assert.equal(output.get().output, expected);
      }
    }),
    { numRuns: 2000 },
  );
});

test("Ink's patched measure counts a line's columns as string-width does", () => {
  fc.assert(
    fc.property(line, (text) => assert.equal(measureText(text).width, widestLine(text))),
    { numRuns: 2000 },
  );
});
