import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  compileFilter,
  describeFilter,
  FILTER_FIELDS,
  FilterError,
  type FilterAccess,
  type FilterTerm,
  type KernelFilterSetting,
  type RowFieldName,
} from '../../src/core/filter.ts';

interface Row {
  readonly name: string;
  readonly text: string;
  readonly fields: Partial<Record<RowFieldName, string | number>>;
}

const ACCESS: FilterAccess<Row> = {
  field: (row, name) => row.fields[name],
  text: (row) => row.text,
};

const ROWS: readonly Row[] = [
  {
    name: 'nginx-exec',
    text: 'exec 42 www-data nginx -g daemon off;',
    fields: {
      kind: 'exec', pid: 42, ppid: 1, uid: 33, user: 'www-data', comm: 'nginx',
      argv: 'nginx -g daemon off;', filename: '/usr/sbin/nginx', cgroup: '/system.slice/nginx.service',
    },
  },
  {
    name: 'sshd-exit',
    text: 'exit 900 root sshd 255',
    fields: { kind: 'exit', pid: 900, ppid: 1, uid: 0, user: 'root', comm: 'sshd', exit: 255, cgroup: '/system.slice/ssh.service' },
  },
  {
    name: 'passwd-read',
    text: '/etc/passwd read cat 3',
    fields: { kind: 'file', pid: 1234, ppid: 1200, uid: 1000, user: 'alice', comm: 'cat', path: '/etc/passwd', op: 'read', result: 3 },
  },
  {
    name: 'log-denied',
    text: '/var/log/nginx/error,old.log create nginx EACCES',
    fields: {
      kind: 'file', pid: 42, ppid: 1, uid: 33, user: 'www-data', comm: 'nginx',
      path: '/var/log/nginx/error,old.log', op: 'create', result: -13, errno: 'EACCES',
    },
  },
  {
    name: 'curl-out',
    text: 'curl tcp 10.0.0.5:51000 -> 93.184.216.34:443 outbound',
    fields: {
      kind: 'net', pid: 5000, uid: 1000, comm: 'curl', proto: 'tcp', dir: 'outbound', result: 0,
      src: '10.0.0.5', sport: 51000, dst: '93.184.216.34', dport: 443, cgroup: '/docker/abc123',
    },
  },
  {
    name: 'nginx-in',
    text: 'nginx tcp 192.168.1.7:60000 -> 10.0.0.5:80 inbound',
    fields: {
      kind: 'net', pid: 42, uid: 33, comm: 'nginx', proto: 'tcp', dir: 'inbound', result: 0,
      src: '192.168.1.7', sport: 60000, dst: '10.0.0.5', dport: 80,
    },
  },
  {
    name: 'dns-refused',
    text: 'python3 udp 10.0.0.5:40000 -> 10.0.0.1:8080 outbound ECONNREFUSED',
    fields: {
      kind: 'net', pid: 7000, uid: 1000, comm: 'python3', proto: 'udp', dir: 'outbound', result: -111,
      errno: 'ECONNREFUSED', src: '10.0.0.5', sport: 40000, dst: '10.0.0.1', dport: 8080,
    },
  },
  {
    name: 'docker-alert',
    text: 'high cgroup /docker/abc123 sends 4.0 MiB/s, over its threshold of 1.0 MiB/s',
    fields: { kind: 'anomaly', severity: 'high', cgroup: '/docker/abc123' },
  },
];
const ALL = ROWS.map((row) => row.name);
const except = (...names: string[]) => ALL.filter((name) => !names.includes(name));

