// Operators on values: arithmetic (int as number with bigint overflow), comparison, membership,
// indexing, slicing, iteration and attribute access.
import {
  Bytes,
  Dict,
  EvalError,
  Float,
  List,
  Range,
  StarObject,
  StarSet,
  compare,
  equals,
  hashKey,
  isAscii,
  normInt,
  toBig,
  typeName,
  utf8Decode,
  utf8Encode,
  utf8Len,
  TAG_DICT,
  TAG_LIST,
  type Value,
} from "./values.js";

const MAX = 9007199254740991;
const MAX_MATERIALIZE = 1 << 27;

export function addInt(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r <= MAX && r >= -MAX) return r;
  }
  return normInt(toBig(a) + toBig(b));
}
export function subInt(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r <= MAX && r >= -MAX) return r;
  }
  return normInt(toBig(a) - toBig(b));
}
export function mulInt(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    if (r <= MAX && r >= -MAX) return r === 0 ? 0 : r;
  }
  return normInt(toBig(a) * toBig(b));
}
export function floorDivInt(a: number | bigint, b: number | bigint): number | bigint {
  if (b === 0 || b === 0n) throw new EvalError("floored division by zero");
  if (typeof a === "number" && typeof b === "number") {
    const r = a % b;
    let q = (a - r) / b;
    if (r !== 0 && r < 0 !== b < 0) q -= 1;
    return q === 0 ? 0 : q;
  }
  const A = toBig(a);
  const B = toBig(b);
  let q = A / B;
  if (A % B !== 0n && A < 0n !== B < 0n) q -= 1n;
  return normInt(q);
}
export function modInt(a: number | bigint, b: number | bigint): number | bigint {
  if (b === 0 || b === 0n) throw new EvalError("integer modulo by zero");
  if (typeof a === "number" && typeof b === "number") {
    let r = a % b;
    if (r !== 0 && r < 0 !== b < 0) r += b;
    return r === 0 ? 0 : r;
  }
  const B = toBig(b);
  let r = toBig(a) % B;
  if (r !== 0n && r < 0n !== B < 0n) r += B;
  return normInt(r);
}

/**
 * String concatenation. Bytes of an incomplete UTF-8 sequence are held as U+DC80..U+DCFF; joining two
 * halves of a character must give the character again, so re-decode when such bytes meet at the seam.
 */
export function concatStrings(a: string, b: string): string {
  const r = a + b;
  const last = a.charCodeAt(a.length - 1);
  const first = b.charCodeAt(0);
  if ((last >= 0xdc80 && last <= 0xdcff) || (first >= 0xdc80 && first <= 0xdcff))
    return utf8Decode(utf8Encode(r));
  return r;
}

export function toFloat(v: number | bigint): number {
  if (typeof v === "number") return v;
  const f = Number(v);
  if (!Number.isFinite(f)) throw new EvalError("int too large to convert to float");
  return f;
}

function isNum(v: Value): boolean {
  return typeof v === "number" || typeof v === "bigint" || v instanceof Float;
}
function num(v: Value): number {
  return v instanceof Float ? v.v : toFloat(v as number | bigint);
}

function floatMod(x: number, y: number): number {
  if (y === 0) throw new EvalError("floating-point modulo by zero");
  let r = x % y;
  if (r !== 0 && r < 0 !== y < 0) r += y;
  return r;
}

/** Hook for the `%` string operator, installed by format.ts (avoids an import cycle). */
export const hooks: { percent?: (format: string, arg: Value) => string } = {};

