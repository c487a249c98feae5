// String formatting: the `%` operator and str.format, with starlark-go's conversions and messages.
import { stringMethods } from "./methods.js";
import { hooks } from "./ops.js";
import { Dict, EvalError, Float, type Value, goFormatG, hashKey, repr, str, typeName } from "./values.js";
import { formatFloatG } from "./values.js";

function toIntForFormat(c: string, v: Value): bigint | number {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (v instanceof Float) {
    if (Number.isNaN(v.v))
      throw new EvalError(`%${c} format requires integer: cannot convert float NaN to integer`);
    if (!Number.isFinite(v.v))
      throw new EvalError(`%${c} format requires integer: cannot convert float infinity to integer`);
    const t = Math.trunc(v.v);
    return Number.isSafeInteger(t) ? t : BigInt(t);
  }
  throw new EvalError(`%${c} format requires integer: cannot convert ${typeName(v)} to int`);
}

/** Go's %e with precision p: d.dddddde±dd */
export function formatE(f: number, p: number, upper: boolean): string {
  if (!Number.isFinite(f))
    return formatFloatG(f).replace("+inf", "+Inf").replace("-inf", "-Inf").replace("nan", "NaN");
  let s = f.toExponential(p);
  if (Object.is(f, -0)) s = "-" + s;
  s = s.replace(/e([+-])(\d)$/, "e$10$2");
  return upper ? s.toUpperCase() : s;
}

export function formatFloatConv(c: string, f: number): string {
  if (!Number.isFinite(f)) {
    const s = Number.isNaN(f) ? "nan" : f > 0 ? "+inf" : "-inf";
    return c === c.toUpperCase() ? s.toUpperCase() : s;
  }
  switch (c) {
    case "e":
    case "E":
      return formatE(f, 6, c === "E");
    case "f":
    case "F":
      return Math.abs(f) >= 1e21
        ? BigInt(Math.round(f)).toString() + ".000000"
        : (Object.is(f, -0) ? "-" : "") + f.toFixed(6);
    case "g":
      return formatFloatG(f);
    case "G":
      return formatFloatG(f).toUpperCase();
  }
  return goFormatG(f, -1);
}

export function percent(format: string, arg: Value): string {
  let args: Value[];
  let mapping: Dict | undefined;
  if (Array.isArray(arg)) args = arg;
  else args = [arg];
  let index = 0;
  let out = "";
  let i = 0;
  const n = format.length;
  while (i < n) {
    const j = format.indexOf("%", i);
    if (j < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, j);
    i = j + 1;
    if (i >= n) throw new EvalError("incomplete format");
    let value: Value | undefined;
    if (format[i] === "(") {
      const close = format.indexOf(")", i);
      if (close < 0) throw new EvalError("incomplete format key");
      const key = format.slice(i + 1, close);
      if (!(arg instanceof Dict)) {
        mapping = undefined;
        throw new EvalError("format requires a mapping");
      }
      mapping = arg;
      const e = mapping.map.get(hashKey(key));
      if (e === undefined) throw new EvalError(`key not found: ${key}`);
      value = e.v;
      i = close + 1;
      if (i >= n) throw new EvalError("incomplete format");
    }
    const c = format[i]!;
    i++;
    if (c === "%") {
      out += "%";
      continue;
    }
    if (value === undefined) {
      if (index >= args.length) throw new EvalError("not enough arguments for format string");
      value = args[index++]!;
    }
    switch (c) {
      case "s":
        out += str(value);
        break;
      case "r":
        out += repr(value);
        break;
      case "d":
      case "i":
        out += toIntForFormat(c, value).toString();
        break;
      case "o": {
        const v = toIntForFormat(c, value);
        out += (v < 0 ? "-" : "") + (typeof v === "bigint" ? (v < 0n ? -v : v) : Math.abs(v)).toString(8);
        break;
      }
      case "x":
      case "X": {
        const v = toIntForFormat(c, value);
        const s = (v < 0 ? "-" : "") + (typeof v === "bigint" ? (v < 0n ? -v : v) : Math.abs(v)).toString(16);
        out += c === "X" ? s.toUpperCase() : s;
        break;
      }
      case "e":
      case "E":
      case "f":
      case "F":
      case "g":
      case "G": {
        let f: number;
        if (value instanceof Float) f = value.v;
        else if (typeof value === "number") f = value;
        else if (typeof value === "bigint") f = Number(value);
        else throw new EvalError(`%${c} format requires float, not ${typeName(value)}`);
        out += formatFloatConv(c, f);
        break;
      }
      case "c": {
        if (typeof value === "number" || typeof value === "bigint") {
          const cp = Number(value);
          if (cp < 0 || cp > 0x10ffff)
            throw new EvalError(`%c format requires a valid Unicode code point, got ${value}`);
          out += cp >= 0xd800 && cp < 0xe000 ? "\ufffd" : String.fromCodePoint(cp);
        } else if (typeof value === "string") {
          if ([...value].length !== 1) throw new EvalError("%c format requires a single-character string");
          out += value;
        } else
          throw new EvalError(`%c format requires int or single-character string, not ${typeName(value)}`);
        break;
      }
      default:
        throw new EvalError(`unknown conversion %${c}`);
    }
  }
  if (mapping === undefined && !(arg instanceof Dict) && index < args.length)
    throw new EvalError("too many arguments for format string");
  return out;
}