const MATCHING: readonly (readonly [filter: string, matching: readonly string[]])[] = [
  // Empty filters.
  ['', ALL],
  ['   ', ALL],
  // Free text: case-insensitive substring; a leading ! is a case-insensitive regex.
  ['nginx', ['nginx-exec', 'log-denied', 'nginx-in']],
  ['NGINX', ['nginx-exec', 'log-denied', 'nginx-in']],
  ['4.0 mib/s', ['docker-alert']],
  ['4x0', []],
  ['-> 10.0.0', ['nginx-in', 'dns-refused']],
  ['!^exi', ['sshd-exit']],
  ['!NGINX.*OFF;$', ['nginx-exec']],
  ['!:(80|443)\\b', ['curl-out', 'nginx-in']],
  // String fields: == and != exact and case-sensitive; ~ and !~ case-insensitive regexes.
  ['comm==nginx', ['nginx-exec', 'log-denied', 'nginx-in']],
  ['comm==NGINX', []],
  ['comm==ngin', []],
  ['comm!=nginx', ['sshd-exit', 'passwd-read', 'curl-out', 'dns-refused', 'docker-alert']],
  ['path~^/etc', ['passwd-read']],
  ['path~PASSWD$', ['passwd-read']],
  ['path!~^/etc', except('passwd-read')],
  ['cgroup~docker', ['curl-out', 'docker-alert']],
  ['cgroup!~docker', except('curl-out', 'docker-alert')],
  ['user==root', ['sshd-exit']],
  ['argv~daemon off', ['nginx-exec']],
  ['filename~/sbin/', ['nginx-exec']],
  ['op==create', ['log-denied']],
  ['errno==EACCES', ['log-denied']],
  ['errno~^econn', ['dns-refused']],
  ['proto==udp', ['dns-refused']],
  ['dir==inbound', ['nginx-in']],
  ['src~^10\\.0\\.0\\.5$', ['curl-out', 'dns-refused']],
  ['dst==93.184.216.34', ['curl-out']],
  ['kind==net', ['curl-out', 'nginx-in', 'dns-refused']],
  ['severity==high', ['docker-alert']],
  // Number fields: every comparison; a row without the field fails all but !=.
  ['pid==42', ['nginx-exec', 'log-denied', 'nginx-in']],
  ['pid!=42', ['sshd-exit', 'passwd-read', 'curl-out', 'dns-refused', 'docker-alert']],
  ['ppid==1', ['nginx-exec', 'sshd-exit', 'log-denied']],
  ['uid>=1000', ['passwd-read', 'curl-out', 'dns-refused']],
  ['uid>33', ['passwd-read', 'curl-out', 'dns-refused']],
  ['uid<=33', ['nginx-exec', 'sshd-exit', 'log-denied', 'nginx-in']],
  ['uid<33', ['sshd-exit']],
  ['uid!=0', except('sshd-exit')],
  ['exit==255', ['sshd-exit']],
  ['exit!=0', ALL],
  ['result<0', ['log-denied', 'dns-refused']],
  ['result==-111', ['dns-refused']],
  ['result>=0', ['passwd-read', 'curl-out', 'nginx-in']],
  ['sport==60000', ['nginx-in']],
  ['dport>=1024', ['dns-refused']],
  ['dport<1024', ['curl-out', 'nginx-in']],
  // port is either end; != is its opposite: neither end.
  ['port==443', ['curl-out']],
  ['port==60000', ['nginx-in']],
  ['port!=443', except('curl-out')],
  ['port<1000', ['curl-out', 'nginx-in']],
  ['port>50000', ['curl-out', 'nginx-in']],
  // Terms joined by commas must all hold; spaces around terms and operators are trimmed.
  ['comm==nginx,kind==file', ['log-denied']],
  ['  pid == 42 ,   kind==net  ', ['nginx-in']],
  ['nginx, !in(bound)?$', ['nginx-in']],
  ['uid>=1000, port==443, cgroup~docker', ['curl-out']],
  // A backslash escapes a comma; other backslashes stay for the regex.
  ['path==/var/log/nginx/error\\,old.log', ['log-denied']],
  ['error\\,old', ['log-denied']],
  ['!error\\,o.d', ['log-denied']],
  ['path~error\\,old\\.log$, op==create', ['log-denied']],
  ['MiB/s\\, over', ['docker-alert']],
];

for (const [filter, matching] of MATCHING) {
  test(`filter ${JSON.stringify(filter)} matches ${matching.length === ALL.length ? 'every row' : JSON.stringify(matching)}`, () => {
    const compiled = compileFilter(filter, ACCESS);
    assert.deepEqual(ROWS.filter((row) => compiled.matches(row)).map((row) => row.name), matching);
    assert.equal(compiled.text, filter);
  });
}

test('a value of the other type counts as a missing field', () => {
  const oddRow: Row = { name: 'odd', text: '', fields: { pid: '42', comm: 42 as unknown as string } };
  const cases: [string, boolean][] = [
    ['pid==42', false],
    ['pid!=42', true],
    ['comm~42', false],
    ['comm!~42', true],
  ];
  for (const [filter, expected] of cases) assert.equal(compileFilter(filter, ACCESS).matches(oddRow), expected, filter);
});

