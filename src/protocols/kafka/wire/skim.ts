// Walks a message's wire layout without decoding it: fixed-size fields, strings, bytes and records are
// passed over by length, so a relay can find where a frame's parts lie (e.g. the tagged fields at the
// end of a Fetch response) while the bulk streams by. The walk is a generator asking its driver for
// bytes, so the same walk serves a whole buffer (skimBuffer) and a frame arriving in chunks
// (IncrementalSkim), and never holds more than a few bytes of its own.
import { KafkaDecodeError } from "./buffers.js";
import { inRange, type FieldSchema } from "./schema.js";
import { compactField, positionalFields } from "./struct-codec.js";

/** A step the walk asks of its driver: `read` n bytes (given back to it) or `skip` n bytes unseen. */
export type SkimAsk = { read: number } | { skip: number };
export type Skim<T = void> = Generator<SkimAsk, T, Buffer | undefined>;

/** What the walk may ask of the driver besides bytes: how many bytes the frame still holds. */
export interface SkimBounds {
  remaining(): number;
}

function* read(n: number): Skim<Buffer> {
  return (yield { read: n })!;
}

function* uvarint(): Skim<number> {
  let value = 0;
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    const b = (yield { read: 1 })![0]!;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return value >>> 0;
  }
  throw new KafkaDecodeError("unsigned varint longer than 5 bytes");
}

function* length(compactForm: boolean, wide: boolean): Skim<number> {
  if (compactForm) return (yield* uvarint()) - 1;
  const b = yield* read(wide ? 4 : 2);
  return wide ? b.readInt32BE(0) : b.readInt16BE(0);
}

const FIXED: Record<string, number> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

/** Skips a tagged-field section (count, then tag, size, data per field). */
export function* skimTaggedFields(): Skim {
  const count = yield* uvarint();
  for (let i = 0; i < count; i++) {
    yield* uvarint();
    const size = yield* uvarint();
    if (size > 0) yield { skip: size };
  }
}

function* skimPrimitive(type: string, compactForm: boolean, b: SkimBounds, what: string): Skim {
  const fixed = FIXED[type];
  if (fixed !== undefined) {
    yield { skip: fixed };
    return;
  }
  const n = yield* length(compactForm, type !== "string");
  if (n < -1) throw new KafkaDecodeError(`${what}: length ${n}`);
  if (n > b.remaining()) throw new KafkaDecodeError(`${what}: ${n} bytes where ${b.remaining()} are left`);
  if (n > 0) yield { skip: n };
}

function* skimField(f: FieldSchema, version: number, compactForm: boolean, b: SkimBounds): Skim {
  if (f.type === "array") {
    const n = yield* length(compactForm, true);
    if (n < -1) throw new KafkaDecodeError(`.${f.name}: array length ${n}`);
    if (n > b.remaining())
      throw new KafkaDecodeError(`.${f.name}: array of ${n} elements in ${b.remaining()} bytes`);
    for (let i = 0; i < n; i++) {
      if (f.element === "struct") yield* skimStruct(f.fields!, version, compactForm, b);
      else yield* skimPrimitive(f.element!, compactForm, b, `.${f.name}[${i}]`);
    }
    return;
  }
  if (f.type === "struct") {
    if (inRange(f.nullable, version) && (yield* read(1)).readInt8(0) < 0) return;
    yield* skimStruct(f.fields!, version, compactForm, b);
    return;
  }
  yield* skimPrimitive(f.type, compactForm, b, `.${f.name}`);
}

/** Skims a struct: its positional fields, then (flexible versions) its tagged-field section. */
export function* skimStruct(
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
  b: SkimBounds,
): Skim {
  yield* skimPositional(fields, version, flexible, b);
  if (flexible) yield* skimTaggedFields();
}

/** Skims a struct's positional fields only, stopping where its tagged-field section begins. */
export function* skimPositional(
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
  b: SkimBounds,
): Skim {
  for (const f of positionalFields(fields, version, flexible))
    yield* skimField(f, version, compactField(f, version, flexible), b);
}

/** Runs a walk over one whole buffer; returns the offset where it stopped. */
export function skimBuffer(buf: Buffer, walk: (b: SkimBounds) => Skim): number {
  let pos = 0;
  const gen = walk({ remaining: () => buf.length - pos });
  let step = gen.next();
  while (!step.done) {
    const ask = step.value;
    const n = "read" in ask ? ask.read : ask.skip;
    if (pos + n > buf.length)
      throw new KafkaDecodeError(`needs ${n} bytes at offset ${pos}, only ${buf.length - pos} left`);
    const value = "read" in ask ? buf.subarray(pos, pos + n) : undefined;
    pos += n;
    step = gen.next(value);
  }
  return pos;
}

/**
 * Drives a walk over a frame arriving in chunks. `push` returns how many bytes of the chunk the walk
 * consumed (all of it until the walk is done); bytes are never retained except the few of a read that
 * straddles chunks. `limit` is the number of bytes the frame holds from the walk's start.
 */
export class IncrementalSkim {
  private readonly gen: Skim;
  private ask: SkimAsk | null = null;
  /** Bytes of the current ask met so far (skip) or gathered (read). */
  private got = 0;
  private gathered: Buffer | null = null;
  private consumed = 0;
  done = false;

  constructor(
    walk: (b: SkimBounds) => Skim,
    private readonly limit: number,
  ) {
    this.gen = walk({ remaining: () => this.limit - this.consumed - this.got });
    this.advance(undefined);
  }

  /** Bytes of the frame consumed so far by the walk. */
  get position(): number {
    return this.consumed;
  }

  push(chunk: Buffer): number {
    let off = 0;
    while (!this.done && off < chunk.length) {
      const ask = this.ask!;
      const want = "read" in ask ? ask.read : ask.skip;
      const n = Math.min(want - this.got, chunk.length - off);
      if ("read" in ask) {
        if (this.got === 0 && n === want) {
          off += n;
          this.consumed += n;
          this.advance(chunk.subarray(off - n, off));
          continue;
        }
        this.gathered ??= Buffer.allocUnsafe(want);
        chunk.copy(this.gathered, this.got, off, off + n);
      }
      off += n;
      this.got += n;
      if (this.got === want) {
        const value = this.gathered ?? undefined;
        this.consumed += want;
        this.got = 0;
        this.gathered = null;
        this.advance(value);
      }
    }
    return off;
  }

  private advance(value: Buffer | undefined): void {
    const step = this.gen.next(value);
    if (step.done) {
      this.done = true;
      this.ask = null;
      return;
    }
    const n = "read" in step.value ? step.value.read : step.value.skip;
    if (this.consumed + n > this.limit)
      throw new KafkaDecodeError(
        `needs ${n} bytes at offset ${this.consumed}, only ${this.limit - this.consumed} left in the frame`,
      );
    this.ask = step.value;
    if (n === 0) this.advance("read" in step.value ? Buffer.alloc(0) : undefined);
  }
}
