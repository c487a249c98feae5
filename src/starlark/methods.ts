// Methods of the built-in types: string, bytes, list, dict, set.
import { positional, unpackArgs } from "./args.js";
import { asIndex, forEach, getIndex, sliceIndices, toArray } from "./ops.js";
import {
  type ArgsKw,
  Range,
  Bytes,
  Dict,
  EvalError,
  List,
  StarObject,
  StarSet,
  type Thread,
  equals,
  hashKey,
  isAscii,
  repr,
  typeName,
  utf8Decode,
  utf8Encode,
  type Value,
} from "./values.js";

export type MethodImpl = (thread: Thread, recv: any, args: Value[], kwargs: ArgsKw, name: string) => Value;

// ---------- helpers ----------
const noArgs = (name: string, args: Value[], kw: ArgsKw) => positional(name, args, kw, 0, 0);

function str1(name: string, v: Value | undefined, what = "1"): string {
  if (typeof v !== "string")
    throw new EvalError(`${name}: for parameter ${what}: got ${typeName(v ?? null)}, want string`);
  return v;
}

/** Byte view of a string: ASCII strings are used as is, others as UTF-8 in a latin1 string. */
function bytesOf(s: string): [string, boolean] {
  return isAscii(s) ? [s, true] : [utf8Encode(s), false];
}

function indexArg(name: string, v: Value | undefined): Value {
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" && typeof v !== "bigint")
    throw new EvalError(`${name}: got ${typeName(v)}, want int`);
  return v;
}

function findImpl(name: string, s: string, args: Value[], kw: ArgsKw, last: boolean): number {
  const [sub, start, end] = unpackArgs(name, args, kw, ["sub", "start?", "end?"]);
  const needle = str1(name, sub!);
  const [b, ascii] = bytesOf(s);
  const nb = ascii ? needle : utf8Encode(needle);
  const [lo, hi] = sliceIndices(b.length, indexArg(name, start), indexArg(name, end), null);
  const hay = lo < hi ? b.slice(lo, hi) : "";
  if (lo > b.length || (lo >= hi && nb !== "")) return lo <= b.length && lo === hi && nb === "" ? lo : -1;
  const i = last ? hay.lastIndexOf(nb) : hay.indexOf(nb);
  return i < 0 ? -1 : i + lo;
}

function isSpace(c: string): boolean {
  return /\s/.test(c);
}

