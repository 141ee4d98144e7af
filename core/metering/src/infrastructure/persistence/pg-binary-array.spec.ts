import { BinaryArrayWriter, PG_OID } from './pg-binary-array';

/** Reads a one-dimensional binary array back: [element type, elements (null or bytes)]. */
function read(buffer: Buffer): [number, Array<Buffer | null>] {
  expect(buffer.readInt32BE(0)).toBe(1);
  const count = buffer.readInt32BE(12);
  expect(buffer.readInt32BE(16)).toBe(1);
  const items: Array<Buffer | null> = [];
  let at = 20;
  for (let i = 0; i < count; i++) {
    const length = buffer.readInt32BE(at);
    at += 4;
    if (length < 0) items.push(null);
    else {
      items.push(buffer.subarray(at, at + length));
      at += length;
    }
  }
  expect(at).toBe(buffer.length);
  return [buffer.readInt32BE(8), items];
}

describe('binary PostgreSQL arrays', () => {
  it('writes text as UTF-8 with its byte length', () => {
    const w = new BinaryArrayWriter(PG_OID.text, 2, 30);
    w.text('gw:1');
    w.text('ü€😀');
    const [oid, items] = read(w.finish());
    expect(oid).toBe(25);
    expect(items.map((b) => b!.toString('utf8'))).toEqual(['gw:1', 'ü€😀']);
  });

  it('writes jsonb with its version byte, and NULL with the null flag set', () => {
    const w = new BinaryArrayWriter(PG_OID.jsonb, 2, 30);
    w.jsonb('{"a":1}');
    w.jsonb(null);
    const buffer = w.finish();
    expect(buffer.readInt32BE(4)).toBe(1);
    const [, [json, none]] = read(buffer);
    expect([json![0], json!.subarray(1).toString()]).toEqual([1, '{"a":1}']);
    expect(none).toBeNull();
  });

  it('writes uuids as 16 bytes, the same for a repeated one', () => {
    const w = new BinaryArrayWriter(PG_OID.uuid, 3, 48);
    const a = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60';
    const b = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61';
    w.uuid(a);
    w.uuid(b);
    w.uuid(a);
    const [, items] = read(w.finish());
    expect(items.map((x) => x!.toString('hex'))).toEqual([a, b, a].map((u) => u.replace(/-/g, '')));
  });

  it('writes timestamptz as microseconds since 2000-01-01, exactly, before and after it', () => {
    const w = new BinaryArrayWriter(PG_OID.timestamptz, 3, 24);
    w.timestamptz(Date.UTC(2026, 10, 23, 14, 5, 0, 123), 456);
    w.timestamptz(Date.UTC(2000, 0, 1), 0);
    w.timestamptz(Date.UTC(1999, 11, 31, 23, 59, 59, 999), 999);
    const [, items] = read(w.finish());
    expect(items.map((x) => x!.readBigInt64BE(0))).toEqual([
      (BigInt(Date.UTC(2026, 10, 23, 14, 5, 0, 123) - Date.UTC(2000, 0, 1)) * 1000n) + 456n, 0n, -1n,
    ]);
  });

  it('writes bytea from hex', () => {
    const w = new BinaryArrayWriter(PG_OID.bytea, 1, 16);
    w.byteaHex('00ff10ab'.repeat(4));
    const [oid, [bytes]] = read(w.finish());
    expect([oid, bytes!.toString('hex')]).toEqual([17, '00ff10ab'.repeat(4)]);
  });
});
