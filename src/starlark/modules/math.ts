// The math module (as starlark-go's lib/math).
import { positional } from "../args.js";
import { Builtin, EvalError, Float, Module, type Value, normInt, typeName } from "../values.js";

function num(v: Value): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Float) return v.v;
  throw new EvalError(`got ${typeName(v)}, want float or int`);
}

function toInt(f: number): Value {
  if (Number.isNaN(f)) throw new EvalError("cannot convert float NaN to integer");
  if (!Number.isFinite(f)) throw new EvalError("cannot convert float infinity to integer");
  return Number.isSafeInteger(f) ? (f === 0 ? 0 : f) : normInt(BigInt(f));
}

// Go's math.Round: half away from zero.
const goRound = (x: number) => {
  if (!Number.isFinite(x)) return x;
  const r = x < 0 ? -Math.round(-x) : Math.round(x);
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
};
const goRemainder = (x: number, y: number) => {
  if (Number.isNaN(x) || Number.isNaN(y) || !Number.isFinite(x) || y === 0) return NaN;
  if (!Number.isFinite(y)) return x;
  // IEEE 754 remainder: x - n*y with n = x/y rounded to nearest even
  const n = x / y;
  let r = Math.round(n);
  if (Math.abs(n - Math.trunc(n)) === 0.5) r = 2 * Math.round(n / 2);
  return x - r * y;
};
const goMod = (x: number, y: number) => x % y;

function gamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x === 0) return Object.is(x, -0) ? -Infinity : Infinity;
  if (x < 0 && Number.isInteger(x)) return NaN;
  if (Number.isInteger(x) && x <= 171) {
    let f = 1;
    for (let i = 2; i < x; i++) f *= i;
    return f;
  }
  // Lanczos approximation
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, x + 0.5) * Math.exp(-t) * a;
}

export function mathModule(): Module {
  const m = new Map<string, Value>();
  const unary = (name: string, f: (x: number) => number) =>
    m.set(
      name,
      new Builtin(name, (_t, a, k) => {
        positional(name, a, k, 1, 1);
        return new Float(f(num(a[0]!)));
      }),
    );
  const binary = (name: string, f: (x: number, y: number) => number) =>
    m.set(
      name,
      new Builtin(name, (_t, a, k) => {
        positional(name, a, k, 2, 2);
        return new Float(f(num(a[0]!), num(a[1]!)));
      }),
    );
  const intResult = (name: string, f: (x: number) => number) =>
    m.set(
      name,
      new Builtin(name, (_t, a, k) => {
        positional(name, a, k, 1, 1);
        const x = a[0]!;
        if (typeof x === "number" || typeof x === "bigint") return x;
        if (x instanceof Float) return toInt(f(x.v));
        throw new EvalError(`got ${typeName(x)}, want float or int`);
      }),
    );
  intResult("ceil", Math.ceil);
  intResult("floor", Math.floor);
  binary("copysign", (x, y) => (Math.sign(y) === -1 || Object.is(y, -0) ? -Math.abs(x) : Math.abs(x)));
  unary("fabs", Math.abs);
  binary("mod", goMod);
  binary("pow", Math.pow);
  binary("remainder", goRemainder);
  unary("round", goRound);
  unary("exp", Math.exp);
  unary("sqrt", Math.sqrt);
  unary("acos", Math.acos);
  unary("asin", Math.asin);
  unary("atan", Math.atan);
  binary("atan2", Math.atan2);
  unary("cos", Math.cos);
  binary("hypot", Math.hypot);
  unary("sin", Math.sin);
  unary("tan", Math.tan);
  unary("degrees", (x) => (360 * x) / (2 * Math.PI));
  unary("radians", (x) => (2 * Math.PI * x) / 360);
  unary("acosh", Math.acosh);
  unary("asinh", Math.asinh);
  unary("atanh", Math.atanh);
  unary("cosh", Math.cosh);
  unary("sinh", Math.sinh);
  unary("tanh", Math.tanh);
  m.set(
    "log",
    new Builtin("log", (_t, a, k) => {
      positional("log", a, k, 1, 2);
      const x = num(a[0]!);
      const base = a.length > 1 ? num(a[1]!) : Math.E;
      if (base === 1) throw new EvalError("division by zero");
      return new Float(Math.log(x) / Math.log(base));
    }),
  );
  unary("gamma", gamma);
  m.set("e", new Float(Math.E));
  m.set("pi", new Float(Math.PI));
  return new Module("math", m);
}
