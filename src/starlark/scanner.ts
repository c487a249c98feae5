// The scanner turns source text into tokens, with positions, INDENT/OUTDENT/NEWLINE from indentation
// (Go's 8-column tab stops, as starlark-go), and decoded literal values.
import { SourceFile, StarlarkError } from "./errors.js";

export type TokenKind =
  "EOF" | "NEWLINE" | "INDENT" | "OUTDENT" | "IDENT" | "INT" | "FLOAT" | "STRING" | "BYTES" | string; // keywords and operators are their own text

export interface Token {
  kind: TokenKind;
  line: number;
  col: number;
  /** IDENT name; STRING text; BYTES latin1 bytes; INT number|bigint; FLOAT number. */
  value?: string | number | bigint;
  /** Raw source text of literals (used by error messages). */
  raw?: string;
}

export const KEYWORDS = new Set([
  "and",
  "break",
  "continue",
  "def",
  "elif",
  "else",
  "for",
  "if",
  "in",
  "lambda",
  "load",
  "not",
  "or",
  "pass",
  "return",
  "while",
  "import",
]);

// Reserved words of Python that Starlark rejects as identifiers.
const RESERVED = new Set([
  "as",

  "async",
  "await",
  "class",
  "del",
  "except",
  "finally",
  "from",
  "global",
  "is",
  "nonlocal",
  "raise",
  "try",
  "with",
  "yield",
]);

