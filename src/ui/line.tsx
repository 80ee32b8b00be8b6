// One line of styled segments, cut to the screen's width: headers, footers and bars are
// built from it so no line ever wraps and moves the rest of the screen down.
import { Text } from 'ink';

import { printable } from './format.ts';

export interface Segment {
  readonly text: string;
  readonly color?: string | undefined;
  readonly bold?: boolean;
  readonly inverse?: boolean;
  readonly dim?: boolean;
}

/** The segments cut to width characters in all; the last one cut ends with an ellipsis. */
export function fitSegments(segments: readonly Segment[], width: number): Segment[] {
  const fitted: Segment[] = [];
  let room = width;
  for (const segment of segments) {
    const text = printable(segment.text);
    if (room <= 0) break;
    if (text.length <= room) {
      fitted.push({ ...segment, text });
      room -= text.length;
    } else {
      fitted.push({ ...segment, text: room === 1 ? '…' : `${text.slice(0, room - 1)}…` });
      room = 0;
    }
  }
  return fitted;
}

export interface LineProps {
  readonly segments: readonly Segment[];
  /** The screen's width: the line is cut to it. */
  readonly width: number;
}

export function Line({ segments, width }: LineProps) {
  return (
    <Text wrap="truncate-end">
      {fitSegments(segments, width).map((segment, index) => (
        <Text
          key={index}
          color={segment.color}
          bold={segment.bold ?? false}
          inverse={segment.inverse ?? false}
          dimColor={segment.dim ?? false}
        >
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}
