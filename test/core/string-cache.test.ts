import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { StringCache } from '../../src/core/string-cache.ts';

/** A char array of `size` bytes holding text and a NUL, as the kernel writes one. */
function field(text: string, size = 32): Buffer {
  const bytes = Buffer.alloc(size, 0x55);
  bytes.write(`${text}\0`, 'utf8');
  return bytes;
}

/** The bytes with their toString calls counted: each is a string decoded, not found in the cache. */
function counted(bytes: Buffer): { bytes: Buffer; decodes: () => number } {
  let decodes = 0;
  const toString = bytes.toString.bind(bytes);
  Object.assign(bytes, {
    toString: (...args: Parameters<Buffer['toString']>) => {
      decodes++;
      return toString(...args);
    },
  });
  return { bytes, decodes: () => decodes };
}

test('reads what Buffer.toString reads: up to the first NUL, or the whole field, UTF-8 or not', () => {
  // A small alphabet, so the same fields come back and share slots: hits, misses and evictions.
  const byte = fc.constantFrom(0x00, 0x2f, 0x61, 0x62, 0xc3, 0xa9, 0xff);
  const fieldBytes = fc.array(byte, { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(fc.constantFrom(2, 4, 16), fc.array(fieldBytes, { maxLength: 60 }), (slots, fields) => {
      const cache = new StringCache(slots);
      for (const values of fields) {
        // At an offset inside a larger batch, with bytes either side.
        const batch = Buffer.from([0x61, ...values, 0x62]);
        const nul = batch.indexOf(0, 1);
        const end = nul === -1 || nul > 1 + values.length ? 1 + values.length : nul;
        assert.equal(cache.read(batch, 1, values.length), batch.toString('utf8', 1, end));
      }
    }),
    { numRuns: 300 },
  );
});

test('the same bytes again are not decoded again, and a pair of slots holds two strings', () => {
  const cache = new StringCache(2); // one pair: every string competes for it
  const passwd = counted(field('/etc/passwd'));
  const hosts = counted(field('/etc/hosts'));
  const group = counted(field('/etc/group'));
  assert.equal(cache.read(passwd.bytes, 0, 32), '/etc/passwd');
  assert.equal(cache.read(hosts.bytes, 0, 32), '/etc/hosts');
  assert.equal(cache.read(passwd.bytes, 0, 32), '/etc/passwd');
  assert.equal(cache.read(hosts.bytes, 0, 32), '/etc/hosts');
  assert.equal(passwd.decodes(), 1);
  assert.equal(hosts.decodes(), 1);
  // A third evicts the least recently read (passwd); hosts stays.
  assert.equal(cache.read(group.bytes, 0, 32), '/etc/group');
  assert.equal(cache.read(hosts.bytes, 0, 32), '/etc/hosts');
  assert.equal(cache.read(passwd.bytes, 0, 32), '/etc/passwd');
  assert.deepEqual([passwd.decodes(), hosts.decodes(), group.decodes()], [2, 1, 1]);
});

test('a string that fills its field, without a NUL, is read whole and cached like any other', () => {
  const cache = new StringCache(4);
  const full = counted(Buffer.from('0123456789abcdef'));
  assert.equal(cache.read(full.bytes, 0, 16), '0123456789abcdef');
  assert.equal(cache.read(full.bytes, 0, 16), '0123456789abcdef');
  assert.equal(cache.read(full.bytes, 0, 8), '01234567', 'a shorter field is another string');
  assert.equal(full.decodes(), 2);
});

test('a string that is not ASCII is decoded every time, never taken for another', () => {
  const cache = new StringCache(2);
  const accented = counted(field('/tmp/café'));
  assert.equal(cache.read(accented.bytes, 0, 32), '/tmp/café');
  assert.equal(cache.read(accented.bytes, 0, 32), '/tmp/café');
  assert.equal(accented.decodes(), 2);
  // Invalid UTF-8 reads as Buffer.toString reads it.
  const invalid = Buffer.from([0x2f, 0xff, 0x61, 0x00]);
  assert.equal(cache.read(invalid, 0, 4), invalid.toString('utf8', 0, 3));
});

test('slots that are not a power of two, at least 2, are refused', () => {
  for (const slots of [0, 1, 3, 6, 2.5, Number.NaN]) {
    assert.throws(() => new StringCache(slots), RangeError, `slots ${slots}`);
  }
});
