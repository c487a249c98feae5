// Starlark values and their JS representation.
//
// For speed the common values are plain JS values:
//   None -> null, bool -> boolean, string -> string, tuple -> a JS array (never mutated),
//   int -> number while it is a safe integer, bigint beyond (an int is never a bigint inside the safe range).
// Everything else is an instance of a StarObject subclass (Float, Bytes, List, Dict, Set, functions, ...).

import type { Position } from "./errors.js";

export class EvalError extends Error {
  // A runtime error raised by a value operation or builtin; the evaluator adds the position and call stack.
  constructor(message: string) {
    super(message);
  }
}

export type Value = null | boolean | number | bigint | string | Value[] | StarObject;
export type Tuple = Value[];

/** What a hashable value maps to inside a JS Map: equal Starlark values give identical keys. */
export type HashKey = string | number | bigint | boolean | null | object;

export abstract class StarObject {
  /** Which built-in type this is (a prototype property; 0 for host types): a cheap switch for dispatch. */
  declare readonly tag: number;
  abstract typeName(): string;
  truth(): boolean {
    return true;
  }
  /** The map key of this value; throws for unhashable values. Default: identity. */
  hashKey(): HashKey {
    return this;
  }
  freeze(): void {}
  repr(_seen?: Set<unknown>): string {
    return `<${this.typeName()}>`;
  }
  str(): string {
    return this.repr();
  }
  // Optional protocols, looked up by the evaluator.
  attr?(name: string): Value | undefined;
  attrNames?(): string[];
  setField?(name: string, v: Value): void;
  index?(key: Value): Value;
  setIndex?(key: Value, v: Value): void;
  len?(): number;
  iterate?(): Iterable<Value>;
  /** Binary operator hook: return undefined when not supported. side is "left" if this is the left operand. */
  binary?(op: string, other: Value, side: "left" | "right"): Value | undefined;
  equals?(other: Value, depth: number): boolean;
  compare?(other: Value, depth: number): number;
}

export function unhashable(v: Value): never {
  throw new EvalError(`unhashable type: ${typeName(v)}`);
}

// ---------- float ----------
export class Float extends StarObject {
  constructor(readonly v: number) {
    super();
  }
  typeName(): string {
    return "float";
  }
  override truth(): boolean {
    return this.v !== 0;
  }
  override hashKey(): HashKey {
    const f = this.v;
    if (Number.isInteger(f)) return Number.isSafeInteger(f) ? f : BigInt(f);
    return "\uffff" + "f" + f;
  }
  override repr(): string {
    return formatFloatG(this.v);
  }
}

export function formatFloatG(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? "nan" : f > 0 ? "+inf" : "-inf";
  // Go's %g with the shortest exact digits; always show a "." or an exponent so it reads as a float
  const s = goFormatG(f, -1);
  return s.indexOf("e") < 0 && s.indexOf(".") < 0 ? s + ".0" : s;
}

/** Go's strconv.FormatFloat(f, 'g', prec, 64); prec -1 means shortest. */
export function goFormatG(f: number, prec: number): string {
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const shortest = prec < 0;
  let digits: string;
  let exp: number;
  const neg = f < 0;
  const a = Math.abs(f);
  if (shortest) {
    const e = a.toExponential();
    const [m, x] = e.split("e");
    digits = m!.replace(".", "");
    exp = Number(x);
  } else {
    const p = prec === 0 ? 1 : prec;
    const e = a.toExponential(p - 1);
    const [m, x] = e.split("e");
    digits = m!.replace(".", "").replace(/0+$/, "") || "0";
    exp = Number(x);
  }
  let eprec = shortest ? 6 : prec === 0 ? 1 : prec;
  if (!shortest && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  let out: string;
  if (exp < -4 || exp >= eprec) {
    out = digits[0]! + (digits.length > 1 ? "." + digits.slice(1) : "");
    const ae = Math.abs(exp);
    out += "e" + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" + ae : String(ae));
  } else if (exp < 0) {
    out = "0." + "0".repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    out = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    out = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  }
  return neg ? "-" + out : out;
}

// ---------- bytes ----------
export class Bytes extends StarObject {
  /** Each char code of `s` is one byte (0..255). */
  constructor(readonly s: string) {
    super();
  }
  typeName(): string {
    return "bytes";
  }
  override truth(): boolean {
    return this.s.length > 0;
  }
  override hashKey(): HashKey {
    return "\uffffb" + this.s;
  }
  override repr(): string {
    return "b" + quoteBytes(this.s);
  }
  override str(): string {
    return utf8Decode(this.s).replace(/[\udc80-\udcff]/g, "\ufffd");
  }
  override len(): number {
    return this.s.length;
  }
  static fromUint8(a: Uint8Array): Bytes {
    let s = "";
    for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]!);
    return new Bytes(s);
  }
  toUint8(): Uint8Array {
    const a = new Uint8Array(this.s.length);
    for (let i = 0; i < a.length; i++) a[i] = this.s.charCodeAt(i);
    return a;
  }
}