export function binary(op: string, x: Value, y: Value): Value {
  const tx = typeof x;
  const ty = typeof y;
  if (tx === "number" && ty === "number") {
    // fast path: small ints
    const a = x as number;
    const b = y as number;
    switch (op) {
      case "+":
      case "-":
      case "*": {
        const r = op === "+" ? a + b : op === "-" ? a - b : a * b;
        if (r <= MAX && r >= -MAX) return r === 0 ? 0 : r;
        break;
      }
      case "<":
        return a < b;
      case "<=":
        return a <= b;
      case ">":
        return a > b;
      case ">=":
        return a >= b;
      case "==":
        return a === b;
      case "!=":
        return a !== b;
    }
  }
  if (
    x instanceof StarSet &&
    y instanceof StarSet &&
    (op === "<" || op === "<=" || op === ">" || op === ">=")
  ) {
    const [a, b] = op[0] === "<" ? [x, y] : [y, x];
    for (const k of a.map.keys()) if (!b.map.has(k)) return false;
    return op.length === 2 || a.map.size < b.map.size;
  }
  switch (op) {
    case "==":
      return equals(x, y);
    case "!=":
      return !equals(x, y);
    case "<":
      return compare(x, y, 0, op) < 0;
    case "<=":
      return compare(x, y, 0, op) <= 0;
    case ">":
      return compare(x, y, 0, op) > 0;
    case ">=":
      return compare(x, y, 0, op) >= 0;
    case "in":
      return contains(y, x);
    case "not in":
      return !contains(y, x);
  }
  const xi = tx === "number" || tx === "bigint";
  const yi = ty === "number" || ty === "bigint";
  if (xi && yi) {
    const a = x as number | bigint;
    const b = y as number | bigint;
    switch (op) {
      case "+":
        return addInt(a, b);
      case "-":
        return subInt(a, b);
      case "*":
        return mulInt(a, b);
      case "//":
        return floorDivInt(a, b);
      case "%":
        return modInt(a, b);
      case "/": {
        if (b === 0 || b === 0n) throw new EvalError("floating-point division by zero");
        if (typeof a === "bigint" || typeof b === "bigint") return new Float(bigDiv(toBig(a), toBig(b)));
        return new Float(a / b);
      }
      case "&":
        if (typeof a === "number" && typeof b === "number" && (a | 0) === a && (b | 0) === b) return a & b;
        return normInt(toBig(a) & toBig(b));
      case "|":
        if (typeof a === "number" && typeof b === "number" && (a | 0) === a && (b | 0) === b) return a | b;
        return normInt(toBig(a) | toBig(b));
      case "^":
        if (typeof a === "number" && typeof b === "number" && (a | 0) === a && (b | 0) === b) return a ^ b;
        return normInt(toBig(a) ^ toBig(b));
      case "<<":
      case ">>": {
        if (b < 0) throw new EvalError(`negative shift count: ${b}`);
        if (op === "<<" && b >= 512) throw new EvalError(`shift count too large: ${b}`);
        if (op === ">>" && b >= 512) return a < 0 ? -1 : 0;
        return op === "<<" ? normInt(toBig(a) << toBig(b)) : normInt(toBig(a) >> toBig(b));
      }
    }
  } else if (isNum(x) && isNum(y)) {
    const a = num(x);
    const b = num(y);
    switch (op) {
      case "+":
        return new Float(a + b);
      case "-":
        return new Float(a - b);
      case "*":
        return new Float(a * b);
      case "/":
        if (b === 0) throw new EvalError("floating-point division by zero");
        return new Float(a / b);
      case "//":
        if (b === 0) throw new EvalError("floored division by zero");
        return new Float(Math.floor(a / b));
      case "%":
        return new Float(floatMod(a, b));
    }
  } else if (tx === "string") {
    if (op === "+" && ty === "string") return concatStrings(x as string, y as string);
    if (op === "%") {
      return hooks.percent!(x as string, y);
    }
    if (op === "*" && yi) return repeatStr(x as string, y as number | bigint);
  } else if (op === "*" && xi) {
    if (ty === "string") return repeatStr(y as string, x as number | bigint);
    if (Array.isArray(y)) return repeatArr(y, x as number | bigint);
    if (y instanceof List) return new List(repeatArr(y.elems, x as number | bigint));
    if (y instanceof Bytes) return new Bytes(repeatStr(y.s, x as number | bigint));
  } else if (Array.isArray(x)) {
    if (op === "+" && Array.isArray(y)) return x.concat(y);
    if (op === "*" && yi) return repeatArr(x, y as number | bigint);
  } else if (x instanceof List) {
    if (op === "+" && y instanceof List) return new List(x.elems.concat(y.elems));
    if (op === "*" && yi) return new List(repeatArr(x.elems, y as number | bigint));
  } else if (x instanceof Bytes) {
    if (op === "+" && y instanceof Bytes) return new Bytes(x.s + y.s);
    if (op === "*" && yi) return new Bytes(repeatStr(x.s, y as number | bigint));
  } else if (x instanceof StarSet && y instanceof StarSet) {
    switch (op) {
      case "|":
        return setUnion(x, y);
      case "&": {
        const s = new StarSet();
        for (const [k, v] of x.map) if (y.map.has(k)) s.map.set(k, v);
        return s;
      }
      case "-": {
        const s = new StarSet();
        for (const [k, v] of x.map) if (!y.map.has(k)) s.map.set(k, v);
        return s;
      }
      case "^": {
        const s = new StarSet();
        for (const [k, v] of x.map) if (!y.map.has(k)) s.map.set(k, v);
        for (const [k, v] of y.map) if (!x.map.has(k)) s.map.set(k, v);
        return s;
      }
    }
  } else if (x instanceof Dict && y instanceof Dict && op === "|") {
    const d = new Dict();
    for (const [k, e] of x.map) d.map.set(k, { k: e.k, v: e.v });
    for (const [k, e] of y.map) {
      const o = d.map.get(k);
      if (o) o.v = e.v;
      else d.map.set(k, { k: e.k, v: e.v });
    }
    return d;
  }
  // host-defined operators
  if (x instanceof StarObject && x.binary) {
    const r = x.binary(op, y, "left");
    if (r !== undefined) return r;
  }
  if (y instanceof StarObject && y.binary) {
    const r = y.binary(op, x, "right");
    if (r !== undefined) return r;
  }
  throw new EvalError(`unknown binary op: ${typeName(x)} ${op} ${typeName(y)}`);
}

