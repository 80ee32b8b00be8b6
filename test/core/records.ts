// Records as the kernel writes them, built through the layout table of contract.ts, for the
// decoder's tests (decode.test.ts, decode-fuzz.test.ts) and the fuzz benchmark.
import assert from 'node:assert/strict';
import { endianness } from 'node:os';

import {
  RECORD_STRUCT_BY_KIND,
  RECORD_VERSION,
  STRUCT_LAYOUTS,
  type MemberLayout,
  type StructName,
} from '../../src/core/contract.ts';

export type FieldValue = number | bigint | string | Uint8Array | readonly bigint[];
export type Fields = Readonly<Record<string, FieldValue>>;

export const LITTLE_ENDIAN = endianness() === 'LE';
export const AF_INET = 2;
export const AF_INET6 = 10;

function writeMember(view: DataView, member: MemberLayout, value: FieldValue): void {
  const where = member.offset;
  if (member.length === undefined) {
    const number = typeof value === 'bigint' ? value : BigInt(value as number);
    switch (member.type) {
      case 'u8':
        return view.setUint8(where, Number(number));
      case 'u16':
        return view.setUint16(where, Number(number), LITTLE_ENDIAN);
      case 'u32':
        return view.setUint32(where, Number(number), LITTLE_ENDIAN);
      case 's32':
        return view.setInt32(where, Number(number), LITTLE_ENDIAN);
      case 'u64':
        return view.setBigUint64(where, number, LITTLE_ENDIAN);
      case 's64':
        return view.setBigInt64(where, number, LITTLE_ENDIAN);
      default:
        throw new Error(`cannot write a ${member.type} as a scalar`);
    }
  }
  if (member.type === 'u64') {
    (value as readonly bigint[]).forEach((element, index) =>
      view.setBigUint64(where + index * 8, element, LITTLE_ENDIAN),
    );
    return;
  }
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array);
  assert.ok(bytes.length <= member.length, `${member.name} holds ${member.length} bytes`);
  new Uint8Array(view.buffer, view.byteOffset + where, bytes.length).set(bytes);
}

export function writeStruct(view: DataView, struct: StructName, fields: Fields): void {
  const members: readonly MemberLayout[] = STRUCT_LAYOUTS[struct].members;
  for (const [name, value] of Object.entries(fields)) {
    const member = members.find((candidate) => candidate.name === name);
    assert.ok(member, `struct ${struct} has no member ${name}`);
    writeMember(view, member, value);
  }
}

const KIND_OF_STRUCT = new Map<StructName, number>(
  Object.entries(RECORD_STRUCT_BY_KIND).map(([kind, struct]) => [struct, Number(kind)]),
);

export const COMMON_HEADER = {
  timestamp_ns: 5_000_000_123n,
  tgid: 4242,
  tid: 4243,
  ppid: 1,
  uid: 1000,
  cgroup_id: 7777n,
  comm: 'worker',
} as const;

export const COMMON_EXPECTED = {
  timestampNs: 5_000_000_123,
  tgid: 4242,
  tid: 4243,
  ppid: 1,
  uid: 1000,
  cgroupId: 7777,
  comm: 'worker',
} as const;

/** One record of `struct`; header fields (C names) override the valid defaults. */
export function buildRecord(struct: StructName, fields: Fields = {}, header: Fields = {}): Uint8Array {
  const bytes = new Uint8Array(STRUCT_LAYOUTS[struct].size);
  const view = new DataView(bytes.buffer);
  writeStruct(view, 'event_header', {
    kind: KIND_OF_STRUCT.get(struct)!,
    version: RECORD_VERSION,
    size: bytes.length,
    ...COMMON_HEADER,
    ...header,
  });
  writeStruct(view, struct, fields);
  return bytes;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const batch = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    batch.set(part, offset);
    offset += part.length;
  }
  return batch;
}