/**
 * UTF-8 bytes (as a latin1 string) of a Starlark string. Starlark strings are byte strings; bytes that are
 * not valid UTF-8 are kept in JS strings as lone surrogates U+DC80..U+DCFF ("surrogateescape"), so
 * slicing a string in the middle of a character and joining it again is lossless.
 */
export function utf8Encode(s: string): string {
  if (isAscii(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) out += s[i];
    else if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c >= 0xdc80 && c <= 0xdcff) out += String.fromCharCode(c - 0xdc00);
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
      out += String.fromCharCode(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 63),
        0x80 | ((c >> 6) & 63),
        0x80 | (c & 63),
      );
    } else {
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
      out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return out;
}

/** Decodes UTF-8 bytes (latin1 string); invalid bytes become U+DC80+byte (see utf8Encode). */
export function utf8Decode(b: string): string {
  if (isAscii(b)) return b;
  let out = "";
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b.charCodeAt(i);
    if (c < 0x80) {
      out += b[i];
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    }
    let ok = need > 0 && i + need < n + 0 && i + need <= n - 0;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const d = b.charCodeAt(i + k);
        if ((d & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (d & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + c);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}

/** Length in bytes of a Starlark string. */
export function utf8Len(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n++;
    else if (c < 0x800) n += 2;
    else if (c >= 0xdc80 && c <= 0xdcff) n++;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return false;
  return true;
}

// ---------- list ----------
export class List extends StarObject {
  frozen = false;
  iterating = 0;
  constructor(public elems: Value[]) {
    super();
  }
  typeName(): string {
    return "list";
  }
  override truth(): boolean {
    return this.elems.length > 0;
  }
  override hashKey(): HashKey {
    return unhashable(this);
  }
  override freeze(): void {
    freeze(this);
  }
  checkMutable(verb: string): void {
    if (this.frozen) throw new EvalError(`cannot ${verb} frozen list`);
    if (this.iterating > 0) throw new EvalError(`cannot ${verb} list during iteration`);
  }
  override repr(seen?: Set<unknown>): string {
    seen ??= new Set();
    if (seen.has(this)) return "[...]";
    seen.add(this);
    const s = "[" + this.elems.map((e) => repr(e, seen)).join(", ") + "]";
    seen.delete(this);
    return s;
  }
  override len(): number {
    return this.elems.length;
  }
}

// ---------- dict and set (insertion ordered, hash keyed) ----------
export interface Entry {
  k: Value;
  v: Value;
}

/** What dict and set share: an insertion-ordered Map keyed by hash key, freezing and iteration guards. */
abstract class HashTable<E> extends StarObject {
  frozen = false;
  iterating = 0;
  readonly map = new Map<HashKey, E>();
  override truth(): boolean {
    return this.map.size > 0;
  }
  override hashKey(): HashKey {
    return unhashable(this);
  }
  override freeze(): void {
    freeze(this);
  }
  checkMutable(verb: string): void {
    if (this.frozen) throw new EvalError(`cannot ${verb} frozen hash table`);
    if (this.iterating > 0) throw new EvalError(`cannot ${verb} hash table during iteration`);
  }
  override len(): number {
    return this.map.size;
  }
  /** `open` + each entry's text + `close`; `cycle` for a table already being printed. */
  protected reprEntries(
    seen: Set<unknown> | undefined,
    open: string,
    close: string,
    cycle: string,
    part: (e: E, seen: Set<unknown>) => string,
  ): string {
    seen ??= new Set();
    if (seen.has(this)) return cycle;
    seen.add(this);
    const parts: string[] = [];
    for (const e of this.map.values()) parts.push(part(e, seen));
    seen.delete(this);
    return open + parts.join(", ") + close;
  }
}

export class Dict extends HashTable<Entry> {
  typeName(): string {
    return "dict";
  }
  get(k: Value): Value | undefined {
    const e = this.map.get(hashKey(k));
    return e === undefined ? undefined : e.v;
  }
  set(k: Value, v: Value): void {
    const hk = hashKey(k);
    this.checkMutable("insert into");
    const e = this.map.get(hk);
    if (e !== undefined) e.v = v;
    else this.map.set(hk, { k, v });
  }
  delete(k: Value): Entry | undefined {
    const hk = hashKey(k);
    this.checkMutable("delete from");
    const e = this.map.get(hk);
    if (e !== undefined) this.map.delete(hk);
    return e;
  }
  keys(): Value[] {
    const out: Value[] = [];
    for (const e of this.map.values()) out.push(e.k);
    return out;
  }
  override repr(seen?: Set<unknown>): string {
    return this.reprEntries(seen, "{", "}", "{...}", (e, s) => repr(e.k, s) + ": " + repr(e.v, s));
  }
  static of(pairs: Iterable<[string, Value]>): Dict {
    const d = new Dict();
    for (const [k, v] of pairs) d.set(k, v);
    return d;
  }
}

export class StarSet extends HashTable<Value> {
  typeName(): string {
    return "set";
  }
  has(k: Value): boolean {
    return this.map.has(hashKey(k));
  }
  add(k: Value): void {
    const hk = hashKey(k);
    this.checkMutable("insert into");
    if (!this.map.has(hk)) this.map.set(hk, k);
  }
  override repr(seen?: Set<unknown>): string {
    return this.reprEntries(seen, "set([", "])", "set(...)", (e, s) => repr(e, s));
  }
}

// ---------- range ----------
export class Range extends StarObject {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    super();
  }
  typeName(): string {
    return "range";
  }
  override hashKey(): HashKey {
    throw new EvalError("unhashable: range");
  }
  override len(): number {
    const { start, stop, step } = this;
    if (step > 0 ? start >= stop : start <= stop) return 0;
    const span = Math.abs(stop - start);
    if (span <= Number.MAX_SAFE_INTEGER) return Math.floor((span - 1) / Math.abs(step)) + 1;
    // Bounds are exact up to 2^53 - 1, so a span may reach 2^54: count it in bigints.
    const exact = BigInt(stop) - BigInt(start);
    return Number(((exact < 0n ? -exact : exact) - 1n) / BigInt(Math.abs(step)) + 1n);
  }
  override truth(): boolean {
    return this.len() > 0;
  }
  override repr(): string {
    if (this.step !== 1) return `range(${this.start}, ${this.stop}, ${this.step})`;
    if (this.start !== 0) return `range(${this.start}, ${this.stop})`;
    return `range(${this.stop})`;
  }
  at(i: number): number {
    const offset = i * this.step;
    if (Math.abs(offset) <= Number.MAX_SAFE_INTEGER) return this.start + offset;
    return Number(BigInt(this.start) + BigInt(i) * BigInt(this.step));
  }
  override equals(other: Value): boolean {
    if (!(other instanceof Range)) return false;
    const n = this.len();
    if (n !== other.len()) return false;
    if (n === 0) return true;
    if (this.start !== other.start) return false;
    return n === 1 || this.step === other.step;
  }
  override *iterate(): Iterable<Value> {
    const n = this.len();
    for (let i = 0; i < n; i++) yield this.at(i);
  }
}

// ---------- struct and module ----------
export class Struct extends StarObject {
  frozen = false;
  constructor(
    readonly fields: Map<string, Value>,
    readonly ctor: string = "struct",
    /** Identity of the constructor (structs from different constructors are never equal). */
    readonly ctorId: unknown = undefined,
  ) {
    super();
  }
  typeName(): string {
    return "struct";
  }
  override hashKey(): HashKey {
    let s = "\uffffS";
    for (const k of [...this.fields.keys()].sort())
      s += k + "\u0000" + String(keyString(this.fields.get(k)!)) + "\u0000";
    return s;
  }
  override freeze(): void {
    freeze(this);
  }
  override attr(name: string): Value | undefined {
    return this.fields.get(name);
  }
  override attrNames(): string[] {
    return [...this.fields.keys()].sort();
  }
  override repr(seen?: Set<unknown>): string {
    const keys = [...this.fields.keys()].sort();
    return `${this.ctor}(` + keys.map((k) => `${k} = ${repr(this.fields.get(k)!, seen)}`).join(", ") + ")";
  }
  override equals(other: Value, depth: number): boolean {
    if (!(other instanceof Struct) || other.ctor !== this.ctor || other.ctorId !== this.ctorId) return false;
    if (this.fields.size !== other.fields.size) return false;
    for (const [k, v] of this.fields) {
      const o = other.fields.get(k);
      if (o === undefined || !equalsDepth(v, o, depth + 1)) return false;
    }
    return true;
  }
  override binary(op: string, other: Value, side: "left" | "right"): Value | undefined {
    if (op === "+" && side === "left" && other instanceof Struct) {
      if (other.ctor !== this.ctor)
        throw new EvalError(`cannot add structs of different constructors: ${this.ctor} + ${other.ctor}`);
      const m = new Map(this.fields);
      for (const [k, v] of other.fields) m.set(k, v);
      return new Struct(m, this.ctor, this.ctorId);
    }
    return undefined;
  }
}

export class Module extends StarObject {
  constructor(
    readonly name: string,
    readonly members: Map<string, Value>,
  ) {
    super();
  }
  typeName(): string {
    return "module";
  }
  override hashKey(): HashKey {
    throw new EvalError("unhashable: module");
  }
  override repr(): string {
    return `<module "${this.name}">`;
  }
  override attr(name: string): Value | undefined {
    return this.members.get(name);
  }
  override attrNames(): string[] {
    return [...this.members.keys()].sort();
  }
  override freeze(): void {
    for (const v of this.members.values()) freeze(v);
  }
}

// ---------- callables ----------
export type ArgsKw = [string, Value][];

/** Anything callable: Starlark functions, builtins, bound methods, host callables. */
export abstract class Callable extends StarObject {
  abstract readonly name: string;
}

/** A builtin implemented in JS. `recv` is the receiver for bound methods (e.g. "abc".upper). */
export type BuiltinImpl = (thread: Thread, args: Value[], kwargs: ArgsKw, self: Builtin) => Value;

export class Builtin extends Callable {
  constructor(
    readonly name: string,
    readonly impl: BuiltinImpl,
    readonly recv: Value | undefined = undefined,
  ) {
    super();
  }
  typeName(): string {
    return "builtin_function_or_method";
  }
  override repr(): string {
    if (this.recv !== undefined) return `<built-in method ${this.name} of ${typeName(this.recv)} value>`;
    return `<built-in function ${this.name}>`;
  }
  override hashKey(): HashKey {
    return this;
  }
  override equals(other: Value): boolean {
    if (!(other instanceof Builtin)) return false;
    if (this.recv === undefined) return this === other;
    return this.name === other.name && this.impl === other.impl && this.recv === other.recv;
  }
}

// The thread is defined in thread.ts; declared here as an interface to avoid a cycle.
export interface Thread {
  name: string;
  depth: number;
  steps: number;
  maxSteps: number;
  maxDepth: number;
  deadline: number;
  print: (thread: Thread, msg: string) => void;
  locals: Map<string, unknown>;
  /** Call stack of Starlark functions currently executing (innermost last); used for recursion checks. */
  stack: Callable[];
  allowRecursion: boolean;
  /** Position of the call expression being executed: inside a builtin, where the builtin was called. */
  callPos: Position | undefined;
  /** The Starlark call stack, outermost first. */
  callStack(): { name: string; pos: Position | undefined }[];
  /** Invokes any callable value; set by the evaluator. */
  call(fn: Value, args: Value[], kwargs: ArgsKw): Value;
}

// ---------- generic operations ----------

export function typeName(v: Value): string {
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "object":
      if (v === null) return "NoneType";
      if (Array.isArray(v)) return "tuple";
      return v.typeName();
  }
  return "unknown";
}

