// Every key, by what it is for, and the filter grammar. Any key closes it.
import { Box, Text } from 'ink';

import { fit } from './format.ts';
import { FILTER_GRAMMAR, HELP_SECTIONS, hintsFor } from './modes.ts';

const KEYS_WIDTH = 20;

export interface HelpOverlayProps {
  /** A snapshot file: what each key does there. */
  readonly readOnly: boolean;
  readonly width: number;
  readonly height: number;
}

export function helpLines(width: number, readOnly: boolean): string[] {
  const lines = HELP_SECTIONS.flatMap(({ title, keys }) => [
    title,
    ...hintsFor(keys, readOnly).map(({ keys: keyNames, action }) => fit(`  ${keyNames.padEnd(KEYS_WIDTH)}${action}`, width).trimEnd()),
  ]);
  return [...lines, 'Filter', ...FILTER_GRAMMAR.map((line) => fit(`  ${line}`, width).trimEnd())];
}

export function HelpOverlay({ readOnly, width, height }: HelpOverlayProps) {
  const sectionTitles = new Set([...HELP_SECTIONS.map(({ title }) => title), 'Filter']);
  return (
    <Box flexDirection="column" height={height}>
      {helpLines(width, readOnly)
        .slice(0, height)
        .map((line, index) => (
          <Text key={index} bold={sectionTitles.has(line)} wrap="truncate-end">
            {line}
          </Text>
        ))}
    </Box>
  );
}
