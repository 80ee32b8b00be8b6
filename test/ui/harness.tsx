// Renders the App with ink-testing-library at a given terminal size, and types keys.
import { render } from 'ink-testing-library';
import { mock } from 'node:test';

import { App } from '../../src/ui/app.tsx';
import type { UiController } from '../../src/ui/controller.ts';

export interface Size {
  readonly columns: number;
  readonly rows: number;
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Lets Ink read the input (a lone Esc waits for setImmediate) and React render, until
 * no new frame has come for a while: a key may take a few renders (one key per render).
 */
export async function settle(stdout?: { readonly frames: readonly string[] }): Promise<void> {
  await pause();
  if (stdout === undefined) return;
  for (let rounds = 0; rounds < 20; rounds++) {
    const count = stdout.frames.length;
    await pause();
    if (stdout.frames.length === count) return;
  }
}

/**
 * ink-testing-library's stdout says 100 columns and no rows; the terminal is given its
 * size the way a real one changes it: new columns and rows, then 'resize'.
 */
export function resize(stdout: NodeJS.EventEmitter, size: Size): void {
  Object.defineProperty(stdout, 'columns', { value: size.columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: size.rows, configurable: true });
  stdout.emit('resize');
}

export async function renderApp(controller: UiController, size: Size = { columns: 80, rows: 24 }) {
  const onQuit = mock.fn();
  const instance = render(<App controller={controller} onQuit={onQuit} />);
  resize(instance.stdout, size);
  await settle(instance.stdout);
  /** Types the keys one after another, letting each take effect. */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      instance.stdin.write(key);
      await settle(instance.stdout);
    }
  };
  /** The last frame as lines. */
  const lines = () => (instance.lastFrame() ?? '').split('\n');
  return { ...instance, onQuit, press, lines };
}