const CGROUP_IDS: Record<string, number> = { '/docker/abc123': 4242, '/odd,name': 77 };
const resolveCgroupId = (path: string) => CGROUP_IDS[path];

const PUSHDOWN: readonly {
  filter: string;
  withResolver?: boolean;
  kernelFilters: readonly KernelFilterSetting[];
  terms: readonly FilterTerm[];
  description: string;
}[] = [
  { filter: '', kernelFilters: [], terms: [], description: '' },
  {
    filter: 'pid==42',
    kernelFilters: [{ name: 'filterTgid', value: 42, term: 'pid==42' }],
    terms: [{ text: 'pid==42', runsIn: 'kernel+user' }],
    description: 'kernel: pid==42',
  },
  {
    filter: 'comm==nginx, pid==42',
    kernelFilters: [{ name: 'filterTgid', value: 42, term: 'pid==42' }],
    terms: [
      { text: 'comm==nginx', runsIn: 'user' },
      { text: 'pid==42', runsIn: 'kernel+user' },
    ],
    description: 'kernel: pid==42 · user: comm==nginx',
  },
  {
    filter: ' uid == 0 ',
    kernelFilters: [{ name: 'filterUid', value: 0, term: 'uid == 0' }],
    terms: [{ text: 'uid == 0', runsIn: 'kernel+user' }],
    description: 'kernel: uid == 0',
  },
  {
    filter: 'dport==443',
    kernelFilters: [{ name: 'filterPort', value: 443, term: 'dport==443' }],
    terms: [{ text: 'dport==443', runsIn: 'kernel+user' }],
    description: 'kernel: dport==443',
  },
  {
    filter: 'sport==53',
    kernelFilters: [{ name: 'filterPort', value: 53, term: 'sport==53' }],
    terms: [{ text: 'sport==53', runsIn: 'kernel+user' }],
    description: 'kernel: sport==53',
  },
  {
    filter: 'port==80,nginx',
    kernelFilters: [{ name: 'filterPort', value: 80, term: 'port==80' }],
    terms: [
      { text: 'port==80', runsIn: 'kernel+user' },
      { text: 'nginx', runsIn: 'user' },
    ],
    description: 'kernel: port==80 · user: nginx',
  },
  {
    filter: 'pid!=42, pid>=1, uid<1000, dport>1024, port<=80',
    kernelFilters: [],
    terms: [
      { text: 'pid!=42', runsIn: 'user' },
      { text: 'pid>=1', runsIn: 'user' },
      { text: 'uid<1000', runsIn: 'user' },
      { text: 'dport>1024', runsIn: 'user' },
      { text: 'port<=80', runsIn: 'user' },
    ],
    description: 'user: pid!=42, pid>=1, uid<1000, dport>1024, port<=80',
  },
  {
    filter: 'pid==1, uid==33, pid==2',
    kernelFilters: [{ name: 'filterUid', value: 33, term: 'uid==33' }],
    terms: [
      { text: 'pid==1', runsIn: 'user' },
      { text: 'uid==33', runsIn: 'kernel+user' },
      { text: 'pid==2', runsIn: 'user' },
    ],
    description: 'kernel: uid==33 · user: pid==1, pid==2',
  },
  {
    filter: 'dport==443, sport==80',
    kernelFilters: [],
    terms: [
      { text: 'dport==443', runsIn: 'user' },
      { text: 'sport==80', runsIn: 'user' },
    ],
    description: 'user: dport==443, sport==80',
  },
  {
    filter: 'dport==443, port==443',
    kernelFilters: [{ name: 'filterPort', value: 443, term: 'dport==443' }],
    terms: [
      { text: 'dport==443', runsIn: 'kernel+user' },
      { text: 'port==443', runsIn: 'kernel+user' },
    ],
    description: 'kernel: dport==443, port==443',
  },
  {
    filter: 'pid==-1, uid==4294967296',
    kernelFilters: [],
    terms: [
      { text: 'pid==-1', runsIn: 'user' },
      { text: 'uid==4294967296', runsIn: 'user' },
    ],
    description: 'user: pid==-1, uid==4294967296',
  },
  {
    filter: 'pid==4294967295, port==65535',
    kernelFilters: [
      { name: 'filterTgid', value: 4294967295, term: 'pid==4294967295' },
      { name: 'filterPort', value: 65535, term: 'port==65535' },
    ],
    terms: [
      { text: 'pid==4294967295', runsIn: 'kernel+user' },
      { text: 'port==65535', runsIn: 'kernel+user' },
    ],
    description: 'kernel: pid==4294967295, port==65535',
  },
  {
    filter: 'cgroup==/docker/abc123, comm==curl, uid==1000, port==443, pid==5000',
    withResolver: true,
    kernelFilters: [
      { name: 'filterCgroupId', value: 4242, term: 'cgroup==/docker/abc123' },
      { name: 'filterUid', value: 1000, term: 'uid==1000' },
      { name: 'filterPort', value: 443, term: 'port==443' },
      { name: 'filterTgid', value: 5000, term: 'pid==5000' },
    ],
    terms: [
      { text: 'cgroup==/docker/abc123', runsIn: 'kernel+user' },
      { text: 'comm==curl', runsIn: 'user' },
      { text: 'uid==1000', runsIn: 'kernel+user' },
      { text: 'port==443', runsIn: 'kernel+user' },
      { text: 'pid==5000', runsIn: 'kernel+user' },
    ],
    description: 'kernel: cgroup==/docker/abc123, uid==1000, port==443, pid==5000 · user: comm==curl',
  },
  {
    filter: 'cgroup==/odd\\,name',
    withResolver: true,
    kernelFilters: [{ name: 'filterCgroupId', value: 77, term: 'cgroup==/odd\\,name' }],
    terms: [{ text: 'cgroup==/odd\\,name', runsIn: 'kernel+user' }],
    description: 'kernel: cgroup==/odd\\,name',
  },
  {
    filter: 'cgroup==/gone',
    withResolver: true,
    kernelFilters: [],
    terms: [{ text: 'cgroup==/gone', runsIn: 'user' }],
    description: 'user: cgroup==/gone',
  },
  {
    filter: 'cgroup==/docker/abc123',
    kernelFilters: [],
    terms: [{ text: 'cgroup==/docker/abc123', runsIn: 'user' }],
    description: 'user: cgroup==/docker/abc123',
  },
  {
    filter: 'cgroup~docker, cgroup!=/docker/abc123',
    withResolver: true,
    kernelFilters: [],
    terms: [
      { text: 'cgroup~docker', runsIn: 'user' },
      { text: 'cgroup!=/docker/abc123', runsIn: 'user' },
    ],
    description: 'user: cgroup~docker, cgroup!=/docker/abc123',
  },
  {
    filter: 'nginx, !^ssh',
    kernelFilters: [],
    terms: [
      { text: 'nginx', runsIn: 'user' },
      { text: '!^ssh', runsIn: 'user' },
    ],
    description: 'user: nginx, !^ssh',
  },
];

