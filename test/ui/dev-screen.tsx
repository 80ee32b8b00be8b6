// A dev aid: the screen on fixture snapshots, to look at it in a real terminal
// (e.g. `tmux new-session -x 80 -y 24 'node --import tsx test/ui/dev-screen.tsx'`).
// It republishes the fixtures once a second with the time moving on; q quits.
import { render } from 'ink';

import { App } from '../../src/ui/app.tsx';
import { FakeController, SNAPSHOT } from './fixtures.ts';

const controller = new FakeController();
let tick = 0;
const timer = setInterval(() => {
  tick++;
  if (!controller.paused) controller.publish({ ...SNAPSHOT, takenMs: SNAPSHOT.takenMs + tick * 1000 });
}, 1000);
const instance = render(<App controller={controller} onQuit={() => instance.unmount()} />, { exitOnCtrlC: false });
await instance.waitUntilExit();
clearInterval(timer);
