import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { CGROUP_RESCAN_INTERVAL_MS, CgroupPathResolver, findCgroup2Root } from '../../src/core/cgroups.ts';

test('findCgroup2Root finds the cgroup2 mount wherever it is, unescaped', () => {
  const v1 = '30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory';
  const cases: [string, string | undefined][] = [
    ['36 25 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate', '/sys/fs/cgroup'],
    [`${v1}\n41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`, '/sys/fs/cgroup/unified'],
    ['50 25 0:40 / /mnt/my\\040cgroups rw - cgroup2 none rw', '/mnt/my cgroups'],
    [v1, undefined],
    ['', undefined],
  ];
  for (const [mountinfo, expected] of cases) assert.equal(findCgroup2Root(mountinfo), expected, mountinfo);
});

/** A fake cgroup2 mount: a directory tree, and a clock the test moves. */
function fakeMount(t: TestContext) {
  const root = mkdtempSync(join(tmpdir(), 'clawtop-test-cgroups-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const clock = { ms: 0 };
  const make = (relativePath: string) => {
    mkdirSync(join(root, relativePath), { recursive: true });
    return statSync(join(root, relativePath)).ino;
  };
  return { root, clock, make, resolver: new CgroupPathResolver(root, () => clock.ms) };
}

test('ids resolve to paths below the mount, "/" for the mount itself', (t) => {
  const { root, make, resolver } = fakeMount(t);
  const service = make('system.slice/clawtop.service');
  const slice = statSync(join(root, 'system.slice')).ino;
  const user = make('user.slice');

  assert.equal(resolver.resolve(statSync(root).ino), '/');
  assert.equal(resolver.resolve(slice), '/system.slice');
  assert.equal(resolver.resolve(service), '/system.slice/clawtop.service');
  assert.equal(resolver.resolve(user), '/user.slice');
});

test('a miss rescans the mount, but at most once per interval', (t) => {
  const { clock, make, resolver } = fakeMount(t);
  assert.equal(resolver.resolve(1), undefined); // the first walk, at 0 ms

  clock.ms = 10;
  const early = make('early');
  assert.equal(resolver.resolve(early), undefined, 'no second walk within the interval');

  clock.ms = CGROUP_RESCAN_INTERVAL_MS - 1;
  assert.equal(resolver.resolve(early), undefined);

  clock.ms = CGROUP_RESCAN_INTERVAL_MS;
  assert.equal(resolver.resolve(early), '/early', 'walked again once the interval is over');

  const late = make('late');
  clock.ms = CGROUP_RESCAN_INTERVAL_MS + 1;
  assert.equal(resolver.resolve(early), '/early', 'a hit needs no walk');
  assert.equal(resolver.resolve(late), undefined);
  clock.ms = 2 * CGROUP_RESCAN_INTERVAL_MS;
  assert.equal(resolver.resolve(late), '/late');
});

test('a removed cgroup is forgotten at the next walk', (t) => {
  const { root, clock, make, resolver } = fakeMount(t);
  const gone = make('gone');
  assert.equal(resolver.resolve(gone), '/gone');

  rmSync(join(root, 'gone'), { recursive: true });
  assert.equal(resolver.resolve(gone), '/gone', 'still cached: no walk on a hit');
  clock.ms = CGROUP_RESCAN_INTERVAL_MS;
  resolver.resolve(-1); // a miss walks again
  assert.equal(resolver.resolve(gone), undefined);
});

test('a mount that does not exist resolves nothing', () => {
  const resolver = new CgroupPathResolver('/nonexistent/clawtop-test-mount', () => 0);
  assert.equal(resolver.resolve(1), undefined);
});