for (const { filter, withResolver, kernelFilters, terms, description } of PUSHDOWN) {
  test(`pushdown of ${JSON.stringify(filter)}${withResolver ? ' with cgroup ids' : ''}`, () => {
    const compiled = compileFilter(filter, ACCESS, withResolver ? { resolveCgroupId } : {});
    assert.deepEqual(compiled.kernelFilters, kernelFilters);
    assert.deepEqual(compiled.terms, terms);
    assert.equal(describeFilter(compiled), description);
  });
}

test('a pushed term is still checked in user space', () => {
  // The kernel's port slot passes either end; dport==80 must also reject a source port of 80.
  const compiled = compileFilter('dport==80', ACCESS);
  assert.deepEqual(compiled.kernelFilters, [{ name: 'filterPort', value: 80, term: 'dport==80' }]);
  const sourcePort80: Row = { name: 'reply', text: '', fields: { sport: 80, dport: 51000 } };
  assert.equal(compiled.matches(sourcePort80), false);
  assert.equal(compileFilter('port==80', ACCESS).matches(sourcePort80), true);
});

test('the cgroup resolver is asked for the unescaped path of == terms only', () => {
  const asked: string[] = [];
  compileFilter('cgroup==/a\\,b, cgroup~/c, cgroup!=/d, pid==1', ACCESS, {
    resolveCgroupId: (path) => {
      asked.push(path);
      return undefined;
    },
  });
  assert.deepEqual(asked, ['/a,b']);
});

