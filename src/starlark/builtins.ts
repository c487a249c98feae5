// The universe: builtins available to every Starlark file (None, True, False, len, range, ...).
import { positional, unpackArgs } from "./args.js";
import { attrNames, getAttrOrUndefined } from "./attrs.js";
import { callValue, type StarThread } from "./call.js";
import { iterArray, updateDict } from "./methods.js";
import { isIterable, len as lenOf, toArray, toFloat } from "./ops.js";
import {
  type ArgsKw,
  Builtin,
  Bytes,
  Callable,
  Dict,
  EvalError,
  Float,
  List,
  Range,
  StarSet,
  Struct,
  type Thread,
  compare,
  equals,
  isInt,
  normInt,
  repr,
  str,
  truth,
  typeName,
  utf8Encode,
  type Value,
} from "./values.js";

type Impl = (thread: Thread, args: Value[], kwargs: ArgsKw) => Value;

export const universe = new Map<string, Value>();
const def = (name: string, f: Impl) => universe.set(name, new Builtin(name, (th, a, k) => f(th, a, k)));

universe.set("None", null);
universe.set("True", true);
universe.set("False", false);

def("abs", (_t, a, k) => {
  positional("abs", a, k, 1, 1);
  const x = a[0]!;
  if (typeof x === "number") return Math.abs(x);
  if (typeof x === "bigint") return x < 0n ? -x : x;
  if (x instanceof Float) return new Float(Math.abs(x.v));
  throw new EvalError(`abs: got ${typeName(x)}, want int or float`);
});
def("any", (_t, a, k) => {
  positional("any", a, k, 1, 1);
  for (const v of iterArray("any", a[0]!)) if (truth(v)) return true;
  return false;
});
def("all", (_t, a, k) => {
  positional("all", a, k, 1, 1);
  for (const v of iterArray("all", a[0]!)) if (!truth(v)) return false;
  return true;
});
def("bool", (_t, a, k) => {
  positional("bool", a, k, 0, 1);
  return a.length === 0 ? false : truth(a[0]!);
});
def("bytes", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("bytes does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`bytes: got ${a.length} arguments, want exactly 1`);
  const x = a[0]!;
  if (typeof x === "string") return new Bytes(utf8Encode(x.replace(/[\udc80-\udcff]/g, "\ufffd")));
  if (x instanceof Bytes) return x;
  if (isIterable(x)) {
    let s = "";
    toArray(x).forEach((e, i) => {
      if (typeof e !== "number") throw new EvalError(`bytes: at index ${i}, got ${typeName(e)}, want int`);
      if (e < 0 || e > 255)
        throw new EvalError(`bytes: at index ${i}, ${e} out of range (want value in unsigned 8-bit range)`);
      s += String.fromCharCode(e);
    });
    return new Bytes(s);
  }
  throw new EvalError(`bytes: got ${typeName(x)}, want string, bytes, or iterable of ints`);
});
def("chr", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("chr does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`chr: got ${a.length} arguments, want 1`);
  const x = a[0]!;
  if (!isInt(x)) throw new EvalError(`chr: got ${typeName(x)}, want int`);
  if (x < 0) throw new EvalError(`chr: Unicode code point ${x} out of range (<0)`);
  if (x > 0x10ffff)
    throw new EvalError(`chr: Unicode code point U+${x.toString(16).toUpperCase()} out of range (>0x10FFFF)`);
  const n = Number(x);
  if (n >= 0xd800 && n < 0xe000) return "\ufffd";
  return String.fromCodePoint(n);
});
def("dict", (_t, a, k) => {
  if (a.length > 1) throw new EvalError(`dict: got ${a.length} arguments, want at most 1`);
  const d = new Dict();
  updateDict(d, a[0], k, "dict");
  return d;
});
def("dir", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("dir does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`dir: got ${a.length} arguments, want 1`);
  return new List(attrNames(a[0]!));
});
def("enumerate", (_t, a, k) => {
  const [it, start] = unpackArgs("enumerate", a, k, ["iterable", "start?"]);
  let i = start === undefined ? 0 : start;
  if (!isInt(i)) throw new EvalError(`enumerate: for parameter start: got ${typeName(i)}, want int`);
  const out: Value[] = [];
  for (const v of iterArray("enumerate", it!)) {
    out.push([i, v]);
    i = normInt(BigInt(i) + 1n);
  }
  return new List(out);
});
def("fail", (_t, a, k) => {
  const [sep] = unpackArgs("fail", [], k, ["sep?"]);
  const s = sep === undefined ? " " : sep;
  if (typeof s !== "string") throw new EvalError(`fail: for parameter sep: got ${typeName(s)}, want string`);
  const e = new EvalError("fail: " + a.map((v) => str(v)).join(s));
  (e as { failed?: boolean }).failed = true;
  throw e;
});
def("float", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("float does not accept keyword arguments");
  if (a.length === 0) return new Float(0);
  if (a.length !== 1) throw new EvalError(`float got ${a.length} arguments, wants 1`);
  const x = a[0]!;
  if (x instanceof Float) return x;
  if (typeof x === "boolean") return new Float(x ? 1 : 0);
  if (isInt(x)) {
    const f = Number(x);
    if (!Number.isFinite(f)) throw new EvalError("int too large to convert to float");
    return new Float(f);
  }
  if (typeof x === "string") {
    if (x === "") throw new EvalError("float: empty string");
    const t = x.toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(t)) return new Float(t.startsWith("-") ? -Infinity : Infinity);
    if (/^[+-]?nan$/.test(t)) return new Float(NaN);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw new EvalError(`invalid float literal: ${x}`);
    const f = Number(t);
    if (!Number.isFinite(f)) throw new EvalError("floating-point number too large");
    return new Float(f);
  }
  throw new EvalError(`float got ${typeName(x)}, want number or string`);
});
def("getattr", (_t, a, k) => {
  positional("getattr", a, k, 2, 3);
  const name = a[1]!;
  if (typeof name !== "string")
    throw new EvalError(`getattr: for parameter name: got ${typeName(name)}, want string`);
  let v: Value | undefined;
  try {
    v = getAttrOrUndefined(a[0]!, name);
  } catch (e) {
    if (a.length === 3) return a[2]!;
    throw e;
  }
  if (v !== undefined) return v;
  if (a.length === 3) return a[2]!;
  throw new EvalError(`getattr: ${typeName(a[0]!)} has no .${name} field or method`);
});
def("hasattr", (_t, a, k) => {
  positional("hasattr", a, k, 2, 2);
  const name = a[1]!;
  if (typeof name !== "string")
    throw new EvalError(`hasattr: for parameter name: got ${typeName(name)}, want string`);
  try {
    return getAttrOrUndefined(a[0]!, name) !== undefined;
  } catch {
    return false;
  }
});
def("hash", (_t, a, k) => {
  positional("hash", a, k, 1, 1);
  const x = a[0]!;
  if (typeof x === "string") {
    let h = 0;
    for (let i = 0; i < x.length; i++) h = (Math.imul(31, h) + x.charCodeAt(i)) | 0;
    return h;
  }
  if (x instanceof Bytes) {
    let h = 0x811c9dc5;
    for (let i = 0; i < x.s.length; i++) {
      h ^= x.s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }
  throw new EvalError(`hash: got ${typeName(x)}, want string or bytes`);
});
def("int", (_t, a, k) => {
  const [x, baseV] = unpackArgs("int", a, k, ["x", "base?"]);
  if (x === undefined) return 0;
  if (typeof x === "string") {
    let base = 10;
    if (baseV !== undefined) {
      if (!isInt(baseV)) throw new EvalError(`int: for base, got ${typeName(baseV)}, want int`);
      base = Number(baseV);
      if (base !== 0 && (base < 2 || base > 36))
        throw new EvalError("int: base must be an integer >= 2 && <= 36");
    }
    return parseIntLiteral(x, base);
  }
  if (baseV !== undefined) throw new EvalError("int: can't convert non-string with explicit base");
  if (typeof x === "boolean") return x ? 1 : 0;
  if (isInt(x)) return x;
  if (x instanceof Float) {
    const f = x.v;
    if (Number.isNaN(f)) throw new EvalError("int: cannot convert float NaN to integer");
    if (!Number.isFinite(f)) throw new EvalError("int: cannot convert float infinity to integer");
    const t = Math.trunc(f);
    return Number.isSafeInteger(t) ? (t === 0 ? 0 : t) : normInt(BigInt(t));
  }
  throw new EvalError(`int: got ${typeName(x)}, want int, float, bool, or string`);
});

function parseIntLiteral(s0: string, base: number): number | bigint {
  const bad = () => new EvalError(`int: invalid literal with base ${base}: ${s0}`);
  let s = s0;
  let neg = false;
  if (s.startsWith("+") || s.startsWith("-")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  const low = s.toLowerCase();
  let b = base;
  const prefixBase = low.startsWith("0x") ? 16 : low.startsWith("0o") ? 8 : low.startsWith("0b") ? 2 : 0;
  if (prefixBase && (b === 0 || b === prefixBase)) {
    b = prefixBase;
    s = s.slice(2);
    if (s.startsWith("_")) s = s.slice(1);
  } else if (b === 0) {
    if (s.length > 1 && s[0] === "0" && !/^0+$/.test(s.replace(/_/g, ""))) throw bad();
    b = 10;
  }
  if (s === "" || s.startsWith("_") || s.endsWith("_") || s.includes("__")) throw bad();
  if (base !== 0 && s.includes("_")) throw bad();
  s = s.replace(/_/g, "");
  const digits = "0123456789abcdefghijklmnopqrstuvwxyz".slice(0, b);
  let v = 0n;
  const B = BigInt(b);
  for (const ch of s.toLowerCase()) {
    const d = digits.indexOf(ch);
    if (d < 0) throw bad();
    v = v * B + BigInt(d);
  }
  return normInt(neg ? -v : v);
}

def("len", (_t, a, k) => {
  positional("len", a, k, 1, 1);
  const n = lenOf(a[0]!);
  if (n < 0) throw new EvalError(`len: value of type ${typeName(a[0]!)} has no len`);
  return n;
});
def("list", (_t, a, k) => {
  positional("list", a, k, 0, 1);
  return new List(a.length === 0 ? [] : iterArray("list", a[0]!));
});
const minmax = (name: string, sign: number) =>
  def(name, (th, a, k) => {
    const [key, dflt] = unpackArgs(name, [], k, ["key?", "default?"]);
    if (a.length === 0) throw new EvalError(`${name} requires at least one positional argument`);
    let items: Value[];
    if (a.length === 1) {
      if (!isIterable(a[0]!)) throw new EvalError(`${name}: ${typeName(a[0]!)} value is not iterable`);
      items = toArray(a[0]!);
    } else items = a;
    if (items.length === 0) {
      if (dflt !== undefined) return dflt;
      throw new EvalError(`${name}: argument is an empty sequence`);
    }
    const keyOf = (v: Value) =>
      key === undefined || key === null ? v : callValue(th as StarThread, key, [v], []);
    let best = items[0]!;
    let bestKey = keyOf(best);
    for (let i = 1; i < items.length; i++) {
      const kv = keyOf(items[i]!);
      if (compare(kv, bestKey, 0, "<") * sign < 0) {
        best = items[i]!;
        bestKey = kv;
      }
    }
    return best;
  });
minmax("max", -1);
minmax("min", 1);
def("ord", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("ord does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`ord: got ${a.length} arguments, want 1`);
  const x = a[0]!;
  if (typeof x === "string") {
    const cps = [...x];
    if (cps.length !== 1)
      throw new EvalError(`ord: string encodes ${cps.length} Unicode code points, want 1`);
    const cp = cps[0]!.codePointAt(0)!;
    return cp >= 0xdc80 && cp <= 0xdcff ? 0xfffd : cp;
  }
  if (x instanceof Bytes) {
    if (x.s.length !== 1) throw new EvalError(`ord: bytes has length ${x.s.length}, want 1`);
    return x.s.charCodeAt(0);
  }
  throw new EvalError(`ord: got ${typeName(x)}, want string or bytes`);
});
def("print", (th, a, k) => {
  const [sep] = unpackArgs("print", [], k, ["sep?"]);
  const s = sep === undefined ? " " : sep;
  if (typeof s !== "string") throw new EvalError(`print: for parameter sep: got ${typeName(s)}, want string`);
  th.print(th, a.map((v) => str(v)).join(s));
  return null;
});
def("range", (_t, a, k) => {
  positional("range", a, k, 1, 3);
  // A range holds plain JS numbers, exact up to 2^53 - 1 (larger ints are bigints, and not accepted).
  const ints = a.map((v, i) => {
    if (typeof v !== "number") {
      if (typeof v === "bigint")
        throw new EvalError(
          `range: for parameter ${i + 1}: ${v} out of range (want value in signed 54-bit range: between -(2^53 - 1) and 2^53 - 1)`,
        );
      throw new EvalError(`range: for parameter ${i + 1}: got ${typeName(v)}, want int`);
    }
    return v;
  });
  let start = 0;
  let stop: number;
  let step = 1;
  if (ints.length === 1) stop = ints[0]!;
  else {
    start = ints[0]!;
    stop = ints[1]!;
    if (ints.length === 3) step = ints[2]!;
  }
  if (step === 0) throw new EvalError("range: step argument must not be zero");
  const range = new Range(start, stop, step);
  if (range.len() > Number.MAX_SAFE_INTEGER)
    throw new EvalError(
      `range: range(${start}, ${stop}, ${step}) has more than 2^53 - 1 elements (the largest length of a range)`,
    );
  return range;
});
def("repr", (_t, a, k) => {
  positional("repr", a, k, 1, 1);
  return repr(a[0]!);
});
def("reversed", (_t, a, k) => {
  positional("reversed", a, k, 1, 1);
  return new List(iterArray("reversed", a[0]!).reverse());
});
def("set", (_t, a, k) => {
  positional("set", a, k, 0, 1);
  const s = new StarSet();
  if (a.length > 0) for (const v of iterArray("set", a[0]!)) s.add(v);
  return s;
});
def("sorted", (th, a, k) => {
  const [it, key, rev] = unpackArgs("sorted", a, k, ["iterable", "*", "key?", "reverse?"]);
  if (!isIterable(it!))
    throw new EvalError(`sorted: for parameter iterable: got ${typeName(it!)}, want iterable`);
  if (key !== undefined && !(key instanceof Callable))
    throw new EvalError(`sorted: for parameter key: got ${typeName(key)}, want callable`);
  const items = toArray(it!);
  const reverse = rev !== undefined && truth(rev);
  const useKey = key !== undefined;
  const keys = useKey ? items.map((v) => callValue(th as StarThread, key, [v], [])) : items;
  const idx = items.map((_, i) => i);
  let failed = false;
  idx.sort((x, y) => {
    try {
      const c = compare(keys[x]!, keys[y]!, 0, "<");
      return reverse ? -c : c;
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      failed = true;
      return 0;
    }
  });
  if (failed) throw lastSortError(reverse ? keys.slice().reverse() : keys);
  return new List(idx.map((i) => items[i]!));
});
def("str", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("str does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`str: got ${a.length} arguments, want exactly 1`);
  return str(a[0]!);
});
def("tuple", (_t, a, k) => {
  positional("tuple", a, k, 0, 1);
  if (a.length === 0) return [];
  if (Array.isArray(a[0])) return a[0];
  return iterArray("tuple", a[0]!);
});
def("type", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("type does not accept keyword arguments");
  if (a.length !== 1) throw new EvalError(`type: got ${a.length} arguments, want exactly 1`);
  return typeName(a[0]!);
});
def("zip", (_t, a, k) => {
  if (k.length > 0) throw new EvalError("zip does not accept keyword arguments");
  const seqs = a.map((s, i) => {
    if (!isIterable(s)) throw new EvalError(`zip: argument #${i + 1} is not iterable: ${typeName(s)}`);
    return toArray(s);
  });
  if (seqs.length === 0) return new List([]);
  const n = Math.min(...seqs.map((s) => s.length));
  const out: Value[] = [];
  for (let i = 0; i < n; i++) out.push(seqs.map((s) => s[i]!));
  return new List(out);
});

/**
 * starlark-go's sort keeps going after a failed comparison and reports the last error; replay its
 * insertion-sort comparison order (exact for short lists) to report the same message.
 */
function lastSortError(keys: Value[]): EvalError {
  const a = keys.slice();
  let last: EvalError | undefined;
  const less = (x: Value, y: Value): boolean => {
    try {
      return compare(x, y, 0, "<") < 0;
    } catch (e) {
      last = e as EvalError;
      return false;
    }
  };
  for (let i = 1; i < a.length; i++)
    for (let j = i; j > 0 && less(a[j]!, a[j - 1]!); j--) [a[j], a[j - 1]] = [a[j - 1]!, a[j]!];
  return last ?? new EvalError("sorted: comparison failed");
}

/** struct(**kwargs): an immutable record with fields (starlarkstruct). */
export const structBuiltin = new Builtin("struct", (_th, a, k) => {
  if (a.length > 0) throw new EvalError(`struct: unexpected positional arguments`);
  const m = new Map<string, Value>();
  for (const [n, v] of k) m.set(n, v);
  return new Struct(m);
});

export { equals, toFloat };
