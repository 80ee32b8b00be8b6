// Keys as the screen means them. Ink's useInput reports both Backspace (DEL, 0x7f) and the
// Delete key (ESC [3~) as `delete`, and the filter bar needs them apart (one erases a
// character, the other clears the filter); and it hands over keys typed faster than they
// are read as one string ("jj\r"), where each must act in turn. So this hook reads the
// input Ink has split at escape sequences (the stdin context's event emitter, which
// useInput reads too) and names every key itself.
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef } from 'react';
import { useStdin } from 'ink';

export type NamedKey =
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'enter'
  | 'escape'
  | 'tab'
  | 'backTab'
  | 'backspace'
  | 'delete';

export type Keypress =
  | { readonly kind: 'key'; readonly name: NamedKey }
  /** A printable character. */
  | { readonly kind: 'text'; readonly text: string }
  /** Ctrl and a letter, e.g. 'c' for Ctrl-C. */
  | { readonly kind: 'ctrl'; readonly letter: string }
  | { readonly kind: 'unknown'; readonly sequence: string };

const ESCAPE_SEQUENCES: Readonly<Record<string, NamedKey>> = {
  '[A': 'up',
  '[B': 'down',
  '[C': 'right',
  '[D': 'left',
  OA: 'up',
  OB: 'down',
  OC: 'right',
  OD: 'left',
  '[5~': 'pageUp',
  '[6~': 'pageDown',
  '[H': 'home',
  OH: 'home',
  '[1~': 'home',
  '[7~': 'home',
  '[F': 'end',
  OF: 'end',
  '[4~': 'end',
  '[8~': 'end',
  '[3~': 'delete',
  '[Z': 'backTab',
  '\u001B': 'escape',
};

/** Arrows with a modifier (ESC [1;5A): the arrow, whatever the modifier. */
const MODIFIED_ARROW = /^\[1;\d+([ABCD])$/;

/** One key from one sequence: an escape sequence, or a single character. */
export function decodeKey(sequence: string): Keypress {
  if (sequence === '\r' || sequence === '\n') return { kind: 'key', name: 'enter' };
  if (sequence === '\t') return { kind: 'key', name: 'tab' };
  if (sequence === '\u007F' || sequence === '\b') return { kind: 'key', name: 'backspace' };
  if (sequence === '\u001B') return { kind: 'key', name: 'escape' };
  if (sequence.startsWith('\u001B')) {
    const rest = sequence.slice(1);
    const named = ESCAPE_SEQUENCES[rest] ?? ESCAPE_SEQUENCES[rest.replace(MODIFIED_ARROW, '[$1')];
    return named ? { kind: 'key', name: named } : { kind: 'unknown', sequence };
  }
  if (sequence.length === 1) {
    const code = sequence.charCodeAt(0);
    if (code >= 1 && code <= 26) return { kind: 'ctrl', letter: String.fromCharCode(code + 96) };
    if (code < 32) return { kind: 'unknown', sequence };
  }
  return { kind: 'text', text: sequence };
}

/**
 * The keys in one piece of input: an escape sequence is one key, anything else a key per
 * character (a paste too: the filter bar takes it character by character).
 */
export function decodeKeys(input: string): Keypress[] {
  return input.startsWith('\u001B') ? [decodeKey(input)] : [...input].map(decodeKey);
}

export interface KeysOptions {
  /** Keys go to the handler only while active (default true). */
  readonly isActive?: boolean;
}

/**
 * Calls onKey for every key, one key per render: a key's handler sees what the keys before
 * it did (React batches the updates of keys read together, so without this '/' then 'c'
 * typed fast would clear the tables instead of typing c into the filter bar). Like Ink's
 * useInput, it puts stdin in raw mode while active.
 */
export function useKeys(onKey: (key: Keypress) => void, options: KeysOptions = {}): void {
  const isActive = options.isActive ?? true;
  const { internal_eventEmitter: inputEvents, setRawMode } = useStdin();
  const handler = useRef(onKey);
  const queue = useRef<Keypress[]>([]);
  const [, requestRender] = useReducer((renders: number) => renders + 1, 0);

  const handleNext = useCallback(() => {
    const key = queue.current.shift();
    if (key === undefined) return;
    handler.current(key);
    // The next key waits for the render this one caused (forced, if it changed nothing).
    if (queue.current.length > 0) requestRender();
  }, []);

  // After each render, with that render's handler: the next key waiting, if any.
  useLayoutEffect(() => {
    handler.current = onKey;
    handleNext();
  });

  useEffect(() => {
    if (!isActive) return undefined;
    setRawMode(true);
    return () => setRawMode(false);
  }, [isActive, setRawMode]);

  useEffect(() => {
    if (!isActive) return undefined;
    const listener = (input: string) => {
      const idle = queue.current.length === 0;
      queue.current.push(...decodeKeys(input));
      if (idle) handleNext();
    };
    inputEvents.on('input', listener);
    return () => {
      inputEvents.off('input', listener);
      queue.current = [];
    };
  }, [isActive, inputEvents, handleNext]);
}
