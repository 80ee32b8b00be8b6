import assert from 'node:assert/strict';
import { test } from 'node:test';

import { btfProblem, effectiveCapabilities, privilegeProblem } from '../../src/core/preflight.ts';

const status = (capEff: string) => `Name:\tclawtop\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`;

test('effective capabilities are read from the CapEff mask', () => {
  assert.deepEqual([...effectiveCapabilities(status('000001ffffffffff'))].sort(), [
    'CAP_BPF',
    'CAP_NET_ADMIN',
    'CAP_PERFMON',
    'CAP_SYS_ADMIN',
  ]);
  assert.deepEqual([...effectiveCapabilities(status('0000000000000000'))], []);
});

test('privileges: root, the three capabilities, or CAP_SYS_ADMIN with CAP_NET_ADMIN are enough', () => {
  const cases: [capEff: string, problem: string | undefined][] = [
    ['000001ffffffffff', undefined],
    [((1n << 39n) | (1n << 38n) | (1n << 12n)).toString(16), undefined],
    [((1n << 21n) | (1n << 12n)).toString(16), undefined],
    [
      '0000000000000000',
      'needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN): run it with sudo',
    ],
    [
      (1n << 39n).toString(16),
      'needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing CAP_PERFMON, CAP_NET_ADMIN): run it with sudo',
    ],
    [
      (1n << 21n).toString(16),
      'needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (missing CAP_NET_ADMIN): run it with sudo',
    ],
  ];
  for (const [capEff, problem] of cases) assert.equal(privilegeProblem(status(capEff)), problem, capEff);
});

test('a kernel without BTF is named, with what it needs', () => {
  assert.equal(btfProblem('/proc/self/status'), undefined);
  assert.equal(
    btfProblem('/nonexistent/vmlinux'),
    'this kernel has no BTF (/nonexistent/vmlinux is missing): clawtop needs a kernel built with CONFIG_DEBUG_INFO_BTF=y',
  );
});