export function truth(v: Value): boolean {
  switch (typeof v) {
    case "boolean":
      return v;
    case "string":
      return v.length > 0;
    case "number":
      return v !== 0;
    case "bigint":
      return v !== 0n;
    case "object":
      if (v === null) return false;
      if (Array.isArray(v)) return v.length > 0;
      return v.truth();
  }
  return true;
}

/**
 * Freezes v and everything reachable from it. Iterative (an explicit work list), so arbitrarily deep
 * data cannot exhaust the JS stack; the built-in containers are handled here, host values by their
 * own freeze().
 */
export function freeze(root: Value): void {
  const work: Value[] = [root];
  while (work.length > 0) {
    const v = work.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const e of v) if (typeof e === "object" && e !== null) work.push(e);
    } else if (v instanceof List) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.elems) if (typeof e === "object" && e !== null) work.push(e);
    } else if (v instanceof Dict) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.map.values()) work.push(e.k, e.v);
    } else if (v instanceof StarSet) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.map.values()) work.push(e);
    } else if (v instanceof Struct) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.fields.values()) work.push(e);
    } else v.freeze();
  }
}

export function hashKey(v: Value): HashKey {
  switch (typeof v) {
    case "string":
      return v.charCodeAt(0) === 0xffff ? "\uffffs" + v : v;
    case "number":
    case "bigint":
    case "boolean":
      return v;
    case "object":
      if (v === null) return null;
      if (Array.isArray(v)) {
        let s = "\uffff(";
        for (const e of v) {
          const k = hashKey(e);
          s += keyString(k) + "\u0000";
        }
        return s;
      }
      return v.hashKey();
  }
  return unhashable(v);
}

