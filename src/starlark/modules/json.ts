// The json module (as starlark-go's lib/json): encode, decode, indent, encode_indent.
import { unpackArgs } from "../args.js";
import { attrNames, getAttrOrUndefined } from "../attrs.js";
import { forEach, isIterable } from "../ops.js";
import {
  Builtin,
  Dict,
  EvalError,
  Float,
  List,
  Module,
  StarObject,
  type Value,
  typeName,
  formatFloatG,
} from "../values.js";

// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\<>&\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

function quoteJSON(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c < 0x20) {
      if (ch === "\n") out += "\\n";
      else if (ch === "\t") out += "\\t";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\b") out += "\\b";
      else if (ch === "\f") out += "\\f";
      else out += "\\u" + c.toString(16).padStart(4, "0");
    } else if (c === 0x2028 || c === 0x2029) out += "\\u" + c.toString(16);
    else if (c >= 0xd800 && c < 0xe000) out += "\ufffd";
    else if (ch === "<" || ch === ">" || ch === "&") out += "\\u00" + c.toString(16);
    else out += ch;
  }
  return out + '"';
}

function encodeFloat(f: number): string {
  if (!Number.isFinite(f)) throw new EvalError(`cannot encode non-finite float ${formatFloatG(f)}`);
  return formatFloatG(f);
}

export function encode(x: Value): string {
  const parts: string[] = [];
  const path = new Set<unknown>();
  const enc = (v: Value): void => {
    if (v === null) parts.push("null");
    else if (v === true) parts.push("true");
    else if (v === false) parts.push("false");
    else if (typeof v === "number" || typeof v === "bigint") parts.push(v.toString());
    else if (typeof v === "string") parts.push(quoteJSON(v));
    else if (v instanceof Float) parts.push(encodeFloat(v.v));
    else {
      if (path.has(v)) throw new EvalError("cycle in JSON structure");
      path.add(v);
      try {
        if (v instanceof Dict) {
          const entries = [...v.map.values()];
          for (const e of entries)
            if (typeof e.k !== "string") throw new EvalError(`dict has ${typeName(e.k)} key, want string`);
          entries.sort((a, b) =>
            (a.k as string) < (b.k as string) ? -1 : (a.k as string) > (b.k as string) ? 1 : 0,
          );
          parts.push("{");
          entries.forEach((e, i) => {
            if (i > 0) parts.push(",");
            parts.push(quoteJSON(e.k as string), ":");
            try {
              enc(e.v);
            } catch (err) {
              throw wrap(err, `in dict key ${quoteJSON(e.k as string)}`);
            }
          });
          parts.push("}");
        } else if (v instanceof List || Array.isArray(v)) {
          const a = v instanceof List ? v.elems : v;
          const what = v instanceof List ? "list" : "tuple";
          parts.push("[");
          a.forEach((e, i) => {
            if (i > 0) parts.push(",");
            try {
              enc(e);
            } catch (err) {
              throw wrap(err, `at ${what} index ${i}`);
            }
          });
          parts.push("]");
        } else if (v instanceof StarObject && v.attrNames && !(v instanceof Builtin)) {
          const names = [...attrNames(v)].sort();
          parts.push("{");
          names.forEach((n, i) => {
            if (i > 0) parts.push(",");
            parts.push(quoteJSON(n), ":");
            try {
              enc(getAttrOrUndefined(v, n) ?? null);
            } catch (err) {
              throw wrap(err, `in field .${n}`);
            }
          });
          parts.push("}");
        } else if (isIterable(v)) {
          parts.push("[");
          let i = 0;
          forEach(v, (e) => {
            if (i++ > 0) parts.push(",");
            enc(e);
          });
          parts.push("]");
        } else throw new EvalError(`cannot encode ${typeName(v)} as JSON`);
      } finally {
        path.delete(v);
      }
    }
  };
  enc(x);
  return parts.join("");
}

function wrap(err: unknown, ctx: string): unknown {
  if (err instanceof EvalError) return new EvalError(`${ctx}: ${err.message}`);
  return err;
}

