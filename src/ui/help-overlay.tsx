// Every key, by what it is for, and the filter grammar. Any key closes it.
import { Box, Text } from 'ink';

import { fit } from './format.ts';
import { FILTER_GRAMMAR, HELP_SECTIONS } from './modes.ts';

const KEYS_WIDTH = 20;

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
}

export function helpLines(width: number): string[] {
  const lines = HELP_SECTIONS.flatMap(({ title, keys }) => [
    title,
    ...keys.map(({ keys: keyNames, action }) => fit(`  ${keyNames.padEnd(KEYS_WIDTH)}${action}`, width).trimEnd()),
  ]);
  return [...lines, 'Filter', ...FILTER_GRAMMAR.map((line) => fit(`  ${line}`, width).trimEnd())];
}

export function HelpOverlay({ width, height }: HelpOverlayProps) {
  const sectionTitles = new Set([...HELP_SECTIONS.map(({ title }) => title), 'Filter']);
  return (
    <Box flexDirection="column" height={height}>
      {helpLines(width)
        .slice(0, height)
        .map((line, index) => (
          <Text key={index} bold={sectionTitles.has(line)} wrap="truncate-end">
            {line}
          </Text>
        ))}
    </Box>
  );
}