const FIELD_LIST =
  'comm, pid, ppid, uid, user, argv, filename, exit, path, op, result, errno, cgroup, proto, dir, src, dst, sport, dport, port, kind, severity';

const INVALID: readonly (readonly [filter: string, position: number, message: string])[] = [
  ['cmd==nginx', 1, `at 1: unknown field "cmd" (fields: ${FIELD_LIST})`],
  ['comm==nginx, cmd==nginx', 14, `at 14: unknown field "cmd" (fields: ${FIELD_LIST})`],
  ['PID==42', 1, `at 1: unknown field "PID" (fields: ${FIELD_LIST})`],
  ['comm==', 7, 'at 7: no value after "comm=="'],
  ['pid==42, path~   ', 15, 'at 15: no value after "path~"'],
  ['pid==abc', 6, 'at 6: pid needs a whole number, got "abc"'],
  ['dport >= 1e3', 10, 'at 10: dport needs a whole number, got "1e3"'],
  ['exit==4.5', 7, 'at 7: exit needs a whole number, got "4.5"'],
  ['pid==99999999999999999999', 6, 'at 6: pid needs a whole number, got "99999999999999999999"'],
  // A port that cannot exist is refused, whatever the operator, with the range.
  ['dport==70000', 8, 'at 8: dport must be a port number from 0 to 65535, got 70000'],
  ['port>65536', 6, 'at 6: port must be a port number from 0 to 65535, got 65536'],
  ['comm==nc, sport<-1', 17, 'at 17: sport must be a port number from 0 to 65535, got -1'],
  ['path~[', 6, 'at 6: bad regex "[": Unterminated character class'],
  ['nginx, !a(', 9, 'at 9: bad regex "a(": Unterminated group'],
  ['argv!~*x', 7, 'at 7: bad regex "*x": Nothing to repeat'],
  ['comm==nginx,', 12, 'at 12: empty term after ","'],
  ['comm==nginx,   ', 12, 'at 12: empty term after ","'],
  [',pid==1', 1, 'at 1: empty term before ","'],
  ['nginx,,pid==1', 7, 'at 7: empty term before ","'],
  ['nginx, ,pid==1', 8, 'at 8: empty term before ","'],
  ['==nginx', 1, 'at 1: "==" needs a field before it'],
  ['pid==1,  ~docker', 10, 'at 10: "~" needs a field before it'],
  ['!=0', 1, 'at 1: "!=" needs a field before it'],
  ['==', 1, 'at 1: "==" needs a field before it'],
  ['path>5', 5, 'at 5: ">" compares numbers, but path is text (use ==, !=, ~ or !~)'],
  ['comm <= a', 6, 'at 6: "<=" compares numbers, but comm is text (use ==, !=, ~ or !~)'],
  ['pid~^4', 4, 'at 4: "~" matches text, but pid is a number (use ==, !=, <, <=, > or >=)'],
  ['port!~443', 5, 'at 5: "!~" matches text, but port is a number (use ==, !=, <, <=, > or >=)'],
  ['comm=nginx', 5, 'at 5: "=" is not an operator (did you mean "=="?)'],
  ['!', 1, 'at 1: "!" needs a regex after it'],
  ['nginx,  !  ', 9, 'at 9: "!" needs a regex after it'],
];

for (const [filter, position, message] of INVALID) {
  test(`invalid filter ${JSON.stringify(filter)}: ${message}`, () => {
    assert.throws(
      () => compileFilter(filter, ACCESS),
      (error: unknown) => {
        assert.ok(error instanceof FilterError);
        assert.equal(error.message, message);
        assert.equal(error.position, position);
        assert.equal(error.name, 'FilterError');
        return true;
      },
    );
  });
}

test('FILTER_FIELDS gives each field its type', () => {
  assert.deepEqual(
    Object.entries(FILTER_FIELDS).filter(([, type]) => type === 'number').map(([name]) => name),
    ['pid', 'ppid', 'uid', 'exit', 'result', 'sport', 'dport', 'port'],
  );
  assert.equal(Object.keys(FILTER_FIELDS).join(', '), FIELD_LIST);
});