let identityCounter = 0;
const identities = new WeakMap<object, number>();
function keyString(k: HashKey | Value): string {
  switch (typeof k) {
    case "string":
      return "s" + k.length + ":" + k;
    case "number":
      return "i" + k;
    case "bigint":
      return "i" + k.toString();
    case "boolean":
      return k ? "T" : "F";
    case "object": {
      if (k === null) return "N";
      let id = identities.get(k);
      if (id === undefined) identities.set(k, (id = ++identityCounter));
      return "@" + id;
    }
  }
  return "?";
}

export function hashInt(v: Value): number {
  // Starlark's hash() on strings: a 32-bit FNV-like value is fine; only stability within a run matters.
  const k = hashKey(v);
  const s = keyString(k);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

// ---------- string quoting ----------
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function escapeCodePoint(cp: number): string {
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0b) out += "\\v";
    else if (c < 0x80) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c >= 0xdc80 && c <= 0xdcff) out += "\\x" + (c - 0xdc00).toString(16);
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      const ch = String.fromCodePoint(cp);
      out += PRINTABLE.test(ch) ? ch : escapeCodePoint(cp);
    }
  }
  return out + '"';
}

export function quoteBytes(b: string): string {
  // Valid UTF-8 sequences of printable characters are shown as text; other bytes as \xNN.
  let out = '"';
  let i = 0;
  while (i < b.length) {
    const c = b.charCodeAt(i);
    if (c < 0x80) {
      out += quote(b[i]!).slice(1, -1);
      i++;
      continue;
    }
    const n = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (n > 0 && i + n <= b.length) {
      const seq = b.slice(i, i + n);
      const dec = utf8Decode(seq);
      const cp = dec.codePointAt(0)!;
      if ([...dec].length === 1 && !(cp >= 0xdc80 && cp <= 0xdcff)) {
        out += PRINTABLE.test(dec) ? dec : escapeCodePoint(cp);
        i += n;
        continue;
      }
    }
    out += "\\x" + c.toString(16).padStart(2, "0");
    i++;
  }
  return out + '"';
}

