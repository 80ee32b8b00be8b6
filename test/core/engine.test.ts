// The Engine played from the sample recording: every event reaches onEvent whether or not
// the model's tables are kept, and only kept tables fill.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import type { ClawtopEvent } from '../../src/core/decode.ts';
import { Engine } from '../../src/core/engine.ts';
import { parseRecording } from '../../src/core/recording.ts';
import { RecordingPlayer } from '../../src/core/recording-player.ts';

const SAMPLE = new URL('../../docs/sample.clawtop-rec', import.meta.url).pathname;

/** Plays the whole sample as fast as possible; returns the engine and what onEvent got. */
async function playSample(keepTables: boolean | undefined): Promise<{ engine: Engine; events: ClawtopEvent[] }> {
  const player = new RecordingPlayer(parseRecording(SAMPLE, readFileSync(SAMPLE)), { speed: Infinity });
  const events: ClawtopEvent[] = [];
  const engine = new Engine({
    monitors: player.monitors,
    ringSizeBytes: player.readCounters().ringSizeBytes,
    source: player,
    keepTables,
    onEvent: (event) => events.push(event),
  });
  const ended = new Promise<void>((resolve) => engine.onSourceEnd(resolve));
  engine.start();
  await ended;
  engine.close();
  return { engine, events };
}

test('without its tables the engine hands over the same events, cgroup traffic included, and the tables stay empty', async () => {
  const kept = await playSample(undefined);
  const streamed = await playSample(false);
  assert.deepEqual(streamed.events, kept.events);
  assert.ok(kept.events.some((event) => event.kind === 'cgroup'), 'the sample has cgroup traffic');
  const nowMs = kept.engine.session.nowNs() / 1e6;
  const keptTables = kept.engine.model.snapshot(nowMs);
  assert.ok(keptTables.files.length > 0 && keptTables.commands.length > 0 && keptTables.connections.length > 0);
  const streamedTables = streamed.engine.model.snapshot(nowMs);
  assert.deepEqual(
    [streamedTables.files, streamedTables.commands, streamedTables.connections],
    [[], [], []],
  );
  assert.deepEqual(streamed.engine.kindTotals(), kept.engine.kindTotals());
});

test('the model fills the same tables whether each event is its own object or file events share one', async () => {
  // With an onEvent, every event is a new object; without, the model alone reads them and
  // every file event is read into the same one.
  const own = await playSample(undefined);
  const player = new RecordingPlayer(parseRecording(SAMPLE, readFileSync(SAMPLE)), { speed: Infinity });
  const shared = new Engine({ monitors: player.monitors, ringSizeBytes: player.readCounters().ringSizeBytes, source: player });
  const ended = new Promise<void>((resolve) => shared.onSourceEnd(resolve));
  shared.start();
  await ended;
  shared.close();
  const nowMs = own.engine.session.nowNs() / 1e6;
  const ownTables = own.engine.model.snapshot(nowMs);
  assert.ok(ownTables.files.length > 1, 'the sample opens several files');
  assert.deepEqual(shared.model.snapshot(nowMs), ownTables);
});
