// Byte reader and writer for Kafka's primitive types (big-endian integers, LEB128 unsigned varints,
// zig-zag varints used inside record batches).

export class KafkaDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KafkaDecodeError";
  }
}

export class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new KafkaDecodeError(`needs ${n} bytes at offset ${at}, only ${this.end - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  /** Unsigned LEB128 of at most 5 bytes (lengths, counts, tags). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1)]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new KafkaDecodeError(`unsigned varint longer than 5 bytes at offset ${this.pos - 5}`);
  }

  /** Zig-zag signed varint of at most 5 bytes (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong of at most 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1)]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw new KafkaDecodeError(`varlong longer than 10 bytes at offset ${this.pos - 10}`);
  }
}

export class Writer {
  buf: Buffer;
  pos = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): number {
    if (this.pos + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.pos + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): void {
    const at = this.ensure(1);
    this.buf.writeInt8(v, at);
  }
  int16(v: number): void {
    const at = this.ensure(2);
    this.buf.writeInt16BE(v, at);
  }
  uint16(v: number): void {
    const at = this.ensure(2);
    this.buf.writeUInt16BE(v, at);
  }
  int32(v: number): void {
    const at = this.ensure(4);
    this.buf.writeInt32BE(v, at);
  }
  uint32(v: number): void {
    const at = this.ensure(4);
    this.buf.writeUInt32BE(v, at);
  }
  int64(v: bigint): void {
    const at = this.ensure(8);
    this.buf.writeBigInt64BE(v, at);
  }
  float64(v: number): void {
    const at = this.ensure(8);
    this.buf.writeDoubleBE(v, at);
  }
  bytes(b: Uint8Array): void {
    const at = this.ensure(b.length);
    this.buf.set(b, at);
  }
  uvarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`bad unsigned varint ${v}`);
    while (v >= 0x80) {
      const at = this.ensure(1);
      this.buf[at] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    const at = this.ensure(1);
    this.buf[at] = v;
  }
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: bigint): void {
    let u = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (u >= 0x80n) {
      const at = this.ensure(1);
      this.buf[at] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    const at = this.ensure(1);
    this.buf[at] = Number(u);
  }

  /** The written bytes (a view, valid until the next write). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