function bigDiv(a: bigint, b: bigint): number {
  const fa = Number(a);
  const fb = Number(b);
  if (Number.isFinite(fa) && Number.isFinite(fb)) return fa / fb;
  // scale down both to keep precision
  const q = a / b;
  const fq = Number(q);
  if (!Number.isFinite(fq)) throw new EvalError("int too large to convert to float");
  const r = a - q * b;
  return fq + Number(r) / fb;
}

export function setUnion(x: StarSet, y: StarSet): StarSet {
  const s = new StarSet();
  for (const [k, v] of x.map) s.map.set(k, v);
  for (const [k, v] of y.map) if (!s.map.has(k)) s.map.set(k, v);
  return s;
}

function repeatCount(n: number | bigint, unit: number): number {
  if (n <= 0) return 0;
  if (typeof n === "bigint" || n >= 2 ** 31) throw new EvalError(`repeat count ${n.toString()} too large`);
  if (n * unit > 1 << 28) throw new EvalError(`excessive repeat (${unit} * ${n.toString()} elements)`);
  return n;
}
function repeatStr(s: string, n: number | bigint): string {
  const k = repeatCount(n, s.length);
  return s.repeat(k);
}
function repeatArr(a: Value[], n: number | bigint): Value[] {
  const k = repeatCount(n, a.length);
  const out: Value[] = [];
  for (let i = 0; i < k; i++) for (const e of a) out.push(e);
  return out;
}

export function unary(op: string, x: Value): Value {
  switch (op) {
    case "not":
      return !truthOf(x);
    case "-":
      if (typeof x === "number") return x === 0 ? 0 : -x;
      if (typeof x === "bigint") return normInt(-x);
      if (x instanceof Float) return new Float(-x.v);
      break;
    case "+":
      if (typeof x === "number" || typeof x === "bigint") return x;
      if (x instanceof Float) return x;
      break;
    case "~":
      if (typeof x === "number" && (x | 0) === x) return ~x;
      if (typeof x === "bigint" || typeof x === "number") return normInt(-toBig(x) - 1n);
      break;
  }
  if (x instanceof StarObject && x.binary) {
    const r = x.binary("unary" + op, null, "left");
    if (r !== undefined) return r;
  }
  throw new EvalError(`unknown unary op: ${op} ${typeName(x)}`);
}

import { truth as truthOf } from "./values.js";

export function contains(coll: Value, x: Value): boolean {
  if (typeof coll === "string") {
    if (typeof x !== "string")
      throw new EvalError(`'in <string>' requires string as left operand, not ${typeName(x)}`);
    return coll.includes(x);
  }
  if (Array.isArray(coll)) {
    for (const e of coll) if (e === x || equals(e, x)) return true;
    return false;
  }
  if (coll instanceof List) {
    for (const e of coll.elems) if (e === x || equals(e, x)) return true;
    return false;
  }
  if (coll instanceof Dict) {
    let k;
    try {
      k = hashKey(x);
    } catch {
      return false;
    }
    return coll.map.has(k);
  }
  if (coll instanceof StarSet) return coll.map.has(hashKey(x));
  if (coll instanceof Bytes) {
    if (x instanceof Bytes) return coll.s.includes(x.s);
    if (typeof x === "number") {
      if (x < 0 || x > 255) throw new EvalError(`int in bytes: ${x} out of range`);
      return coll.s.includes(String.fromCharCode(x));
    }
    throw new EvalError(`'in <bytes>' requires bytes or int as left operand, not ${typeName(x)}`);
  }
  if (coll instanceof Range) {
    if (typeof x !== "number") {
      if (x instanceof Float && Number.isInteger(x.v)) return contains(coll, x.v);
      if (typeof x === "bigint" || x instanceof Float) return false;
      throw new EvalError(`'in <range>' requires integer as left operand, not ${typeName(x)}`);
    }
    const { start, stop, step } = coll;
    if (step > 0 ? x < start || x >= stop : x > start || x <= stop) return false;
    return (x - start) % step === 0;
  }
  if (coll instanceof StarObject) {
    if (coll.index && coll.len) {
      // mapping-like host object: membership of keys
      try {
        coll.index(x);
        return true;
      } catch {
        return false;
      }
    }
    if (coll.iterate) {
      for (const e of coll.iterate()) if (equals(e, x)) return true;
      return false;
    }
  }
  throw new EvalError(`unknown binary op: ${typeName(x)} in ${typeName(coll)}`);
}