export function repr(v: Value, seen?: Set<unknown>): string {
  switch (typeof v) {
    case "string":
      return quote(v);
    case "number":
      return String(v);
    case "bigint":
      return v.toString();
    case "boolean":
      return v ? "True" : "False";
    case "object":
      if (v === null) return "None";
      if (Array.isArray(v)) {
        seen ??= new Set();
        if (seen.has(v)) return "(...)";
        seen.add(v);
        const s =
          v.length === 1
            ? "(" + repr(v[0]!, seen) + ",)"
            : "(" + v.map((e) => repr(e, seen)).join(", ") + ")";
        seen.delete(v);
        return s;
      }
      return v.repr(seen);
  }
  return String(v);
}

export function str(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return v.str();
  return repr(v);
}

// ---------- equality and ordering ----------
const MAX_DEPTH = 10;

export function equals(a: Value, b: Value): boolean {
  if (a === b && (typeof a !== "object" || a === null)) return true;
  return equalsDepth(a, b, 0);
}

export function equalsDepth(a: Value, b: Value, depth: number): boolean {
  if (a === b && (typeof a !== "object" || a === null || a instanceof Float)) return true;
  if (depth >= MAX_DEPTH) throw new EvalError("comparison exceeded maximum recursion depth");
  const ta = typeof a;
  const tb = typeof b;
  if (ta === "string" || tb === "string" || ta === "boolean" || tb === "boolean") return false;
  if (ta === "number" || ta === "bigint") {
    if (tb === "number" || tb === "bigint") return a == b;
    if (b instanceof Float) return intFloatCmp(a as number | bigint, b.v) === 0;
    return false;
  }
  if (a === null || b === null) return false;
  if (a instanceof Float) {
    if (tb === "number" || tb === "bigint") return intFloatCmp(b as number | bigint, a.v) === 0;
    if (b instanceof Float) return floatCmp(a.v, b.v) === 0;
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalsDepth(a[i]!, b[i]!, depth + 1)) return false;
    return true;
  }
  if (typeof b !== "object" || Array.isArray(b)) return false;
  const oa = a as StarObject;
  if (oa instanceof List) {
    if (!(b instanceof List) || oa.elems.length !== b.elems.length) return false;
    for (let i = 0; i < oa.elems.length; i++)
      if (!equalsDepth(oa.elems[i]!, b.elems[i]!, depth + 1)) return false;
    return true;
  }
  if (oa instanceof Dict) {
    if (!(b instanceof Dict) || oa.map.size !== b.map.size) return false;
    for (const [k, e] of oa.map) {
      const o = b.map.get(k);
      if (o === undefined || !equalsDepth(e.v, o.v, depth + 1)) return false;
    }
    return true;
  }
  if (oa instanceof StarSet) {
    if (!(b instanceof StarSet) || oa.map.size !== b.map.size) return false;
    for (const k of oa.map.keys()) if (!b.map.has(k)) return false;
    return true;
  }
  if (oa instanceof Bytes) return b instanceof Bytes && oa.s === b.s;
  if (oa === b) return true;
  if (oa.equals) return oa.equals(b, depth);
  const ob = b as StarObject;
  if (ob.equals) return ob.equals(a, depth);
  return false;
}

