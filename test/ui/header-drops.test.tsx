// Losses are never silent on the screen: the header's first line counts the events the
// full ring dropped, from the kernel's counter (HeaderInfo.dropped), in the error colour.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { cleanup } from 'ink-testing-library';

import { FakeController, HEADER, SNAPSHOT } from './fixtures.ts';
import { renderApp } from './harness.tsx';

afterEach(() => cleanup());

const SUMMARY_WITH_DROPS = 'clawtop · testhost · 6.1.0-18-amd64 · up 3d 4h · drops 48k · ring 97%';

test('the header shows the events dropped and how full the ring is', async () => {
  const app = await renderApp(new FakeController(SNAPSHOT, { ...HEADER, dropped: 48_213, ringFillRatio: 0.97 }));
  assert.equal(app.lines()[0], SUMMARY_WITH_DROPS);
});

test('a few drops are counted one by one', async () => {
  const app = await renderApp(new FakeController(SNAPSHOT, { ...HEADER, dropped: 7 }));
  assert.match(app.lines()[0]!, / · drops 7 · ring 3%$/);
});