export function strFormat(format: string, args: Value[], kwargs: [string, Value][]): string {
  let out = "";
  let index = 0;
  let auto = false;
  let manual = false;
  let rest = format;
  while (true) {
    const i = rest.indexOf("{");
    let literal = i < 0 ? rest : rest.slice(0, i);
    while (true) {
      const j = literal.indexOf("}");
      if (j < 0) {
        out += literal;
        break;
      }
      if (literal.length === j + 1 || literal[j + 1] !== "}")
        throw new EvalError("format: single '}' in format");
      out += literal.slice(0, j + 1);
      literal = literal.slice(j + 2);
    }
    if (i < 0) break;
    if (rest[i + 1] === "{") {
      out += "{";
      rest = rest.slice(i + 2);
      continue;
    }
    rest = rest.slice(i + 1);
    const close = rest.indexOf("}");
    if (close < 0) throw new EvalError("format: unmatched '{' in format");
    let field = rest.slice(0, close);
    rest = rest.slice(close + 1);
    let conv = "s";
    let spec = "";
    let name: string;
    const bang = field.indexOf("!");
    if (bang < 0) {
      const colon = field.indexOf(":");
      if (colon < 0) name = field;
      else {
        name = field.slice(0, colon);
        spec = field.slice(colon + 1);
      }
    } else {
      name = field.slice(0, bang);
      field = field.slice(bang + 1);
      const colon = field.indexOf(":");
      if (colon < 0) conv = field;
      else {
        conv = field.slice(0, colon);
        spec = field.slice(colon + 1);
      }
    }
    let arg: Value | undefined;
    if (name === "") {
      if (manual)
        throw new EvalError(
          "format: cannot switch from manual field specification to automatic field numbering",
        );
      auto = true;
      if (index >= args.length) throw new EvalError("format: tuple index out of range");
      arg = args[index++];
    } else if (/^\d+$/.test(name)) {
      if (auto)
        throw new EvalError(
          "format: cannot switch from automatic field numbering to manual field specification",
        );
      manual = true;
      const num = Number(name);
      if (num >= args.length) throw new EvalError("format: tuple index out of range");
      arg = args[num];
    } else {
      for (const [k, v] of kwargs) if (k === name) arg = v;
      if (arg === undefined) {
        if (name.includes("."))
          throw new EvalError(`format: attribute syntax x.y is not supported in replacement fields: ${name}`);
        if (name.includes("["))
          throw new EvalError(`format: element syntax a[i] is not supported in replacement fields: ${name}`);
        if (name.includes("{")) throw new EvalError("format: nested replacement fields not supported");
        throw new EvalError(`format: keyword ${name} not found`);
      }
    }
    if (spec !== "") throw new EvalError(`format spec features not supported in replacement fields: ${spec}`);
    if (conv === "s") out += str(arg!);
    else if (conv === "r") out += repr(arg!);
    else throw new EvalError(`format: unknown conversion ${JSON.stringify(conv)}`);
  }
  return out;
}

hooks.percent = percent;
stringMethods.set("format", (_th, recv: string, args, kwargs) => strFormat(recv, args, kwargs));
