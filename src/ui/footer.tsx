// The bottom line: the keys of the current mode.
import { Line, type Segment } from './line.tsx';
import { FOOTER_KEYS, type Mode } from './modes.ts';

export interface FooterProps {
  readonly mode: Mode;
  readonly width: number;
}

export function Footer({ mode, width }: FooterProps) {
  const segments: Segment[] = FOOTER_KEYS[mode].flatMap(({ keys, action }, index) => [
    ...(index > 0 ? [{ text: '  ' }] : []),
    { text: keys, inverse: true },
    { text: ` ${action}` },
  ]);
  return <Line segments={segments} width={width} />;
}
