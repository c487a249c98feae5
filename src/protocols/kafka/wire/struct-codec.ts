// Interprets the generated field tables: decodes and encodes one struct of a given version, in the
// compact (flexible) or classic encoding, preserving tagged fields it does not know.
import { KafkaDecodeError, Reader, Writer } from "./buffers.js";
import { inRange, type FieldSchema, type PrimitiveType, type UnknownTaggedField } from "./schema.js";

type Obj = Record<string, unknown>;

/** The fields of a struct as they appear in one version, split into positional and tagged ones. */
interface VersionLayout {
  readonly positional: readonly FieldSchema[];
  readonly tagged: ReadonlyMap<number, FieldSchema>;
  readonly taggedInOrder: readonly FieldSchema[];
}

const layouts = new WeakMap<readonly FieldSchema[], Map<number, VersionLayout>>();

function layoutOf(fields: readonly FieldSchema[], version: number, flexible: boolean): VersionLayout {
  let byVersion = layouts.get(fields);
  if (!byVersion) layouts.set(fields, (byVersion = new Map()));
  const key = flexible ? version : -1 - version;
  let layout = byVersion.get(key);
  if (!layout) {
    const positional: FieldSchema[] = [];
    const tagged = new Map<number, FieldSchema>();
    for (const f of fields) {
      if (!inRange(f.versions, version)) continue;
      if (f.tag !== undefined) {
        if (flexible && inRange(f.taggedVersions, version)) tagged.set(f.tag, f);
      } else positional.push(f);
    }
    const taggedInOrder = [...tagged.values()].sort((a, b) => a.tag! - b.tag!);
    layout = { positional, tagged, taggedInOrder };
    byVersion.set(key, layout);
  }
  return layout;
}

const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
export const uuidToString = (b: Buffer): string => b.toString("base64url");
export function uuidToBytes(s: string): Buffer {
  const b = Buffer.from(s, "base64url");
  if (b.length !== 16)
    throw new RangeError(`not a Kafka UUID (22 base64url characters): ${JSON.stringify(s)}`);
  return b;
}
export { ZERO_UUID };

/** Kafka's default for a field, as a value of our representation. */
export function defaultValue(f: FieldSchema, version: number): unknown {
  const d = f.default;
  if (d === "null" && inRange(f.nullable, version)) return null;
  switch (f.type) {
    case "bool":
      return d === "true";
    case "int8":
    case "int16":
    case "uint16":
    case "int32":
    case "float64":
      return d === undefined || d === "" ? 0 : Number(d);
    case "int64":
      return d === undefined || d === "" ? 0n : BigInt(d);
    case "string":
      return d ?? "";
    case "uuid":
      return ZERO_UUID;
    case "bytes":
    case "records":
      return Buffer.alloc(0);
    case "array":
      return [];
    case "struct":
      return defaultStruct(f.fields!, version);
  }
}

export function defaultStruct(fields: readonly FieldSchema[], version: number): Obj {
  const o: Obj = {};
  for (const f of fields)
    if (inRange(f.versions, version) && f.tag === undefined) o[f.name] = defaultValue(f, version);
  return o;
}

const compact = (f: FieldSchema, version: number, flexible: boolean): boolean =>
  f.flexible !== undefined ? inRange(f.flexible, version) : flexible;

// ---------------------------------------------------------------------------------------------- decode

export function decodeStruct(
  r: Reader,
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
): Obj {
  const layout = layoutOf(fields, version, flexible);
  const o: Obj = {};
  for (const f of layout.positional) {
    try {
      o[f.name] = decodeField(r, f, version, compact(f, version, flexible));
    } catch (e) {
      throw prefixed(e, f.name);
    }
  }
  if (flexible) decodeTaggedFields(r, o, layout, version);
  return o;
}

function decodeTaggedFields(r: Reader, o: Obj, layout: VersionLayout, version: number): void {
  const count = r.uvarint();
  let unknown: UnknownTaggedField[] | undefined;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const data = r.bytes(size);
    const f = layout.tagged.get(tag);
    if (f) {
      const sub = new Reader(data);
      try {
        o[f.name] = decodeField(sub, f, version, true);
      } catch (e) {
        throw prefixed(e, f.name);
      }
      if (sub.remaining !== 0)
        throw new KafkaDecodeError(`${f.name}: tagged field ${tag} has ${sub.remaining} extra bytes`);
    } else (unknown ??= []).push({ tag, data });
  }
  if (unknown) o.unknownTaggedFields = unknown;
}

