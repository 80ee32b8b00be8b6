// The monitors (m): each with whether it is attached, its mode, the hook serving it and
// why; Enter or space switches the selected one on or off.
import { Box, Text } from 'ink';

import type { MonitorStatus } from './controller.ts';
import { fit, wrap } from './format.ts';

export interface MonitorsListProps {
  readonly monitors: readonly MonitorStatus[];
  readonly selected: number;
  readonly width: number;
  readonly height: number;
}

const NOTE_INDENT = 4;

function monitorLine(monitor: MonitorStatus): string {
  const state = monitor.mode === 'unavailable' ? 'n/a' : monitor.attached ? 'on' : 'off';
  const switchable = monitor.switchable ? '' : ' (fixed)';
  return `${monitor.monitor.padEnd(10)}${`${state}${switchable}`.padEnd(12)}${monitor.mode.padEnd(12)}${monitor.hook}`;
}

export function MonitorsList({ monitors, selected, width, height }: MonitorsListProps) {
  const lines: { text: string; selected: boolean; note: boolean }[] = [
    { text: fit(`${'MONITOR'.padEnd(10)}${'STATE'.padEnd(12)}${'MODE'.padEnd(12)}HOOK`, width), selected: false, note: false },
  ];
  monitors.forEach((monitor, index) => {
    lines.push({ text: fit(monitorLine(monitor), width), selected: index === selected, note: false });
    for (const part of monitor.note ? wrap(monitor.note, width - NOTE_INDENT) : []) {
      lines.push({ text: `${' '.repeat(NOTE_INDENT)}${part}`, selected: false, note: true });
    }
  });
  return (
    <Box flexDirection="column" height={height}>
      {lines.slice(0, height).map((line, index) => (
        <Text key={index} bold={index === 0} inverse={line.selected} dimColor={line.note} wrap="truncate-end">
          {line.text}
        </Text>
      ))}
    </Box>
  );
}