// ---------- strings as byte sequences ----------
// Starlark strings are indexed by UTF-8 bytes. ASCII strings (the common case) are used directly.

export function strLen(s: string): number {
  return isAscii(s) ? s.length : utf8Len(s);
}

// ---------- indexing ----------
export function asIndex(v: Value, what = "index"): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  throw new EvalError(`${what}: got ${typeName(v)}, want int`);
}

function checkedIndex(i: Value, n: number, what: string): number {
  if (typeof i !== "number" && typeof i !== "bigint")
    throw new EvalError(`${what} index: got ${typeName(i)}, want int`);
  let k = asIndex(i);
  const orig = k;
  if (k < 0) k += n;
  if (k < 0 || k >= n) {
    if (n === 0) throw new EvalError(`index ${orig} out of range: empty ${what}`);
    throw new EvalError(`${what} index ${orig} out of range [${-n}:${n - 1}]`);
  }
  return k;
}

export function getIndex(x: Value, i: Value): Value {
  if (typeof x === "object" && x !== null && !Array.isArray(x)) {
    const tag = x.tag;
    if (tag === TAG_DICT) {
      const e = (x as Dict).map.get(typeof i === "string" && i.charCodeAt(0) !== 0xffff ? i : hashKey(i));
      if (e === undefined) throw new EvalError(`key ${reprShort(i)} not in dict`);
      return e.v;
    }
    if (tag === TAG_LIST && typeof i === "number") {
      const a = (x as List).elems;
      const k = i < 0 ? i + a.length : i;
      if (k >= 0 && k < a.length) return a[k]!;
    }
  }
  if (x instanceof List) return x.elems[checkedIndex(i, x.elems.length, "list")]!;
  if (Array.isArray(x)) return x[checkedIndex(i, x.length, "tuple")]!;
  if (x instanceof Dict) {
    const e = x.map.get(hashKey(i));
    if (e === undefined) throw new EvalError(`key ${reprShort(i)} not in dict`);
    return e.v;
  }
  if (typeof x === "string") {
    if (isAscii(x)) return x[checkedIndex(i, x.length, "string")]!;
    const b = utf8Encode(x);
    return utf8Decode(b[checkedIndex(i, b.length, "string")]!);
  }
  if (x instanceof Bytes) return new Bytes(x.s[checkedIndex(i, x.s.length, "bytes")]!);
  if (x instanceof Range) return x.at(checkedIndex(i, x.len(), "range"));
  if (x instanceof StarObject && x.index) return x.index(i);
  throw new EvalError(`unhandled index operation ${typeName(x)}[${typeName(i)}]`);
}

import { repr as reprOf } from "./values.js";
function reprShort(v: Value): string {
  const s = reprOf(v);
  return s.length > 100 ? s.slice(0, 97) + "..." : s;
}

export function setIndex(x: Value, i: Value, v: Value): void {
  if (x instanceof List) {
    x.checkMutable("assign to element of");
    x.elems[checkedIndex(i, x.elems.length, "list")] = v;
    return;
  }
  if (x instanceof Dict) {
    x.set(i, v);
    return;
  }
  if (x instanceof StarObject && x.setIndex) {
    x.setIndex(i, v);
    return;
  }
  throw new EvalError(`${typeName(x)} value does not support item assignment`);
}

// ---------- slicing ----------
export function sliceIndices(n: number, lo: Value, hi: Value, step: Value): [number, number, number] {
  let st = 1;
  if (step !== null) {
    if (typeof step !== "number" && typeof step !== "bigint")
      throw new EvalError(`invalid slice step: got ${typeName(step)}, want int`);
    st = asIndex(step, "slice step");
    if (st === 0) throw new EvalError("zero is not a valid slice step");
  }
  const clamp = (v: Value, def: number, lowB: number, highB: number, which: string): number => {
    if (v === null) return def;
    if (typeof v !== "number" && typeof v !== "bigint")
      throw new EvalError(`invalid ${which} index: got ${typeName(v)}, want int`);
    let k = asIndex(v, "slice index");
    if (k < 0) k += n;
    return k < lowB ? lowB : k > highB ? highB : k;
  };
  if (st > 0) return [clamp(lo, 0, 0, n, "start"), clamp(hi, n, 0, n, "end"), st];
  return [clamp(lo, n - 1, -1, n - 1, "start"), clamp(hi, -1, -1, n - 1, "end"), st];
}

