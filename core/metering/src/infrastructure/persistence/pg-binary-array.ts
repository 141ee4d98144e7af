/**
 * One-dimensional PostgreSQL arrays in the binary wire format (`array_recv`), sent as a Buffer
 * parameter (pg passes Buffers in binary format). PostgreSQL reads them without parsing or
 * unescaping text, and Node writes them without escaping every element: for a batch of
 * thousands of events that is most of the cost of handing it over.
 */
export const PG_OID = { int4: 23, text: 25, uuid: 2950, timestamptz: 1184, bytea: 17, jsonb: 3802 } as const;

const HEADER_BYTES = 20;
/** Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/** Writes the elements of one array into a buffer sized for the worst case, then trims it. */
export class BinaryArrayWriter {
  private buffer: Buffer;
  private offset = HEADER_BYTES;
  private count = 0;
  private nulls = false;
  private readonly uuids = new Map<string, Uint8Array>();

  /** `maxBytes`: an upper bound of the elements' bytes (without the 4-byte length of each). */
  constructor(private readonly oid: number, elements: number, maxBytes: number) {
    this.buffer = Buffer.allocUnsafe(HEADER_BYTES + elements * 4 + maxBytes);
  }

  /** text, varchar: UTF-8 bytes. */
  text(value: string): void {
    const at = this.offset;
    const written = this.buffer.write(value, at + 4, 'utf8');
    this.buffer.writeInt32BE(written, at);
    this.offset = at + 4 + written;
    this.count++;
  }

  /** jsonb: version 1 and the JSON text; null for SQL NULL. */
  jsonb(json: string | null): void {
    if (json === null) return this.null();
    const at = this.offset;
    this.buffer[at + 4] = 1;
    const written = this.buffer.write(json, at + 5, 'utf8');
    this.buffer.writeInt32BE(written + 1, at);
    this.offset = at + 5 + written;
    this.count++;
  }

  /** uuid: 16 bytes from the canonical text (hex with dashes); a batch's few tenants are converted once each. */
  uuid(value: string): void {
    const at = this.offset;
    const b = this.buffer;
    b.writeInt32BE(16, at);
    const known = this.uuids.get(value);
    if (known !== undefined) b.set(known, at + 4);
    else {
      b.write(value.slice(0, 8), at + 4, 'hex');
      b.write(value.slice(9, 13), at + 8, 'hex');
      b.write(value.slice(14, 18), at + 10, 'hex');
      b.write(value.slice(19, 23), at + 12, 'hex');
      b.write(value.slice(24, 36), at + 14, 'hex');
      this.uuids.set(value, Uint8Array.prototype.slice.call(b, at + 4, at + 20));
    }
    this.offset = at + 20;
    this.count++;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC as int64 (exact for any instant within ±285 years of 2000). */
  timestamptz(epochMs: number, micros: number): void {
    const at = this.offset;
    const value = (epochMs - PG_EPOCH_MS) * 1000 + micros;
    const high = Math.floor(value / TWO_32);
    this.buffer.writeInt32BE(8, at);
    this.buffer.writeInt32BE(high, at + 4);
    this.buffer.writeUInt32BE(value - high * TWO_32, at + 8);
    this.offset = at + 12;
    this.count++;
  }

  /** bytea from hex digits. */
  byteaHex(hex: string): void {
    const at = this.offset;
    const written = this.buffer.write(hex, at + 4, 'hex');
    this.buffer.writeInt32BE(written, at);
    this.offset = at + 4 + written;
    this.count++;
  }

  null(): void {
    this.buffer.writeInt32BE(-1, this.offset);
    this.offset += 4;
    this.count++;
    this.nulls = true;
  }

  /** The array: header (1 dimension, null flag, element type, length, lower bound 1) and elements. */
  finish(): Buffer {
    const b = this.buffer;
    b.writeInt32BE(1, 0);
    b.writeInt32BE(this.nulls ? 1 : 0, 4);
    b.writeInt32BE(this.oid, 8);
    b.writeInt32BE(this.count, 12);
    b.writeInt32BE(1, 16);
    return b.subarray(0, this.offset);
  }
}

