import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseCgroupV2Path, parseStat, parseStatusUid, parseUserNames } from '../../src/core/procinfo.ts';

test('/proc/<pid>/stat: a comm with spaces and parentheses, the ppid and the start time', () => {
  const stat = '4242 (tricky) name)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 10';
  assert.deepEqual(parseStat(stat), { comm: 'tricky) name)', ppid: 17, startSeconds: 123.45 });
  assert.equal(parseStat('garbage'), undefined);
});

test('/proc/<pid>/status: the real uid', () => {
  assert.equal(parseStatusUid('Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\n'), 1000);
  assert.equal(parseStatusUid('Name:\tx\n'), undefined);
});

test('/proc/<pid>/cgroup: the v2 path, on hybrid and pure v2 hosts', () => {
  assert.equal(parseCgroupV2Path('12:pids:/\n1:name=systemd:/init.scope\n0::/system.slice/x.service\n'), '/system.slice/x.service');
  assert.equal(parseCgroupV2Path('0::/\n'), '/');
  assert.equal(parseCgroupV2Path('1:cpu:/\n'), undefined);
});

test('/etc/passwd: uid to name, the first entry of a uid wins', () => {
  const names = parseUserNames('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/usr/sbin/nologin\ntoor:x:0:0::/:/bin/sh\n\n');
  assert.deepEqual([...names], [
    [0, 'root'],
    [65534, 'nobody'],
  ]);
});
