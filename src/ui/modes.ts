// The screen's modes, and the keys each one takes: the footer lists a mode's keys, the
// help overlay lists all of them. The input hook (use-app-input.ts) implements them.

/** One mode at a time: what the keys do and what the body of the screen shows. */
export type Mode = 'normal' | 'filter' | 'help' | 'detail' | 'monitors';

export interface KeyHint {
  readonly keys: string;
  readonly action: string;
  /** What the key does on a read-only screen (a snapshot file) when that differs; null: nothing, so not listed. */
  readonly readOnlyAction?: string | null;
}

/** The hints as a screen shows them: on a read-only one, its own actions, without the keys that do nothing. */
export function hintsFor(hints: readonly KeyHint[], readOnly: boolean): KeyHint[] {
  if (!readOnly) return [...hints];
  return hints.flatMap((hint) =>
    hint.readOnlyAction === null ? [] : [{ keys: hint.keys, action: hint.readOnlyAction ?? hint.action }],
  );
}

/**
 * The footer's line, per mode: the keys used most, as many as 80 columns hold (the help
 * has the rest; the pane keys are on the tabs).
 */
export const FOOTER_KEYS: Readonly<Record<Mode, readonly KeyHint[]>> = {
  normal: [
    { keys: 'q', action: 'quit' },
    { keys: 'h', action: 'help' },
    { keys: '/', action: 'filter' },
    { keys: '<>', action: 'sort' },
    { keys: 'p', action: 'pause', readOnlyAction: null },
    { keys: 'Enter', action: 'detail' },
    { keys: 'W', action: 'snapshot', readOnlyAction: 'copy' },
    { keys: 'm', action: 'monitors' },
  ],
  filter: [
    { keys: 'Enter', action: 'apply' },
    { keys: 'Esc', action: 'cancel' },
    { keys: 'Del', action: 'clear filter' },
    { keys: 'Backspace', action: 'erase' },
  ],
  help: [{ keys: 'any key', action: 'close help' }],
  detail: [
    { keys: 'Backspace', action: 'back' },
    { keys: '↑↓', action: 'scroll' },
    { keys: 'h', action: 'help' },
    { keys: 'q', action: 'quit' },
  ],
  monitors: [
    { keys: '↑↓', action: 'move' },
    { keys: 'Enter', action: 'switch on/off', readOnlyAction: null },
    { keys: 'Esc', action: 'close' },
  ],
};

/** The help overlay: every key, by what it is for. */
export const HELP_SECTIONS: readonly { readonly title: string; readonly keys: readonly KeyHint[] }[] = [
  {
    title: 'Move',
    keys: [
      { keys: '↑ ↓  j k', action: 'select the previous / next row' },
      { keys: 'PgUp PgDn', action: 'a page up / down' },
      { keys: 'Home End', action: 'the first / last row' },
      { keys: 'Tab Shift-Tab 1-5', action: 'next / previous pane, or pane by number' },
    ],
  },
  {
    title: 'View',
    keys: [
      { keys: '/ f', action: 'filter: Enter applies, Esc cancels, Del clears' },
      { keys: '< > s', action: 'sort by the column left / right / next' },
      { keys: 'I', action: 'invert the sort' },
      { keys: 'Enter Backspace', action: 'detail of the selected row / back' },
      { keys: 'Z p', action: 'pause / resume (counting goes on)', readOnlyAction: 'pause: not here, a snapshot is read-only' },
      { keys: 'Ctrl-L', action: 'redraw the screen' },
    ],
  },
  {
    title: 'Act',
    keys: [
      { keys: 'W', action: 'write a snapshot file of what is shown', readOnlyAction: 'write a copy of this snapshot with the rows shown' },
      { keys: 'm', action: 'switch monitors on and off', readOnlyAction: 'the monitors as they were (read-only)' },
      { keys: 'c', action: 'clear the tables and alerts', readOnlyAction: 'clear: not here, a snapshot is read-only' },
      { keys: 'q Ctrl-C', action: 'quit' },
    ],
  },
];

export const FILTER_GRAMMAR: readonly string[] = [
  'text: substring, any case · !regex · field terms joined by commas (AND):',
  'comm==nginx  pid==42  uid!=0  dport>=1024  path~^/etc  cgroup~docker',
];