function floatCmp(x: number, y: number): number {
  // NaN is greater than every other float and equal to itself (total order, unlike IEEE).
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  const nx = Number.isNaN(x);
  const ny = Number.isNaN(y);
  if (nx && ny) return 0;
  return nx ? 1 : -1;
}

export function intFloatCmp(i: number | bigint, f: number): number {
  if (Number.isNaN(f)) return -1;
  if (typeof i === "number") return i < f ? -1 : i > f ? 1 : 0;
  if (!Number.isFinite(f)) return f > 0 ? -1 : 1;
  // exact comparison of a bigint with a float
  const fi = Math.trunc(f);
  const bf = BigInt(fi);
  if (i < bf) return -1;
  if (i > bf) return 1;
  const frac = f - fi;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/** Three-way comparison for <, <=, >, >=. */
export function compare(a: Value, b: Value, depth = 0, op = "<"): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === "number" && tb === "number")
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (ta === "string" && tb === "string") return a! < b! ? -1 : a! > b! ? 1 : 0;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint"))
    return (a as bigint) < (b as bigint) ? -1 : (a as bigint) > (b as bigint) ? 1 : 0;
  if (a instanceof Float) {
    if (b instanceof Float) return floatCmp(a.v, b.v);
    if (tb === "number" || tb === "bigint") return -intFloatCmp(b as number | bigint, a.v);
  }
  if (b instanceof Float && (ta === "number" || ta === "bigint"))
    return intFloatCmp(a as number | bigint, b.v);
  if (ta === "boolean" && tb === "boolean") return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return compareSeq(a, b, depth, op);
  if (a instanceof List && b instanceof List) return compareSeq(a.elems, b.elems, depth, op);
  if (a instanceof Bytes && b instanceof Bytes) return a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
  if (typeof a === "object" && a !== null && !Array.isArray(a) && a.compare && typeName(a) === typeName(b))
    return a.compare(b, depth);
  throw new EvalError(`${typeName(a)} ${op} ${typeName(b)} not implemented`);
}

function compareSeq(a: Value[], b: Value[], depth: number, op: string): number {
  if (depth >= MAX_DEPTH) throw new EvalError("comparison exceeded maximum recursion depth");
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (!equalsDepth(a[i]!, b[i]!, depth + 1)) return compare(a[i]!, b[i]!, depth + 1, op);
  }
  return a.length - b.length;
}

// ---------- ints ----------
export function normInt(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}
export function isInt(v: Value): v is number | bigint {
  return typeof v === "number" || typeof v === "bigint";
}
export function toBig(v: number | bigint): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** Built-in type tags (see StarObject.tag). */
export const TAG_LIST = 1;
export const TAG_DICT = 2;
export const TAG_SET = 3;
export const TAG_BYTES = 4;
Object.defineProperty(StarObject.prototype, "tag", { value: 0 });
Object.defineProperty(List.prototype, "tag", { value: TAG_LIST });
Object.defineProperty(Dict.prototype, "tag", { value: TAG_DICT });
Object.defineProperty(StarSet.prototype, "tag", { value: TAG_SET });
Object.defineProperty(Bytes.prototype, "tag", { value: TAG_BYTES });
