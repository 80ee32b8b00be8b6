// One line for what the last action said: "snapshot written to …", or why it failed.
import { Line } from './line.tsx';
import { useTheme } from './theme.ts';
import type { StatusMessage } from './use-ui-state.ts';

export interface StatusLineProps {
  readonly status: StatusMessage;
  readonly width: number;
}

export function StatusLine({ status, width }: StatusLineProps) {
  const theme = useTheme();
  return <Line segments={[{ text: status.text, color: status.isError ? theme.error : theme.accent }]} width={width} />;
}
