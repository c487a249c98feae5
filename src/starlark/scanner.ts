// The scanner turns source text into tokens, with positions, INDENT/OUTDENT/NEWLINE from indentation
// (Go's 8-column tab stops, as starlark-go), and decoded literal values.
import { SourceFile, StarlarkError } from "./errors.js";

export type TokenKind =
  | "EOF"
  | "NEWLINE"
  | "INDENT"
  | "OUTDENT"
  | "IDENT"
  | "INT"
  | "FLOAT"
  | "STRING"
  | "BYTES"
  | "ERROR"
  | string; // keywords and operators are their own text

export interface Token {
  kind: TokenKind;
  line: number;
  col: number;
  /** IDENT name; STRING text; BYTES latin1 bytes; INT number|bigint; FLOAT number. */
  value?: string | number | bigint;
  /** Raw source text of literals (used by error messages). */
  raw?: string;
  /** The innermost bracket open where this token stands (for a closing bracket: the one it should close). */
  inside?: Token;
  /** A closing bracket that does not match `inside` but an opener further out: that opener. */
  closesOuter?: Token;
  /** An ERROR token: the lexical error met at this place (the parser raises it when it gets here). */
  error?: StarlarkError;
}

/** The closing bracket of each opening one. */
export const CLOSER: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}" };

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

/** The tokens of a file; throws the first lexical error. */
export function scan(file: SourceFile): Token[] {
  const toks = scanTokens(file);
  const last = toks[toks.length - 1]!;
  if (last.error) throw last.error;
  return toks;
}

/**
 * The tokens of a file up to its first lexical error, which ends the list as an ERROR token instead of
 * being thrown: the parser raises it only when it reaches that place, so a syntax error earlier in the
 * file is reported first (starlark-go's parser pulls tokens one at a time, with the same effect).
 */
export function scanTokens(file: SourceFile): Token[] {
  const toks: Token[] = [];
  try {
    scanInto(file, toks);
  } catch (e) {
    if (!(e instanceof StarlarkError)) throw e;
    toks.push({ kind: "ERROR", line: e.pos?.line ?? 1, col: e.pos?.col ?? 1, error: e });
  }
  return toks;
}

function scanInto(file: SourceFile, toks: Token[]): void {
  const src = file.text;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const open: Token[] = []; // open brackets, innermost last; newlines inside brackets are not tokens
  const indents = [0];
  let atLineStart = true;
  const err = (msg: string, l = line, c = i - lineStart + 1): never => {
    throw new StarlarkError("syntax", msg, { file, line: l, col: c });
  };
  // Every token is made with the same fields in the same order, so they share one shape: the parser's
  // many reads of a token's fields then stay monomorphic, which matters most in a cold process.
  const push = (kind: TokenKind, l: number, c: number, value?: string | number | bigint, raw?: string) => {
    const t: Token = {
      kind,
      line: l,
      col: c,
      value,
      raw,
      inside: open.length > 0 ? open[open.length - 1] : undefined,
      closesOuter: undefined,
      error: undefined,
    };
    toks.push(t);
    return t;
  };

  while (true) {
    const depth = open.length;
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
    if ((op === ")" || op === "]" || op === "}") && depth === 0) err(`unexpected '${op}'`);
    i += op.length;
    const t = push(op, line, startCol);
    if (op in CLOSER) open.push(t);
    else if (op === ")" || op === "]" || op === "}") closeBracket(t);
  }
  if (
    open.length === 0 &&
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

  /**
   * Pops the bracket a closer closes. A closer that does not match the innermost opener but one further
   * out is remembered with that opener (the brackets in between are the unclosed ones); the parser
   * fails on it either way, and names the unclosed bracket where it stands.
   */
  function closeBracket(t: Token): void {
    const top = open[open.length - 1]!;
    if (CLOSER[top.kind] === t.kind) {
      open.pop();
      return;
    }
    for (let k = open.length - 2; k >= 0; k--) {
      if (CLOSER[open[k]!.kind] === t.kind) {
        t.closesOuter = open[k];
        open.length = k;
        return;
      }
    }
    open.pop();
  }

  /**
   * A number ends where starlark-go's scanner ends it: at the first character its form cannot take.
   * A keyword may follow at once (`0in x`, `1if c else 2`, `1or 2`); any other word right after a
   * number is an error here, naming the literal (`1_000`: Starlark has no digit separators).
   */
  function scanNumber(startCol: number): void {
    const start = i;
    let fraction = false;
    let exponent = false;
    const prefix = src[i] === "0" ? (src[i + 1] ?? "").toLowerCase() : "";
    if (prefix === "x" || prefix === "o" || prefix === "b") {
      const base = { x: "hex", o: "octal", b: "binary" }[prefix];
      const digit = prefix === "x" ? /[0-9a-fA-F]/ : prefix === "o" ? /[0-7]/ : /[01]/;
      i += 2;
      const digits = i;
      while (i < src.length && digit.test(src[i]!)) i++;
      if (i === digits) {
        const word = src.slice(start, identEnd(i));
        err(`invalid ${base} literal ${word}${separatorHint()}`, line, startCol);
      }
      const text = src.slice(start, i);
      checkFollower(`${base} literal`, text, startCol);
      push("INT", line, startCol, normBig(BigInt(text.toLowerCase())), text);
      return;
    }
    if (src[i] === ".") fraction = true;
    else {
      while (i < src.length && isDigit(src[i]!)) i++;
      if (src[i] === ".") fraction = true;
      else if (src[i] === "e" || src[i] === "E") exponent = true;
    }
    if (fraction) {
      i++;
      while (i < src.length && isDigit(src[i]!)) i++;
      if (src[i] === "e" || src[i] === "E") exponent = true;
    }
    if (exponent) {
      i++;
      if (src[i] === "+" || src[i] === "-") i++;
      const digits = i;
      while (i < src.length && isDigit(src[i]!)) i++;
      if (i === digits) err(`invalid float literal ${src.slice(start, i)}${separatorHint()}`, line, startCol);
    }
    const text = src.slice(start, i);
    if (fraction || exponent) {
      checkFollower("float literal", text, startCol);
      push("FLOAT", line, startCol, Number(text), text);
      return;
    }
    checkFollower("int literal", text, startCol);
    if (text.length > 1 && text[0] === "0") {
      if (/^0+$/.test(text)) {
        push("INT", line, startCol, 0, text);
        return;
      }
      if (/^[0-7]+$/.test(text))
        err(`obsolete form of octal literal; use 0o${text.replace(/^0+/, "")}`, line, startCol);
      err(`invalid int literal ${text} (a decimal int does not start with 0)`, line, startCol);
    }
    push("INT", line, startCol, normBig(BigInt(text)), text);
  }

  /** Where a run of identifier characters starting at `from` ends. */
  function identEnd(from: number): number {
    let j = from;
    while (j < src.length && isIdentPart(src[j]!)) j++;
    return j;
  }

  /** A number may be followed at once by a keyword, but not by any other word. */
  function checkFollower(what: string, text: string, startCol: number): void {
    const end = identEnd(i);
    if (end === i || KEYWORDS.has(src.slice(i, end))) return;
    const word = text + src.slice(i, end);
    err(`invalid ${what} ${word}${separatorHint()}`, line, startCol);
  }

  /** `1_000`, `0x_1`: an underscore right after the digits read so far. */
  function separatorHint(): string {
    return src[i] === "_" ? ": Starlark has no digit separators (_)" : "";
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
