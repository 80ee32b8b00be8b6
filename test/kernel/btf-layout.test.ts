/**
 * Proves src/core/contract.ts against the kernel contract: the struct layouts against the
 * BTF of the compiled BPF object (what the kernel side really writes), and the enums and
 * constants against the text of bpf/clawtop.h.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ANOMALY_MESSAGE_LEN,
  BENCH_RECORD_KIND,
  CGROUP_FLAG_THRESHOLD_CROSSED,
  CGROUP_METRIC_NAMES,
  COMM_LEN,
  COUNTER_SLOTS,
  COUNTER_SLOT_BENCH,
  CgroupMetric,
  EVENT_KIND_COUNT,
  EVENT_KIND_NAMES,
  EXEC_ARGS_LEN,
  EXEC_FILENAME_LEN,
  EXEC_FLAG_ARGS_TRUNCATED,
  EXEC_FLAG_FILENAME_TRUNCATED,
  EXEC_MAX_ARGS,
  EventKind,
  FILE_FLAG_PATH_TRUNCATED,
  FILE_FLAG_REPEATS,
  FILE_FLAG_FROM_FOLD_SLOT,
  FILE_FOLD_LIVE,
  FILE_FOLD_COUNT_MASK,
  FILE_FOLD_GENERATION_SHIFT,
  FILE_OPERATION_NAMES,
  FILTER_CGROUP,
  FILTER_PID,
  FILTER_PORT,
  FILTER_UID,
  FILE_PATH_LEN,
  FileOperation,
  HEADER_SIZE,
  NETWORK_DIRECTION_NAMES,
  NETWORK_PROTOCOL_NAMES,
  NetworkDirection,
  NetworkProtocol,
  RECORD_VERSION,
  SEVERITY_NAMES,
  SHARED_HOOK_FILES,
  SHARED_HOOK_SYSCALLS,
  STRUCT_LAYOUTS,
  SYSCALL_ARG_COUNT,
  SYSCALL_PATH_LEN,
  Severity,
  memberByteSize,
  type MemberLayout,
  type StructLayout,
} from '../../src/core/contract.ts';
import { kernelPrerequisiteMissing, missingFileReason } from './gate.ts';

const repoPath = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));
const HEADER_PATH = repoPath('bpf/clawtop.h');
const OBJECT_PATH = repoPath('build/bpf/clawtop.bpf.o');
const SETUP_HINT = 'run scripts/setup.sh';

/** bpftool lives in sbin, which a user's PATH often lacks. */
function findBpftool(): string | undefined {
  const directories = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  return directories
    .filter((directory) => directory !== '')
    .map((directory) => join(directory, 'bpftool'))
    .find((candidate) => existsSync(candidate));
}

const bpftool = findBpftool();
const btfPrerequisiteReason =
  bpftool === undefined
    ? `bpftool not found in PATH or /usr/sbin: ${SETUP_HINT}`
    : missingFileReason(OBJECT_PATH, SETUP_HINT);

/** The few fields of `bpftool -j btf dump ... format raw` this test reads. */
interface BtfType {
  readonly id: number;
  readonly kind: string;
  readonly name: string;
  readonly size?: number;
  readonly type_id?: number;
  readonly nr_elems?: number;
  readonly encoding?: string;
  readonly members?: readonly { name: string; type_id: number; bits_offset: number }[];
}

let btfTypes: Map<number, BtfType> | undefined;

