// The detail of one row, wrapped to the width and scrolled by the arrows.
import { Box, Text } from 'ink';

import { wrap } from './format.ts';

export interface DetailViewProps {
  /** The detail as lines (detail.ts), or null when its row has gone (cleared or dropped). */
  readonly lines: readonly string[] | null;
  /** The first line in view. */
  readonly scroll: number;
  readonly width: number;
  readonly height: number;
}

/** The lines as the view shows them, wrapped: scrolling counts these. */
export function wrappedDetailLines(lines: readonly string[], width: number): string[] {
  return lines.flatMap((line) => {
    const indent = line.length - line.trimStart().length;
    const [first = '', ...rest] = wrap(line, width);
    // Continuation lines keep the indentation of the line they continue, plus two.
    return [first, ...rest.flatMap((part) => wrap(part, width - indent - 2).map((piece) => `${' '.repeat(indent + 2)}${piece}`))];
  });
}

/** The largest scroll that still fills the view. */
export function maxDetailScroll(lines: readonly string[], width: number, height: number): number {
  return Math.max(0, wrappedDetailLines(lines, width).length - height);
}

export function DetailView({ lines, scroll, width, height }: DetailViewProps) {
  if (lines === null) {
    return (
      <Box height={height}>
        <Text dimColor>This row is gone (cleared, or dropped from a full table). Backspace goes back.</Text>
      </Box>
    );
  }
  const wrapped = wrappedDetailLines(lines, width);
  const start = Math.max(0, Math.min(scroll, wrapped.length - height));
  return (
    <Box flexDirection="column" height={height}>
      {wrapped.slice(start, start + height).map((line, index) => (
        <Text key={start + index} bold={line.length > 0 && !line.startsWith(' ')} wrap="truncate-end">
          {/* Ink gives an empty Text no height: a blank line is a space. */}
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}
