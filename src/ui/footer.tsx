// The bottom line: the keys of the current mode.
import { Line, type Segment } from './line.tsx';
import { FOOTER_KEYS, hintsFor, type Mode } from './modes.ts';

export interface FooterProps {
  readonly mode: Mode;
  /** A snapshot file: the keys that do nothing there are left out. */
  readonly readOnly: boolean;
  readonly width: number;
}

export function Footer({ mode, readOnly, width }: FooterProps) {
  const segments: Segment[] = hintsFor(FOOTER_KEYS[mode], readOnly).flatMap(({ keys, action }, index) => [
    ...(index > 0 ? [{ text: '  ' }] : []),
    { text: keys, inverse: true },
    { text: ` ${action}` },
  ]);
  return <Line segments={segments} width={width} />;
}
