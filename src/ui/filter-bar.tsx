// The filter bar: while editing, the text with a cursor and, under it, why the last text
// was refused; otherwise the filter in force and which of its terms run in the kernel.
import { Box } from 'ink';

import { Line } from './line.tsx';
import { useTheme } from './theme.ts';
import type { AppliedFilter } from './use-ui-state.ts';

export interface FilterBarProps {
  readonly editing: boolean;
  /** The text being edited. */
  readonly draft: string;
  /** Why the last text was refused (the previous filter stays in force), or null. */
  readonly error: string | null;
  readonly applied: AppliedFilter | null;
  readonly width: number;
}

/** Lines the bar takes: none without a filter, two while an error is shown. */
export function filterBarHeight({ editing, error, applied }: Pick<FilterBarProps, 'editing' | 'error' | 'applied'>): number {
  if (editing) return error === null ? 1 : 2;
  return applied === null ? 0 : 1;
}

export function FilterBar({ editing, draft, error, applied, width }: FilterBarProps) {
  const theme = useTheme();
  if (editing) {
    // The cursor stays in view: a long text loses its start.
    const room = Math.max(1, width - 'filter: '.length - 1);
    const shown = draft.length > room ? `…${draft.slice(draft.length - room + 1)}` : draft;
    return (
      <Box flexDirection="column">
        <Line segments={[{ text: 'filter: ', bold: true }, { text: shown }, { text: ' ', inverse: true }]} width={width} />
        {error === null ? null : (
          <Line segments={[{ text: `error ${error}`, color: theme.error }]} width={width} />
        )}
      </Box>
    );
  }
  if (applied === null) return null;
  return (
    <Line
      segments={[
        { text: 'filter: ', bold: true },
        { text: applied.text },
        ...(applied.description ? [{ text: `  (${applied.description})`, dim: theme.dim }] : []),
      ]}
      width={width}
    />
  );
}