function splitWhitespace(s: string, max: number, fromRight: boolean): string[] {
  if (!fromRight) {
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      while (i < s.length && isSpace(s[i]!)) i++;
      if (i >= s.length) break;
      if (max >= 0 && out.length === max) {
        out.push(s.slice(i));
        return out;
      }
      let j = i;
      while (j < s.length && !isSpace(s[j]!)) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  const out: string[] = [];
  let i = s.length;
  while (i > 0) {
    while (i > 0 && isSpace(s[i - 1]!)) i--;
    if (i <= 0) break;
    if (max >= 0 && out.length === max) {
      out.unshift(s.slice(0, i));
      return out;
    }
    let j = i;
    while (j > 0 && !isSpace(s[j - 1]!)) j--;
    out.unshift(s.slice(j, i));
    i = j;
  }
  return out;
}

/** An iterable view of a string's or bytes' elements, as returned by "abc".elems() and friends. */
export class StringIterable extends StarObject {
  constructor(
    readonly s: string,
    readonly kind: "elems" | "elem_ords" | "codepoints" | "codepoint_ords",
    readonly isBytes = false,
  ) {
    super();
  }
  typeName(): string {
    const k = this.kind === "elem_ords" ? "elems" : this.kind === "codepoint_ords" ? "codepoints" : this.kind;
    return (this.isBytes ? "bytes." : "string.") + k;
  }
  private elemBytes(): string | undefined {
    if (this.isBytes) return this.s;
    if (this.kind === "elems" || this.kind === "elem_ords") return utf8Encode(this.s);
    return undefined;
  }
  override len(): number {
    const b = this.elemBytes();
    if (b === undefined) throw new EvalError(`len: value of type ${this.typeName()} has no len`);
    return b.length;
  }
  override index(i: Value): Value {
    const b = this.elemBytes();
    if (b === undefined) throw new EvalError(`unhandled index operation ${this.typeName()}[${typeName(i)}]`);
    const k = getIndex(
      b.split("").map((c) => c.charCodeAt(0)),
      i,
    ) as number;
    if (this.isBytes || this.kind === "elem_ords") return k;
    return utf8Decode(String.fromCharCode(k));
  }
  override repr(): string {
    return (this.isBytes ? repr(new Bytes(this.s)) : repr(this.s)) + `.${this.kind}()`;
  }
  override hashKey(): never {
    throw new EvalError(`unhashable: ${this.typeName()}`);
  }
  override *iterate(): Iterable<Value> {
    if (this.isBytes) {
      for (let i = 0; i < this.s.length; i++) yield this.s.charCodeAt(i);
      return;
    }
    if (this.kind === "elems" || this.kind === "elem_ords") {
      const b = utf8Encode(this.s);
      for (let i = 0; i < b.length; i++) yield this.kind === "elems" ? utf8Decode(b[i]!) : b.charCodeAt(i);
      return;
    }
    for (const c of this.s) {
      const ch = c >= "\udc80" && c <= "\udcff" ? "\ufffd" : c;
      yield this.kind === "codepoints" ? ch : ch.codePointAt(0)!;
    }
  }
}

// Titlecase differs from uppercase only for the digraphs DŽ, LJ, NJ, DZ.
function toTitle(c: string): string {
  const cp = c.codePointAt(0)!;
  for (const base of [0x1c4, 0x1c7, 0x1ca])
    if (cp >= base && cp <= base + 2) return String.fromCodePoint(base + 1);
  if (cp >= 0x1f1 && cp <= 0x1f3) return "\u01f2";
  return c.toUpperCase();
}

// ---------- string ----------
export const stringMethods = new Map<string, MethodImpl>();
const S = (name: string, f: (s: string, args: Value[], kw: ArgsKw, th: Thread) => Value) =>
  stringMethods.set(name, (th, recv, args, kw) => f(recv as string, args, kw, th));

S("capitalize", (s, a, k) => {
  noArgs("capitalize", a, k);
  return s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1).toLowerCase();
});
for (const kind of ["elems", "elem_ords", "codepoints", "codepoint_ords"] as const)
  S(kind, (s, a, k) => {
    noArgs(kind, a, k);
    return new StringIterable(s, kind);
  });
S("count", (s, a, k) => {
  const [sub, start, end] = unpackArgs("count", a, k, ["sub", "start?", "end?"]);
  const needle = str1("count", sub!);
  const [b, ascii] = bytesOf(s);
  const nb = ascii ? needle : utf8Encode(needle);
  const [lo, hi] = sliceIndices(b.length, indexArg("count", start), indexArg("count", end), null);
  const hay = lo < hi ? b.slice(lo, hi) : "";
  if (nb === "") return hay.length + 1;
  let n = 0;
  for (let i = hay.indexOf(nb); i >= 0; i = hay.indexOf(nb, i + nb.length)) n++;
  return n;
});
const startsEnds = (name: string, ends: boolean) =>
  S(name, (s, a, k) => {
    if (a.length === 1 && k.length === 0 && typeof a[0] === "string")
      return ends ? s.endsWith(a[0]) : s.startsWith(a[0]); // prefix order is the same in UTF-16 and UTF-8
    const [x, start, end] = unpackArgs(name, a, k, ["prefix", "start?", "end?"]);
    const [b, ascii] = bytesOf(s);
    const [lo, hi] = sliceIndices(b.length, indexArg(name, start), indexArg(name, end), null);
    const sub = lo < hi ? b.slice(lo, hi) : "";
    const test = (p: Value, i: number): boolean => {
      if (typeof p !== "string")
        throw new EvalError(`${name}: want string, got ${typeName(p)}, for element ${i}`);
      const pb = ascii ? p : utf8Encode(p);
      return ends ? sub.endsWith(pb) : sub.startsWith(pb);
    };
    if (Array.isArray(x)) return x.some(test);
    if (typeof x !== "string")
      throw new EvalError(`${name}: got ${typeName(x!)}, want string or tuple of strings`);
    return test(x, 0);
  });