export function decode(s: string): Value {
  let i = 0;
  const fail = (msg: string): never => {
    throw new EvalError(msg);
  };
  const ws = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++;
  };
  const charDesc = (c: string) => `'${c === "'" ? "\\'" : c}'`;
  const value = (depth: number): Value => {
    if (depth > 1000) fail("nesting too deep");
    ws();
    if (i >= s.length) fail("unexpected end of file");
    const c = s[i]!;
    if (c === "n" && s.startsWith("null", i)) {
      i += 4;
      return null;
    }
    if (c === "t" && s.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (c === "f" && s.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (c === '"') return str();
    if (c === "-" || (c >= "0" && c <= "9")) return num();
    if (c === "[") {
      i++;
      const out: Value[] = [];
      ws();
      if (s[i] === "]") {
        i++;
        return new List(out);
      }
      while (true) {
        out.push(value(depth + 1));
        ws();
        if (i >= s.length) fail("unexpected end of file");
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "]") {
          i++;
          return new List(out);
        }
        fail(`at offset ${i}, in array, got ${charDesc(s[i]!)}, want ',' or ']'`);
      }
    }
    if (c === "{") {
      i++;
      const d = new Dict();
      ws();
      if (s[i] === "}") {
        i++;
        return d;
      }
      while (true) {
        ws();
        if (i >= s.length) fail("unexpected end of file");
        if (s[i] !== '"') fail(`at offset ${i}, unexpected character ${charDesc(s[i]!)}`);
        const k = str();
        ws();
        if (i >= s.length) fail("unexpected end of file");
        if (s[i] !== ":") fail(`at offset ${i}, after object key, got ${charDesc(s[i]!)}, want ':'`);
        i++;
        const v = value(depth + 1);
        if (d.map.has(k)) fail(`at offset ${i}, duplicate key ${quoteJSON(k)}`);
        d.set(k, v);
        ws();
        if (i >= s.length) fail("unexpected end of file");
        if (s[i] === ",") {
          i++;
          continue;
        }
        if (s[i] === "}") {
          i++;
          return d;
        }
        fail(`at offset ${i}, in object, got ${charDesc(s[i]!)}, want ',' or '}'`);
      }
    }
    return fail(`at offset ${i}, unexpected character ${charDesc(c)}`);
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = "";
    while (true) {
      if (i >= s.length) fail(`at offset ${start}, unclosed string literal`);
      const c = s[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c < " ") fail(`at offset ${i}, control character in string literal`);
      if (c === "\\") {
        const e = s[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === "u") {
          const h = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail(`at offset ${i}, invalid escape sequence \\u${h}`);
          let cu = parseInt(h, 16);
          i += 6;
          if (cu >= 0xd800 && cu < 0xdc00 && s[i] === "\\" && s[i + 1] === "u") {
            const h2 = s.slice(i + 2, i + 6);
            const lo = parseInt(h2, 16);
            if (/^[0-9a-fA-F]{4}$/.test(h2) && lo >= 0xdc00 && lo < 0xe000) {
              out += String.fromCharCode(cu, lo);
              i += 6;
              continue;
            }
          }
          if (cu >= 0xd800 && cu < 0xe000) cu = 0xfffd;
          out += String.fromCharCode(cu);
          continue;
        }
        fail(`at offset ${i}, invalid escape sequence \\${e ?? ""} in string`);
      }
      out += c;
      i++;
    }
  };
  const num = (): Value => {
    const start = i;
    while (i < s.length && /[0-9eE.+-]/.test(s[i]!)) i++;
    const t = s.slice(start, i);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t)) fail(`invalid number: ${t}`);
    if (/^-?\d+$/.test(t)) {
      const b = BigInt(t);
      return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
    }
    const f = Number(t);
    if (!Number.isFinite(f)) fail(`invalid number: ${t}`);
    return new Float(f);
  };
  const v = value(0);
  ws();
  if (i < s.length) fail(`at offset ${i}, unexpected character ${charDesc(s[i]!)} after value`);
  return v;
}

export function indent(s: string, prefix: string, ind: string): string {
  // Re-indent compact or spaced JSON text.
  try {
    JSON.parse(s);
  } catch (e) {
    throw new EvalError(`invalid character: ${(e as Error).message}`);
  }
  let out = "";
  let level = 0;
  let i = 0;
  const nl = () => {
    out += "\n" + prefix + ind.repeat(level);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      out += s.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "{" || c === "[") {
      // empty container stays compact
      let j = i + 1;
      while (j < s.length && /\s/.test(s[j]!)) j++;
      if (s[j] === (c === "{" ? "}" : "]")) {
        out += c + s[j];
        i = j + 1;
        continue;
      }
      out += c;
      level++;
      nl();
      i++;
      continue;
    }
    if (c === "}" || c === "]") {
      level--;
      nl();
      out += c;
      i++;
      continue;
    }
    if (c === ",") {
      out += ",";
      nl();
      i++;
      continue;
    }
    if (c === ":") {
      out += ": ";
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const mk = (name: string, f: (a: Value[], k: [string, Value][]) => Value) =>
  new Builtin(`json.${name}`, (_th, a, k) => {
    try {
      return f(a, k);
    } catch (e) {
      if (e instanceof EvalError && !e.message.startsWith(`json.${name}: `))
        throw new EvalError(`json.${name}: ${e.message}`);
      throw e;
    }
  });

const wantStr = (v: Value | undefined, dflt: string): string => {
  if (v === undefined) return dflt;
  if (typeof v !== "string") throw new EvalError(`got ${typeName(v)}, want string`);
  return v;
};

export function jsonModule(): Module {
  return new Module(
    "json",
    new Map<string, Value>([
      [
        "encode",
        mk("encode", (a, k) => {
          const [x] = unpackArgs("encode", a, k, ["x"]);
          return encode(x!);
        }),
      ],
      [
        "decode",
        mk("decode", (a, k) => {
          for (const [name] of k)
            if (name !== "default")
              throw new EvalError(`decode: unexpected keyword argument ${name}; valid: default`);
          if (a.length < 1) throw new EvalError("missing argument for x");
          const x = a[0]!;
          const [dflt] = unpackArgs("decode", a.slice(1), k, ["default?"]);
          if (typeof x !== "string") throw new EvalError(`for parameter x: got ${typeName(x!)}, want string`);
          if (dflt === undefined) return decode(x);
          try {
            return decode(x);
          } catch {
            return dflt;
          }
        }),
      ],
      [
        "indent",
        mk("indent", (a, k) => {
          const [x, prefix, ind] = unpackArgs("indent", a, k, ["str", "*", "prefix?", "indent?"]);
          if (typeof x !== "string")
            throw new EvalError(`for parameter str: got ${typeName(x!)}, want string`);
          return indent(x, wantStr(prefix, ""), wantStr(ind, "\t"));
        }),
      ],
      [
        "encode_indent",
        mk("encode_indent", (a, k) => {
          if (a.length > 1) throw new EvalError(`got ${a.length} arguments, want 1`);
          const [x, prefix, ind] = unpackArgs("encode_indent", a, k, ["x", "*", "prefix?", "indent?"]);
          return indent(encode(x!), wantStr(prefix, ""), wantStr(ind, "\t"));
        }),
      ],
    ]),
  );
}
