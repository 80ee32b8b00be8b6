// Ink 6.8 keeps every distinct text it measures or wraps in two module-level caches that
// are never emptied (vadimdemedes/ink#986): a screen whose rows keep changing grew without
// end, about 5 KiB a frame. patches/ink+6.8.0.patch (applied by npm's postinstall) bounds
// them; these tests fail where it is not applied.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { Box, Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';

interface BoundedCache {
  readonly cache?: Map<string, unknown>;
  readonly MAX_CACHED_TEXTS?: number;
}

// The modules Ink itself loads: the same files, so the same module instances.
const inkBuild = new URL('.', import.meta.resolve('ink'));
const measureText = (await import(new URL('measure-text.js', inkBuild).href)) as BoundedCache;
const wrapText = (await import(new URL('wrap-text.js', inkBuild).href)) as BoundedCache;

afterEach(() => cleanup());

/**
 * A frame of distinct lines, as a busy table draws them frame after frame; wider than the
 * testing library's 100 columns, so Ink wraps (cuts) them as well as measuring them.
 */
function Lines({ frame, count }: { readonly frame: number; readonly count: number }) {
  return (
    <Box flexDirection="column">
      {Array.from({ length: count }, (_, line) => (
        <Text key={line} wrap="truncate-end">
          {`frame ${frame} line ${line} `.padEnd(120, '.')}
        </Text>
      ))}
    </Box>
  );
}

for (const [name, module] of [
  ['measure-text', measureText],
  ['wrap-text', wrapText],
] as const) {
  test(`Ink's ${name} cache stays bounded however many distinct lines are drawn`, () => {
    assert.ok(module.cache instanceof Map, `Ink's ${name} is not patched: run npm ci (postinstall applies patches/)`);
    const limit = module.MAX_CACHED_TEXTS!;
    const app = render(<Lines frame={0} count={30} />);
    for (let frame = 1; frame <= Math.ceil((3 * limit) / 30); frame++) app.rerender(<Lines frame={frame} count={30} />);
    assert.ok(module.cache.size <= limit, `${module.cache.size} entries, more than ${limit}`);
    assert.ok(module.cache.size >= limit / 2, `${module.cache.size} entries: the cache should still serve`);
  });
}

test('lines drawn after the caches filled are still drawn right', () => {
  const limit = measureText.MAX_CACHED_TEXTS ?? 1000;
  const app = render(<Lines frame={0} count={3} />);
  for (let frame = 1; frame <= (2 * limit) / 3; frame++) app.rerender(<Lines frame={frame} count={3} />);
  app.rerender(<Lines frame={0} count={3} />);
  const cut = (line: number) => `frame 0 line ${line} `.padEnd(99, '.') + '…';
  assert.equal(app.lastFrame(), [0, 1, 2].map(cut).join('\n'));
});
