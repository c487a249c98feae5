// Random, schema-conforming message bodies for round-trip tests (seeded, so failures reproduce).
import { inRange, type FieldSchema, type PrimitiveType } from "../../src/protocols/kafka/wire/schema.js";
import { defaultValue } from "../../src/protocols/kafka/wire/struct-codec.js";

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sampleStruct(
  rnd: () => number,
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const compact = f.flexible !== undefined ? inRange(f.flexible, version) : flexible;
    if (f.tag !== undefined) {
      if (!flexible || !inRange(f.taggedVersions, version) || rnd() < 0.4) continue;
      const v = sampleField(rnd, f, version, compact);
      // A tagged field equal to its default is not written, so it would not come back.
      const d = defaultValue(f, version);
      if (
        v === d ||
        v === null ||
        (Array.isArray(v) && v.length === 0) ||
        (Buffer.isBuffer(v) && v.length === 0)
      )
        continue;
      o[f.name] = v;
    } else o[f.name] = sampleField(rnd, f, version, compact);
  }
  if (flexible && rnd() < 0.2)
    o.unknownTaggedFields = [{ tag: 5000 + Math.floor(rnd() * 10), data: randomBytes(rnd, 3) }];
  return o;
}

function sampleField(rnd: () => number, f: FieldSchema, version: number, compact: boolean): unknown {
  const nullable = inRange(f.nullable, version);
  if (nullable && rnd() < 0.15) return null;
  if (f.type === "array") {
    const n = Math.floor(rnd() * 3);
    return Array.from({ length: n }, () =>
      f.element === "struct"
        ? sampleStruct(rnd, f.fields!, version, compact)
        : samplePrimitive(rnd, f.element!),
    );
  }
  if (f.type === "struct") return sampleStruct(rnd, f.fields!, version, compact);
  return samplePrimitive(rnd, f.type);
}

function randomBytes(rnd: () => number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
}

function samplePrimitive(rnd: () => number, t: PrimitiveType): unknown {
  const int = (bits: number) => Math.floor(rnd() * 2 ** bits) - 2 ** (bits - 1);
  switch (t) {
    case "bool":
      return rnd() < 0.5;
    case "int8":
      return int(8);
    case "int16":
      return int(16);
    case "uint16":
      return Math.floor(rnd() * 65536);
    case "int32":
      return int(32);
    case "int64":
      return BigInt.asIntN(
        64,
        (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)),
      );
    case "float64":
      return (rnd() - 0.5) * 1e6;
    case "string":
      return ["", "orders", "tópico-ü", "x".repeat(Math.floor(rnd() * 200))][Math.floor(rnd() * 4)];
    case "uuid":
      return randomBytes(rnd, 16).toString("base64url");
    case "bytes":
    case "records":
      return randomBytes(rnd, Math.floor(rnd() * 40));
  }
}