// Operator characters that never start a longer operator.
const SINGLE = new Set(["(", ")", "[", "]", "{", "}", ",", ".", ";", ":", "~"]);
// Two-character operators ending in "=" (three-character ones are //= <<= >>=).
const OPS2 = new Set(["+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "==", "!=", "<=", ">="]);
const OPS1 = "+-*/%&|^~<>()[]{},.;:=";

export function scan(file: SourceFile): Token[] {
  const src = file.text;
  const toks: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0; // bracket nesting
  const indents = [0];
  let atLineStart = true;
  const err = (msg: string, l = line, c = i - lineStart + 1): never => {
    throw new StarlarkError("syntax", msg, { file, line: l, col: c });
  };
  const push = (kind: TokenKind, l: number, c: number, value?: string | number | bigint, raw?: string) => {
    toks.push({ kind, line: l, col: c, value, raw });
  };

  while (true) {
    if (atLineStart && depth === 0) {
      // measure indentation
      let col = 0;
      let j = i;
      while (j < src.length) {
        const ch = src[j];
        if (ch === " ") col++;
        else if (ch === "\t") col = col - (col % 8) + 8;
        else if (ch === "\f") col = 0;
        else break;
        j++;
      }
      const ch = src[j];
      if (ch === "\n" || ch === "#" || ch === "\r" || j >= src.length) {
        // blank or comment-only line: no indentation change
        i = j;
        if (ch === "#") while (i < src.length && src[i] !== "\n") i++;
        if (i >= src.length) break;
        i++; // newline
        line++;
        lineStart = i;
        continue;
      }
      if (ch === "\\" && src[j + 1] === "\n") {
        i = j;
        atLineStart = false;
      } else {
        i = j;
        atLineStart = false;
        const top = indents[indents.length - 1]!;
        if (col > top) {
          indents.push(col);
          push("INDENT", line, i - lineStart + 1);
        } else if (col < top) {
          while (col < indents[indents.length - 1]!) {
            indents.pop();
            push("OUTDENT", line, i - lineStart + 1);
          }
          if (col !== indents[indents.length - 1])
            err("unindent does not match any outer indentation level", line, 1);
        }
      }
    }
    if (i >= src.length) break;
    const c = src[i]!;
    const startCol = i - lineStart + 1;
    if (c === "\n") {
      if (depth === 0) push("NEWLINE", line, startCol);
      i++;
      line++;
      lineStart = i;
      atLineStart = depth === 0;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
      while (src.charCodeAt(i) === 32) i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "\\") {
      if (src[i + 1] === "\n") {
        i += 2;
        line++;
        lineStart = i;
        continue;
      }
      if (src[i + 1] === "\r" && src[i + 2] === "\n") {
        i += 3;
        line++;
        lineStart = i;
        continue;
      }
      err("unexpected input character '\\'");
    }
    // identifiers, keywords, string prefixes
    const cc = src.charCodeAt(i);
    if ((cc >= 97 && cc <= 122) || (cc >= 65 && cc <= 90) || cc === 95 || (cc > 0x7f && isIdentStart(c))) {
      let j = i + 1;
      for (; j < src.length; j++) {
        const k = src.charCodeAt(j);
        if ((k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || (k >= 48 && k <= 57)) continue;
        if (k > 0x7f && isIdentPart(src[j]!)) continue;
        break;
      }
      const word = src.slice(i, j);
      const next = src[j];
      if ((next === '"' || next === "'") && /^(r|b|rb|br)$/.test(word)) {
        i = j;
        scanString(word.includes("r"), word.includes("b"), line, startCol);
        continue;
      }
      i = j;
      if (KEYWORDS.has(word)) push(word, line, startCol);
      else if (RESERVED.has(word)) err(`keyword ${word} is reserved`, line, startCol);
      else push("IDENT", line, startCol, word);
      continue;
    }
    if ((cc >= 48 && cc <= 57) || (cc === 46 && isDigit(src[i + 1] ?? ""))) {
      scanNumber(startCol);
      continue;
    }
    if (c === '"' || c === "'") {
      scanString(false, false, line, startCol);
      continue;
    }
    let op = "";
    const c1 = src[i + 1];
    if (c1 !== "=" && c1 !== c && SINGLE.has(c)) op = c;
    else if (c1 === "=" && src[i + 2] !== "=" && OPS2.has(c + "=")) op = c + "=";
    else if (c1 === c && (c === "/" || c === "<" || c === ">" || c === "*")) {
      op = src[i + 2] === "=" && c !== "*" ? c + c + "=" : c + c;
    } else if (OPS1.includes(c)) op = c;
    if (!op && c1 === "=" && OPS2.has(c + "=")) op = c + "=";
    if (!op && c === "!") err("unexpected input character '!'");
    if (!op) err(`unexpected input character ${JSON.stringify(c)}`);
    if (op === "(" || op === "[" || op === "{") depth++;
    if (op === ")" || op === "]" || op === "}") {
      if (depth === 0) err(`unexpected '${op}'`);
      depth--;
    }
    i += op.length;
    push(op, line, startCol);
  }
  if (
    depth === 0 &&
    toks.length > 0 &&
    toks[toks.length - 1]!.kind !== "NEWLINE" &&
    toks[toks.length - 1]!.kind !== "OUTDENT"
  )
    push("NEWLINE", line, i - lineStart + 1);
  while (indents.length > 1) {
    indents.pop();
    push("OUTDENT", line, i - lineStart + 1);
  }
  push("EOF", line, i - lineStart + 1);
  return toks;

  function scanNumber(startCol: number): void {
    const start = i;
    const c0 = src[i]!;
    const c1 = (src[i + 1] ?? "").toLowerCase();
    if (c0 === "0" && (c1 === "x" || c1 === "o" || c1 === "b")) {
      i += 2;
      const base = c1 === "x" ? 16 : c1 === "o" ? 8 : 2;
      const digStart = i;
      while (i < src.length && /[0-9a-zA-Z_]/.test(src[i]!)) i++;
      const digits = src.slice(digStart, i).replace(/_/g, "");
      const re = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
      if (!re.test(digits))
        err(`invalid ${base === 16 ? "hex" : base === 8 ? "octal" : "binary"} literal`, line, startCol);
      const big = BigInt((c1 === "x" ? "0x" : c1 === "o" ? "0o" : "0b") + digits);
      push("INT", line, startCol, normBig(big), src.slice(start, i));
      return;
    }
    let isFloat = false;
    while (i < src.length && (isDigit(src[i]!) || src[i] === "_")) i++;
    if (src[i] === ".") {
      isFloat = true;
      i++;
      while (i < src.length && isDigit(src[i]!)) i++;
    }
    if (src[i] === "e" || src[i] === "E") {
      const save = i;
      i++;
      if (src[i] === "+" || src[i] === "-") i++;
      if (isDigit(src[i] ?? "")) {
        isFloat = true;
        while (i < src.length && isDigit(src[i]!)) i++;
      } else i = save;
    }
    const text = src.slice(start, i);
    if (i < src.length && isIdentPart(src[i]!)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      err(`invalid ${isFloat ? "float" : "int"} literal ${src.slice(start, i)}`, line, startCol);
    }
    if (isFloat) {
      const f = Number(text.replace(/_/g, ""));
      push("FLOAT", line, startCol, f, text);
      return;
    }
    const digits = text.replace(/_/g, "");
    if (digits.length > 1 && digits[0] === "0") {
      if (/^0+$/.test(digits)) {
        push("INT", line, startCol, 0, text);
        return;
      }
      err(`obsolete form of octal literal; use 0o${digits.replace(/^0+/, "")}`, line, startCol);
    }
    push("INT", line, startCol, normBig(BigInt(digits)), text);
  }

  function scanString(raw: boolean, bytes: boolean, l: number, startCol: number): void {
    const q = src[i]!;
    const triple = src[i + 1] === q && src[i + 2] === q;
    const start = i;
    i += triple ? 3 : 1;
    let out = ""; // for strings: JS text; for bytes: latin1 bytes

    while (true) {
      if (i >= src.length) err(triple ? "unexpected EOF in string" : "unexpected EOF in string", l, startCol);
      const ch = src[i]!;
      if (ch === q) {
        if (!triple) {
          i++;
          break;
        }
        if (src[i + 1] === q && src[i + 2] === q) {
          i += 3;
          break;
        }
        out += ch;
        i++;
        continue;
      }
      if (ch === "\n") {
        if (!triple) err("unexpected newline in string", l, startCol);
        out += "\n";
        i++;
        line++;
        lineStart = i;
        continue;
      }
      if (ch === "\r" && src[i + 1] === "\n") {
        i++;
        continue;
      }
      if (ch !== "\\") {
        // copy a run of ordinary characters
        let j = i + 1;
        while (j < src.length && src[j] !== q && src[j] !== "\\" && src[j] !== "\n" && src[j] !== "\r") j++;
        out += bytes ? toLatin1Utf8(src.slice(i, j)) : src.slice(i, j);
        i = j;
        continue;
      }
      // escape
      const e = src[i + 1];
      if (e === undefined) err("unexpected EOF in string", l, startCol);
      if (raw) {
        if (e === "\n") {
          out += "\\\n";
          i += 2;
          line++;
          lineStart = i;
          continue;
        }
        // in raw strings a backslash stays, and quotes after it don't end the string
        out += "\\";
        if (e === q || e === "\\") {
          out += e;
          i += 2;
        } else i++;
        continue;
      }
      const escCol = i - lineStart + 1;
      i += 2;
      switch (e) {
        case "\n":
          line++;
          lineStart = i;
          break;
        case "\r":
          if (src[i] === "\n") i++;
          line++;
          lineStart = i;
          break;
        case "a":
          out += "\x07";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "v":
          out += "\v";
          break;
        case "\\":
          out += "\\";
          break;
        case "'":
          out += "'";
          break;
        case '"':
          out += '"';
          break;
        case "0":
        case "1":
        case "2":
        case "3":
        case "4":
        case "5":
        case "6":
        case "7": {
          let j = i - 1;
          let n = 0;
          let k = 0;
          while (k < 3 && j < src.length && /[0-7]/.test(src[j]!)) {
            n = n * 8 + Number(src[j]);
            j++;
            k++;
          }
          i = j;
          if (n > 255) err(`invalid escape sequence \\${src.slice(i - k, i)}`, line, escCol);
          if (!bytes && n > 127)
            err(
              `non-ASCII octal escape \\${src.slice(i - k, i)} (use \\u${n.toString(16).padStart(4, "0").toUpperCase()} for the UTF-8 encoding of U+${n.toString(16).padStart(4, "0").toUpperCase()})`,
              line,
              escCol,
            );
          out += String.fromCharCode(n);
          break;
        }
        case "x": {
          const h = src.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(h)) err(`invalid escape sequence \\x${h}`, line, escCol);
          i += 2;
          const n = parseInt(h, 16);
          if (!bytes && n > 127)
            err(
              `non-ASCII hex escape \\x${h} (use \\u${n.toString(16).padStart(4, "0").toUpperCase()} for the UTF-8 encoding of U+${n.toString(16).padStart(4, "0").toUpperCase()})`,
              line,
              escCol,
            );
          out += String.fromCharCode(n);
          break;
        }
        case "u":
        case "U": {
          const len = e === "u" ? 4 : 8;
          const h = src.slice(i, i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(h))
            err(`invalid escape sequence \\${e}${h}`, line, escCol);
          i += len;
          const n = parseInt(h, 16);
          if (n > 0x10ffff) err(`code point out of range: \\${e}${h} (max \\U0010ffff)`, line, escCol);
          if (n >= 0xd800 && n < 0xe000) err(`invalid Unicode code point \\${e}${h}`, line, escCol);
          out += bytes ? toLatin1Utf8(String.fromCodePoint(n)) : String.fromCodePoint(n);
          break;
        }
        default:
          err(`invalid escape sequence \\${e}`, line, escCol);
      }
    }
    push(bytes ? "BYTES" : "STRING", l, startCol, out, src.slice(start, i));
  }
}

function normBig(b: bigint): number | bigint {
  return b <= 9007199254740991n ? Number(b) : b;
}
function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}
function isIdentStart(c: string): boolean {
  const k = c.charCodeAt(0);
  if (k < 0x80) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95;
  return /\p{L}/u.test(c);
}
function isIdentPart(c: string): boolean {
  const k = c.charCodeAt(0);
  if (k < 0x80) return (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95 || (k >= 48 && k <= 57);
  return /[\p{L}\p{N}\p{Mn}]/u.test(c);
}

function toLatin1Utf8(t: string): string {
  return Buffer.from(t, "utf8").toString("latin1");
}