startsEnds("startswith", false);
startsEnds("endswith", true);
S("find", (s, a, k) => findImpl("find", s, a, k, false));
S("rfind", (s, a, k) => findImpl("rfind", s, a, k, true));
S("index", (s, a, k) => {
  const i = findImpl("index", s, a, k, false);
  if (i < 0) throw new EvalError("substring not found");
  return i;
});
S("rindex", (s, a, k) => {
  const i = findImpl("rindex", s, a, k, true);
  if (i < 0) throw new EvalError("substring not found");
  return i;
});
const pred = (name: string, f: (s: string) => boolean) =>
  S(name, (s, a, k) => {
    noArgs(name, a, k);
    return f(s);
  });
pred("isalnum", (s) => s.length > 0 && /^[\p{L}\p{N}]+$/u.test(s));
pred("isalpha", (s) => s.length > 0 && /^\p{L}+$/u.test(s));
pred("isdigit", (s) => s.length > 0 && /^\p{Nd}+$/u.test(s));
pred("islower", (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase());
pred("isupper", (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase());
pred("isspace", (s) => s.length > 0 && /^\s+$/.test(s));
pred("istitle", (s) => {
  // Uppercase letters may only follow uncased characters and lowercase letters only cased ones.
  let prevCased = false;
  let cased = false;
  for (const c of s) {
    if ((c >= "A" && c <= "Z") || /\p{Lt}/u.test(c)) {
      if (prevCased) return false;
      prevCased = cased = true;
    } else if (/\p{Ll}/u.test(c)) {
      if (!prevCased) return false;
      prevCased = cased = true;
    } else if (/\p{Lu}/u.test(c)) return false;
    else prevCased = false;
  }
  return cased;
});
S("join", (s, a, k) => {
  positional("join", a, k, 1, 1);
  const parts: string[] = [];
  const it = a[0]!;
  forEachIter("join", it, (v) => {
    if (typeof v !== "string") throw new EvalError(`join: in list, want string, got ${typeName(v)}`);
    parts.push(v);
  });
  const r = parts.join(s);
  return /[\udc80-\udcff]/.test(r) ? utf8Decode(utf8Encode(r)) : r;
});
S("lower", (s, a, k) => {
  noArgs("lower", a, k);
  return s.toLowerCase();
});
S("upper", (s, a, k) => {
  noArgs("upper", a, k);
  return s.toUpperCase();
});
S("title", (s, a, k) => {
  noArgs("title", a, k);
  let out = "";
  let prevCased = false;
  for (const c of s) {
    const r = prevCased ? c.toLowerCase() : toTitle(c);
    prevCased = /[\p{Lu}\p{Ll}\p{Lt}]/u.test(r);
    out += r;
  }
  return out;
});
const strip = (name: string, left: boolean, right: boolean) =>
  S(name, (s, a, k) => {
    positional(name, a, k, 0, 1);
    const chars = a[0];
    if (chars === undefined || chars === null || chars === "") {
      let r = s;
      if (left) r = r.replace(/^\s+/, "");
      if (right) r = r.replace(/\s+$/, "");
      return r;
    }
    const cs = str1(name, chars);
    let i = 0;
    let j = s.length;
    const set = [...cs];
    const cps = [...s];
    i = 0;
    j = cps.length;
    if (left) while (i < j && set.includes(cps[i]!)) i++;
    if (right) while (j > i && set.includes(cps[j - 1]!)) j--;
    return cps.slice(i, j).join("");
  });
strip("strip", true, true);
strip("lstrip", true, false);
strip("rstrip", false, true);
const partition = (name: string, last: boolean) =>
  S(name, (s, a, k) => {
    positional(name, a, k, 1, 1);
    const sep = str1(name, a[0]);
    if (sep === "") throw new EvalError(`${name}: empty separator`);
    const i = last ? s.lastIndexOf(sep) : s.indexOf(sep);
    if (i < 0) return last ? ["", "", s] : [s, "", ""];
    return [s.slice(0, i), sep, s.slice(i + sep.length)];
  });
partition("partition", false);
partition("rpartition", true);
S("removeprefix", (s, a, k) => {
  positional("removeprefix", a, k, 1, 1);
  const p = str1("removeprefix", a[0]);
  return s.startsWith(p) ? s.slice(p.length) : s;
});
S("removesuffix", (s, a, k) => {
  positional("removesuffix", a, k, 1, 1);
  const p = str1("removesuffix", a[0]);
  return p !== "" && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
});
S("replace", (s, a, k) => {
  const [o, n, c] = unpackArgs("replace", a, k, ["old", "new", "count?"]);
  const old = str1("replace", o, "old");
  const neu = str1("replace", n, "new");
  let count = c === undefined || c === null ? -1 : asIndex(c, "replace: count");
  if (count < 0) count = Infinity;
  if (old === "") {
    const cps = [...s];
    let out = "";
    let done = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (done < count) {
        out += neu;
        done++;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  let out = "";
  let i = 0;
  let done = 0;
  while (done < count) {
    const j = s.indexOf(old, i);
    if (j < 0) break;
    out += s.slice(i, j) + neu;
    i = j + old.length;
    done++;
  }
  return out + s.slice(i);
});
const split = (name: string, fromRight: boolean) =>
  S(name, (s, a, k) => {
    const [sepV, maxV] = unpackArgs(name, a, k, ["sep?", "maxsplit?"]);
    const max = maxV === undefined || maxV === null ? -1 : asIndex(maxV, `${name}: maxsplit`);
    if (sepV === undefined || sepV === null) return new List(splitWhitespace(s, max, fromRight));
    const sep = str1(name, sepV);
    if (sep === "") throw new EvalError(`${name}: empty separator`);
    const parts = s.split(sep);
    if (max < 0 || parts.length - 1 <= max) return new List(parts);
    if (!fromRight) return new List([...parts.slice(0, max), parts.slice(max).join(sep)]);
    return new List([parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)]);
  });
split("split", false);
split("rsplit", true);
S("splitlines", (s, a, k) => {
  const [keep] = unpackArgs("splitlines", a, k, ["keepends?"]);
  if (keep !== undefined && typeof keep !== "boolean")
    throw new EvalError(`splitlines: for parameter keepends: got ${typeName(keep)}, want bool`);
  const keepends = keep === true;
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j < s.length && s[j] !== "\n" && s[j] !== "\r") j++;
    if (j >= s.length) {
      out.push(s.slice(i));
      break;
    }
    const eol = s[j] === "\r" && s[j + 1] === "\n" ? 2 : 1;
    out.push(keepends ? s.slice(i, j + eol) : s.slice(i, j));
    i = j + eol;
  }
  return new List(out);
});
// "format" is installed by format.ts

// ---------- bytes ----------
export const bytesMethods = new Map<string, MethodImpl>();
bytesMethods.set("elems", (_th, recv: Bytes, a, k) => {
  noArgs("elems", a, k);
  return new StringIterable(recv.s, "elems", true);
});

// ---------- list ----------
export const listMethods = new Map<string, MethodImpl>();
const L = (name: string, f: (l: List, args: Value[], kw: ArgsKw, th: Thread) => Value) =>
  listMethods.set(name, (th, recv, args, kw) => f(recv as List, args, kw, th));
L("append", (l, a, k) => {
  positional("append", a, k, 1, 1);
  l.checkMutable("append to");
  l.elems.push(a[0]!);
  return null;
});
L("clear", (l, a, k) => {
  noArgs("clear", a, k);
  l.checkMutable("clear");
  l.elems.length = 0;
  return null;
});
L("extend", (l, a, k) => {
  positional("extend", a, k, 1, 1);
  l.checkMutable("extend");
  const add = iterArray("extend", a[0]!);
  for (const e of add) l.elems.push(e);
  return null;
});
L("index", (l, a, k) => {
  positional("index", a, k, 1, 3);
  const [lo, hi] = sliceIndices(l.elems.length, indexArg("index", a[1]), indexArg("index", a[2]), null);
  for (let i = lo; i < hi; i++) if (equals(l.elems[i]!, a[0]!)) return i;
  throw new EvalError(`index: value not in list`);
});
L("insert", (l, a, k) => {
  positional("insert", a, k, 2, 2);
  l.checkMutable("insert into");
  let i = asIndex(a[0]!, "insert: index");
  const n = l.elems.length;
  if (i < 0) i += n;
  if (i < 0) i = 0;
  if (i > n) i = n;
  l.elems.splice(i, 0, a[1]!);
  return null;
});
L("pop", (l, a, k) => {
  positional("pop", a, k, 0, 1);
  const n = l.elems.length;
  let i = a.length > 0 ? asIndex(a[0]!, "pop: index") : n - 1;
  const orig = i;
  if (i < 0) i += n;
  if (i < 0 || i >= n) {
    if (n === 0) throw new EvalError(`pop: index ${orig} out of range: empty list`);
    throw new EvalError(`pop: index ${orig} out of range [${-n}:${n - 1}]`);
  }
  l.checkMutable("pop from");
  return l.elems.splice(i, 1)[0]!;
});
L("remove", (l, a, k) => {
  positional("remove", a, k, 1, 1);
  l.checkMutable("remove from");
  for (let i = 0; i < l.elems.length; i++)
    if (equals(l.elems[i]!, a[0]!)) {
      l.elems.splice(i, 1);
      return null;
    }
  throw new EvalError(`remove: element not found`);
});

// ---------- dict ----------
export const dictMethods = new Map<string, MethodImpl>();
const D = (name: string, f: (d: Dict, args: Value[], kw: ArgsKw, th: Thread) => Value) =>
  dictMethods.set(name, (th, recv, args, kw) => f(recv as Dict, args, kw, th));
D("clear", (d, a, k) => {
  noArgs("clear", a, k);
  d.checkMutable("clear");
  d.map.clear();
  return null;
});
D("get", (d, a, k) => {
  positional("get", a, k, 1, 2);
  const e = d.map.get(hashKey(a[0]!));
  return e !== undefined ? e.v : a.length > 1 ? a[1]! : null;
});
D("items", (d, a, k) => {
  noArgs("items", a, k);
  const out: Value[] = [];
  for (const e of d.map.values()) out.push([e.k, e.v]);
  return new List(out);
});
D("keys", (d, a, k) => {
  noArgs("keys", a, k);
  return new List(d.keys());
});
D("values", (d, a, k) => {
  noArgs("values", a, k);
  const out: Value[] = [];
  for (const e of d.map.values()) out.push(e.v);
  return new List(out);
});
D("pop", (d, a, k) => {
  positional("pop", a, k, 1, 2);
  const hk = hashKey(a[0]!);
  const e = d.map.get(hk);
  if (e === undefined) {
    if (a.length > 1) return a[1]!;
    throw new EvalError(`pop: missing key ${repr(a[0]!)}`);
  }
  d.checkMutable("delete from");
  d.map.delete(hk);
  return e.v;
});
D("popitem", (d, a, k) => {
  noArgs("popitem", a, k);
  const first = d.map.entries().next();
  if (first.done) throw new EvalError("popitem: empty dict");
  d.checkMutable("delete from");
  d.map.delete(first.value[0]);
  return [first.value[1].k, first.value[1].v];
});
D("setdefault", (d, a, k) => {
  const [key, dflt] = unpackArgs("setdefault", a, k, ["key", "default?"]);
  const e = d.map.get(hashKey(key!));
  if (e !== undefined) return e.v;
  const v = dflt === undefined ? null : dflt;
  d.set(key!, v);
  return v;
});
D("update", (d, a, k) => {
  if (a.length > 1) throw new EvalError(`update: got ${a.length} arguments, want at most 1`);
  updateDict(d, a[0], k, "update");
  return null;
});

export function updateDict(d: Dict, src: Value | undefined, kw: ArgsKw, fnName: string): void {
  if (src !== undefined) {
    if (src instanceof Dict) {
      for (const e of [...src.map.values()]) d.set(e.k, e.v);
    } else {
      if (!isIterableValue(src)) throw new EvalError(`${fnName}: got ${typeName(src)}, want iterable`);
      let i = 0;
      forEach(src, (pair) => {
        let kv: Value[];
        try {
          if (typeof pair === "string" || !isIterableValue(pair)) throw new EvalError("x");
          kv = toArray(pair);
        } catch {
          throw new EvalError(
            `${fnName}: dictionary update sequence element #${i} is not iterable (${typeName(pair)})`,
          );
        }
        if (kv.length !== 2)
          throw new EvalError(
            `${fnName}: dictionary update sequence element #${i} has length ${kv.length}, want 2`,
          );
        d.set(kv[0]!, kv[1]!);
        i++;
      });
    }
  }
  const before = d.map.size;
  for (const [k, v] of kw) d.set(k, v);
  if (d.map.size < before + kw.length) {
    const seen = new Set<string>();
    for (const [k] of kw) {
      if (seen.has(k)) throw new EvalError(`${fnName}: duplicate keyword arg: ${repr(k)}`);
      seen.add(k);
    }
  }
}

// ---------- set ----------
export const setMethods = new Map<string, MethodImpl>();
const T = (name: string, f: (s: StarSet, args: Value[], kw: ArgsKw, th: Thread) => Value) =>
  setMethods.set(name, (th, recv, args, kw) => f(recv as StarSet, args, kw, th));
T("add", (s, a, k) => {
  positional("add", a, k, 1, 1);
  s.add(a[0]!);
  return null;
});
T("clear", (s, a, k) => {
  noArgs("clear", a, k);
  if (s.map.size > 0) s.checkMutable("clear");
  s.map.clear();
  return null;
});
T("discard", (s, a, k) => {
  positional("discard", a, k, 1, 1);
  const hk = hashKey(a[0]!);
  s.checkMutable("delete from");
  s.map.delete(hk);
  return null;
});
T("remove", (s, a, k) => {
  positional("remove", a, k, 1, 1);
  const hk = hashKey(a[0]!);
  s.checkMutable("delete from");
  if (!s.map.has(hk)) throw new EvalError(`remove: missing key ${repr(a[0]!)}`);
  s.map.delete(hk);
  return null;
});
T("pop", (s, a, k) => {
  noArgs("pop", a, k);
  s.checkMutable("delete from");
  const first = s.map.entries().next();
  if (first.done) throw new EvalError("pop: empty set");
  s.map.delete(first.value[0]);
  return first.value[1];
});
function setArg(v: Value, i: number): Value[] {
  if (!isIterableValue(v)) throw new EvalError(`argument #${i + 1} is not iterable: ${typeName(v)}`);
  return toArray(v);
}
function setOf(name: string, v: Value): StarSet {
  if (v instanceof StarSet) return v;
  const s = new StarSet();
  for (const e of setArg(v, 0)) s.add(e);
  return s;
}
T("union", (s, a, k) => {
  positional("union", a, k, 0, Infinity);
  const out = new StarSet();
  for (const [hk, v] of s.map) out.map.set(hk, v);
  a.forEach((x, i) => {
    for (const e of setArg(x, i)) out.add(e);
  });
  return out;
});
T("update", (s, a, k) => {
  if (k.length > 0) throw new EvalError("update: does not accept keyword arguments");
  a.forEach((x, i) => {
    for (const e of setArg(x, i)) s.add(e);
  });
  return null;
});
T("intersection", (s, a, k) => {
  positional("intersection", a, k, 0, Infinity);
  let cur = new Map(s.map);
  for (const x of a) {
    const o = setOf("intersection", x);
    const next = new Map<unknown, Value>();
    for (const [hk, v] of cur) if (o.map.has(hk as never)) next.set(hk, v);
    cur = next as typeof cur;
  }
  const out = new StarSet();
  for (const [hk, v] of cur) out.map.set(hk, v);
  return out;
});
T("difference", (s, a, k) => {
  positional("difference", a, k, 0, Infinity);
  const out = new StarSet();
  for (const [hk, v] of s.map) out.map.set(hk, v);
  a.forEach((x, i) => {
    for (const e of setArg(x, i)) out.map.delete(hashKey(e));
  });
  return out;
});
T("symmetric_difference", (s, a, k) => {
  positional("symmetric_difference", a, k, 1, 1);
  const o = setOf("symmetric_difference", a[0]!);
  const out = new StarSet();
  for (const [hk, v] of s.map) if (!o.map.has(hk)) out.map.set(hk, v);
  for (const [hk, v] of o.map) if (!s.map.has(hk)) out.map.set(hk, v);
  return out;
});
T("issubset", (s, a, k) => {
  positional("issubset", a, k, 1, 1);
  const x = a[0]!;
  if (x instanceof StarSet) {
    for (const hk of s.map.keys()) if (!x.map.has(hk)) return false;
    return true;
  }
  if (!isIterableValue(x)) throw new EvalError(`argument #1 is not iterable: ${typeName(x)}`);
  // Stop as soon as every element of s has been seen in x; x with fewer elements than s cannot cover it.
  const need = s.map.size;
  if (need === 0) return true;
  const n =
    x instanceof Range ? x.len() : x instanceof List ? x.elems.length : Array.isArray(x) ? x.length : -1;
  if (n >= 0 && n < need) return false;
  const seen = new Set<unknown>();
  const m = s.map;
  if (x instanceof Range) {
    for (let i = 0; i < n; i++) {
      const v = x.at(i);
      if (m.has(v)) {
        seen.add(v);
        if (seen.size === need) return true;
      }
    }
    return false;
  }
  if (x instanceof List || Array.isArray(x)) {
    const arr = x instanceof List ? x.elems : x;
    for (let i = 0; i < arr.length; i++) {
      const hk = hashKey(arr[i]!);
      if (m.has(hk)) {
        seen.add(hk);
        if (seen.size === need) return true;
      }
    }
    return false;
  }
  let done = false;
  forEach(x, (v) => {
    const hk = hashKey(v);
    if (m.has(hk)) {
      seen.add(hk);
      if (seen.size === need) return (done = true);
    }
    return false;
  });
  return done;
});
T("issuperset", (s, a, k) => {
  positional("issuperset", a, k, 1, 1);
  const x = a[0]!;
  if (!isIterableValue(x)) throw new EvalError(`argument #1 is not iterable: ${typeName(x)}`);
  let ok = true;
  forEach(x, (v) => {
    if (!s.map.has(hashKey(v))) {
      ok = false;
      return true;
    }
    return false;
  });
  return ok;
});

// ---------- iteration helpers ----------
import { isIterable as isIterableValue } from "./ops.js";

export function iterArray(fnName: string, v: Value): Value[] {
  if (!isIterableValue(v)) throw new EvalError(`${fnName}: got ${typeName(v)}, want iterable`);
  return toArray(v);
}

function forEachIter(fnName: string, v: Value, f: (x: Value) => void): void {
  if (!isIterableValue(v)) throw new EvalError(`${fnName}: got ${typeName(v)}, want iterable`);
  forEach(v, (x) => {
    f(x);
  });
}

export { getIndex };