function sliceArr<T>(a: ArrayLike<T>, start: number, end: number, step: number): T[] {
  const out: T[] = [];
  if (step > 0) for (let i = start; i < end; i += step) out.push(a[i]!);
  else for (let i = start; i > end; i += step) out.push(a[i]!);
  return out;
}

export function slice(x: Value, lo: Value, hi: Value, step: Value): Value {
  if (typeof x === "string") {
    const ascii = isAscii(x);
    const s = ascii ? x : utf8Encode(x);
    const [a, b, st] = sliceIndices(s.length, lo, hi, step);
    const r = st === 1 ? (a < b ? s.slice(a, b) : "") : sliceArr(s, a, b, st).join("");
    return ascii ? r : utf8Decode(r);
  }
  if (x instanceof Bytes) {
    const [a, b, st] = sliceIndices(x.s.length, lo, hi, step);
    return new Bytes(st === 1 ? (a < b ? x.s.slice(a, b) : "") : sliceArr(x.s, a, b, st).join(""));
  }
  if (Array.isArray(x)) {
    const [a, b, st] = sliceIndices(x.length, lo, hi, step);
    return st === 1 ? (a < b ? x.slice(a, b) : []) : sliceArr(x, a, b, st);
  }
  if (x instanceof List) {
    const [a, b, st] = sliceIndices(x.elems.length, lo, hi, step);
    return new List(st === 1 ? (a < b ? x.elems.slice(a, b) : []) : sliceArr(x.elems, a, b, st));
  }
  if (x instanceof Range) {
    const [a, b, st] = sliceIndices(x.len(), lo, hi, step);
    const start = x.at(a);
    const stop = x.at(b);
    return new Range(start, stop, x.step * st);
  }
  throw new EvalError(`invalid slice operand ${typeName(x)}`);
}

// ---------- iteration ----------
/**
 * Runs `body` for each element. Lists, dicts and sets cannot be mutated meanwhile.
 * `body` returns true to stop early.
 */
export function forEach(x: Value, body: (v: Value) => boolean | void): void {
  if (x instanceof List) {
    x.iterating++;
    try {
      const a = x.elems;
      for (let i = 0; i < a.length; i++) if (body(a[i]!) === true) return;
    } finally {
      x.iterating--;
    }
    return;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (body(x[i]!) === true) return;
    return;
  }
  if (x instanceof Range) {
    const n = x.len();
    for (let i = 0; i < n; i++) if (body(x.at(i)) === true) return;
    return;
  }
  if (x instanceof Dict) {
    x.iterating++;
    try {
      for (const e of x.map.values()) if (body(e.k) === true) return;
    } finally {
      x.iterating--;
    }
    return;
  }
  if (x instanceof StarSet) {
    x.iterating++;
    try {
      for (const e of x.map.values()) if (body(e) === true) return;
    } finally {
      x.iterating--;
    }
    return;
  }
  if (x instanceof StarObject && x.iterate) {
    for (const e of x.iterate()) if (body(e) === true) return;
    return;
  }
  throw new EvalError(`${typeName(x)} value is not iterable`);
}

export function isIterable(x: Value): boolean {
  return (
    x instanceof List ||
    Array.isArray(x) ||
    x instanceof Range ||
    x instanceof Dict ||
    x instanceof StarSet ||
    (x instanceof StarObject && x.iterate !== undefined)
  );
}

/** Collects the elements of an iterable into a fresh array. */
export function toArray(x: Value): Value[] {
  if (x instanceof List) return x.elems.slice();
  if (Array.isArray(x)) return x.slice();
  // Materializing a huge range would exhaust the host's memory (a crash no Starlark error can report).
  if (x instanceof Range && x.len() > MAX_MATERIALIZE)
    throw new EvalError(
      `${x.repr()} has ${x.len()} elements, too many to materialize (limit ${MAX_MATERIALIZE})`,
    );
  const out: Value[] = [];
  forEach(x, (v) => {
    out.push(v);
  });
  return out;
}

export function len(x: Value): number {
  if (typeof x === "string") return strLen(x);
  if (Array.isArray(x)) return x.length;
  if (x instanceof StarObject && x.len) return x.len();
  return -1;
}