function prefixed(e: unknown, name: string): unknown {
  if (e instanceof KafkaDecodeError) {
    e.message =
      e.message.startsWith(".") || e.message.startsWith("[")
        ? `.${name}${e.message}`
        : `.${name}: ${e.message}`;
  }
  return e;
}

function length(r: Reader, compactForm: boolean, wide: boolean): number {
  if (compactForm) return r.uvarint() - 1;
  return wide ? r.int32() : r.int16();
}

function checkNull(f: FieldSchema, version: number): null {
  if (!inRange(f.nullable, version))
    throw new KafkaDecodeError(`null where version ${version} does not allow it`);
  return null;
}

function decodeField(r: Reader, f: FieldSchema, version: number, compactForm: boolean): unknown {
  if (f.type === "array") {
    const n = length(r, compactForm, true);
    if (n < 0) return checkNull(f, version);
    if (n > r.remaining) throw new KafkaDecodeError(`array of ${n} elements in ${r.remaining} bytes`);
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      try {
        out[i] =
          f.element === "struct"
            ? decodeStruct(r, f.fields!, version, compactForm)
            : decodePrimitive(r, f.element!, f, version, compactForm);
      } catch (e) {
        if (e instanceof KafkaDecodeError)
          e.message = e.message.startsWith(".") ? `[${i}]${e.message}` : `[${i}]: ${e.message}`;
        throw e;
      }
    }
    return out;
  }
  if (f.type === "struct") {
    // A nullable struct is prefixed by an int8 presence marker (-1 null, 1 present).
    if (inRange(f.nullable, version)) {
      if (r.int8() < 0) return null;
    }
    return decodeStruct(r, f.fields!, version, compactForm);
  }
  return decodePrimitive(r, f.type, f, version, compactForm);
}

function decodePrimitive(
  r: Reader,
  t: PrimitiveType,
  f: FieldSchema,
  version: number,
  compactForm: boolean,
): unknown {
  switch (t) {
    case "bool":
      return r.int8() !== 0;
    case "int8":
      return r.int8();
    case "int16":
      return r.int16();
    case "uint16":
      return r.uint16();
    case "int32":
      return r.int32();
    case "int64":
      return r.int64();
    case "float64":
      return r.float64();
    case "uuid":
      return uuidToString(r.bytes(16));
    case "string": {
      const n = length(r, compactForm, false);
      if (n < 0) return checkNull(f, version);
      return r.bytes(n).toString("utf8");
    }
    case "bytes":
    case "records": {
      const n = length(r, compactForm, true);
      if (n < 0) return checkNull(f, version);
      return r.bytes(n);
    }
  }
}

// ---------------------------------------------------------------------------------------------- encode

export function encodeStruct(
  w: Writer,
  o: Obj,
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
): void {
  const layout = layoutOf(fields, version, flexible);
  for (const f of layout.positional) {
    let v = o[f.name];
    if (v === undefined) v = defaultValue(f, version);
    try {
      encodeField(w, f, v, version, compact(f, version, flexible));
    } catch (e) {
      if (e instanceof Error) e.message = `.${f.name}: ${e.message}`;
      throw e;
    }
  }
  if (flexible) encodeTaggedFields(w, o, layout, version);
}

function isDefault(f: FieldSchema, v: unknown, version: number): boolean {
  if (v === undefined) return true;
  if (f.type === "array")
    return Array.isArray(v) ? v.length === 0 && f.default !== "null" : f.default === "null";
  if (f.type === "struct") return false;
  const d = defaultValue(f, version);
  if (Buffer.isBuffer(v)) return v.length === 0 && Buffer.isBuffer(d);
  return v === d;
}