function loadBtf(): Map<number, BtfType> {
  if (btfTypes === undefined) {
    const json = execFileSync(
      bpftool!,
      ['-j', 'btf', 'dump', 'file', OBJECT_PATH, 'format', 'raw'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const { types } = JSON.parse(json) as { types: BtfType[] };
    btfTypes = new Map(types.map((type) => [type.id, type]));
  }
  return btfTypes;
}

/** What a member's type amounts to: bytes, signedness of its integers, struct name. */
interface MemberShape {
  readonly size: number;
  readonly signed?: boolean;
  readonly struct?: string;
}

function btfShape(types: Map<number, BtfType>, typeId: number): MemberShape {
  const type = types.get(typeId);
  assert.ok(type, `BTF type ${typeId} is missing`);
  switch (type.kind) {
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
      return btfShape(types, type.type_id!);
    case 'INT':
      return { size: type.size!, signed: type.encoding === 'SIGNED' };
    case 'ARRAY': {
      const element = btfShape(types, type.type_id!);
      return { ...element, size: element.size * type.nr_elems! };
    }
    case 'STRUCT':
      return { size: type.size!, struct: type.name };
    default:
      assert.fail(`BTF type ${typeId} is a ${type.kind}, which the contract never uses`);
  }
}

/** The table's view of the same; char's signedness depends on the ABI, so it is not checked. */
function tableShape(member: MemberLayout): MemberShape {
  const size = memberByteSize(member);
  if (member.type === 'event_header' || member.type === 'file_event') return { size, struct: member.type };
  if (member.type === 'char') return { size };
  return { size, signed: member.type.startsWith('s') };
}

describe('struct layouts of contract.ts against the BTF of build/bpf/clawtop.bpf.o', () => {
  const layouts: [string, StructLayout][] = Object.entries(STRUCT_LAYOUTS);
  for (const [structName, layout] of layouts) {
    test(`struct ${structName}`, (t) => {
      if (kernelPrerequisiteMissing(t, btfPrerequisiteReason)) return;
      const types = loadBtf();
      const struct = [...types.values()].find(
        (type) => type.kind === 'STRUCT' && type.name === structName,
      );
      assert.ok(struct?.members, `struct ${structName} is not in the BTF of ${OBJECT_PATH}`);
      assert.equal(struct.size, layout.size, `sizeof(struct ${structName})`);
      assert.deepEqual(
        struct.members.map((member) => member.name),
        layout.members.map((member) => member.name),
        `members of struct ${structName}, in order`,
      );
      layout.members.forEach((member, index) => {
        const btfMember = struct.members![index]!;
        const where = `${structName}.${member.name}`;
        assert.equal(btfMember.bits_offset % 8, 0, `${where} is a bit field`);
        assert.equal(btfMember.bits_offset / 8, member.offset, `byte offset of ${where}`);
        const actual = btfShape(types, btfMember.type_id);
        const expected = tableShape(member);
        assert.equal(actual.size, expected.size, `byte size of ${where}`);
        if (expected.signed !== undefined) {
          assert.equal(actual.signed, expected.signed, `signedness of ${where}`);
        }
        if (expected.struct !== undefined) {
          assert.equal(actual.struct, expected.struct, `struct type of ${where}`);
        }
      });
    });
  }
});

describe('constants of contract.ts against the text of bpf/clawtop.h', () => {
  const headerText = readFileSync(HEADER_PATH, 'utf8');

  function headerEnum(name: string): Record<string, number> {
    const body = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(headerText)?.[1];
    assert.ok(body !== undefined, `enum ${name} is not in ${HEADER_PATH}`);
    const values: Record<string, number> = {};
    for (const match of body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*=\s*(\d+)\s*,/gm)) {
      values[match[1]!] = Number(match[2]);
    }
    return values;
  }

  const enumMirrors = [
    { cEnum: 'event_kind', prefix: 'EVENT_KIND_', values: EventKind, names: EVENT_KIND_NAMES },
    { cEnum: 'severity_code', prefix: 'SEVERITY_', values: Severity, names: SEVERITY_NAMES },
    {
      cEnum: 'file_operation',
      prefix: 'FILE_OP_',
      values: FileOperation,
      names: FILE_OPERATION_NAMES,
    },
    {
      cEnum: 'network_protocol',
      prefix: 'NET_PROTO_',
      values: NetworkProtocol,
      names: NETWORK_PROTOCOL_NAMES,
    },
    {
      cEnum: 'network_direction',
      prefix: 'NET_DIR_',
      values: NetworkDirection,
      names: NETWORK_DIRECTION_NAMES,
    },
    {
      cEnum: 'cgroup_metric_type',
      prefix: 'CGROUP_METRIC_',
      values: CgroupMetric,
      names: CGROUP_METRIC_NAMES,
    },
  ];

  for (const { cEnum, prefix, values, names } of enumMirrors) {
    test(`enum ${cEnum}`, () => {
      const mirrored = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]),
      );
      assert.deepEqual(mirrored, headerEnum(cEnum), `values of enum ${cEnum}`);
      // Each value's printed name is its C name, lower case, '-' for '_'.
      for (const [key, value] of Object.entries(values)) {
        const name = key.toLowerCase().replaceAll('_', '-');
        assert.equal(names[value], name, `printed name of ${prefix}${key}`);
      }
      assert.equal(names.length, Math.max(...Object.values(values)) + 1, `names of ${cEnum}`);
    });
  }

  test('#define constants', () => {
    const defines: Record<string, number> = {};
    const defineLines = /^#define\s+([A-Z][A-Z0-9_]*)\s+(0x[0-9a-f]+|\d+)(?:U?L{0,2})\b/gim;
    for (const match of headerText.matchAll(defineLines)) {
      defines[match[1]!] = Number(match[2]);
    }
    assert.deepEqual(
      {
        CLAWTOP_RECORD_VERSION: RECORD_VERSION,
        CLAWTOP_COMM_LEN: COMM_LEN,
        EXEC_FILENAME_LEN,
        EXEC_ARGS_LEN,
        EXEC_MAX_ARGS,
        FILE_PATH_LEN,
        SYSCALL_ARG_COUNT,
        SYSCALL_PATH_LEN,
        ANOMALY_MESSAGE_LEN,
        EVENT_KIND_COUNT,
        BENCH_RECORD_KIND,
        COUNTER_SLOT_BENCH,
        COUNTER_SLOTS,
        EXEC_FLAG_FILENAME_TRUNCATED,
        EXEC_FLAG_ARGS_TRUNCATED,
        FILE_FLAG_PATH_TRUNCATED,
        FILE_FLAG_REPEATS,
        FILE_FLAG_FROM_FOLD_SLOT,
        FILE_FOLD_LIVE,
        FILE_FOLD_COUNT_MASK,
        FILE_FOLD_GENERATION_SHIFT,
        CGROUP_FLAG_THRESHOLD_CROSSED,
        FILTER_PID,
        FILTER_UID,
        FILTER_CGROUP,
        FILTER_PORT,
        SHARED_HOOK_FILES,
        SHARED_HOOK_SYSCALLS,
      },
      defines,
      'every numeric #define of clawtop.h, mirrored',
    );
  });

  test('struct sizes and the set of structs', () => {
    const declared = [...headerText.matchAll(/^struct\s+(\w+)\s*\{/gm)].map((match) => match[1]);
    assert.deepEqual(Object.keys(STRUCT_LAYOUTS), declared, 'structs of clawtop.h, in order');
    const asserted: Record<string, number> = {};
    const sizeAsserts = /_Static_assert\(sizeof\(struct\s+(\w+)\)\s*==\s*(\d+)/g;
    for (const match of headerText.matchAll(sizeAsserts)) {
      asserted[match[1]!] = Number(match[2]);
    }
    const tableSizes = Object.fromEntries(
      Object.entries(STRUCT_LAYOUTS).map(([name, layout]) => [name, layout.size]),
    );
    assert.deepEqual(tableSizes, asserted, 'sizes the header asserts');
    assert.equal(HEADER_SIZE, 56);
  });
});