function encodeTaggedFields(w: Writer, o: Obj, layout: VersionLayout, version: number): void {
  const present: { tag: number; data: Buffer }[] = [];
  for (const f of layout.taggedInOrder) {
    const v = o[f.name];
    if (isDefault(f, v, version)) continue;
    const sub = new Writer(64);
    encodeField(sub, f, v, version, true);
    present.push({ tag: f.tag!, data: sub.result() });
  }
  const unknown = o.unknownTaggedFields as UnknownTaggedField[] | undefined;
  if (unknown?.length) {
    present.push(...unknown);
    present.sort((a, b) => a.tag - b.tag);
  }
  w.uvarint(present.length);
  for (const t of present) {
    w.uvarint(t.tag);
    w.uvarint(t.data.length);
    w.bytes(t.data);
  }
}

function writeLength(w: Writer, n: number, compactForm: boolean, wide: boolean): void {
  if (compactForm) w.uvarint(n + 1);
  else if (wide) w.int32(n);
  else w.int16(n);
}

function encodeNull(w: Writer, f: FieldSchema, version: number, compactForm: boolean, wide: boolean): void {
  if (!inRange(f.nullable, version)) throw new TypeError(`null is not allowed in version ${version}`);
  writeLength(w, -1, compactForm, wide);
}

function encodeField(w: Writer, f: FieldSchema, v: unknown, version: number, compactForm: boolean): void {
  if (f.type === "array") {
    if (v === null) return encodeNull(w, f, version, compactForm, true);
    if (!Array.isArray(v)) throw new TypeError(`expected an array, got ${typeof v}`);
    writeLength(w, v.length, compactForm, true);
    for (const item of v) {
      if (f.element === "struct") encodeStruct(w, item as Obj, f.fields!, version, compactForm);
      else encodePrimitive(w, f.element!, item, f, version, compactForm);
    }
    return;
  }
  if (f.type === "struct") {
    if (inRange(f.nullable, version)) {
      if (v === null) return w.int8(-1);
      w.int8(1);
    }
    return encodeStruct(w, v as Obj, f.fields!, version, compactForm);
  }
  encodePrimitive(w, f.type, v, f, version, compactForm);
}

function encodePrimitive(
  w: Writer,
  t: PrimitiveType,
  v: unknown,
  f: FieldSchema,
  version: number,
  compactForm: boolean,
): void {
  switch (t) {
    case "bool":
      return w.int8(v ? 1 : 0);
    case "int8":
      return w.int8(v as number);
    case "int16":
      return w.int16(v as number);
    case "uint16":
      return w.uint16(v as number);
    case "int32":
      return w.int32(v as number);
    case "int64":
      return w.int64(typeof v === "bigint" ? v : BigInt(v as number));
    case "float64":
      return w.float64(v as number);
    case "uuid":
      return w.bytes(uuidToBytes(v as string));
    case "string": {
      if (v === null) return encodeNull(w, f, version, compactForm, false);
      const b = Buffer.from(v as string, "utf8");
      writeLength(w, b.length, compactForm, false);
      return w.bytes(b);
    }
    case "bytes":
    case "records": {
      if (v === null) return encodeNull(w, f, version, compactForm, true);
      const b = v as Buffer;
      writeLength(w, b.length, compactForm, true);
      return w.bytes(b);
    }
  }
}

// ------------------------------------------------------------------------------------ tagged sections

/** Decodes a struct's tagged-field section alone (known fields by name, the rest as unknownTaggedFields). */
export function decodeTaggedSection(r: Reader, fields: readonly FieldSchema[], version: number): Obj {
  const o: Obj = {};
  decodeTaggedFields(r, o, layoutOf(fields, version, true), version);
  return o;
}

/** Encodes a struct's tagged-field section alone (the inverse of decodeTaggedSection). */
export function encodeTaggedSection(
  w: Writer,
  o: Obj,
  fields: readonly FieldSchema[],
  version: number,
): void {
  encodeTaggedFields(w, o, layoutOf(fields, version, true), version);
}

/** The positional fields of a struct in one version, in wire order (for skimming without decoding). */
export function positionalFields(
  fields: readonly FieldSchema[],
  version: number,
  flexible: boolean,
): readonly FieldSchema[] {
  return layoutOf(fields, version, flexible).positional;
}

/** Whether a field uses the compact (flexible) encoding in this version. */
export const compactField = compact;
