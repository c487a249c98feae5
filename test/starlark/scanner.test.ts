import assert from "node:assert/strict";
import { test } from "node:test";
import { SourceFile, StarlarkError } from "../../src/starlark/index.js";
import { scan } from "../../src/starlark/scanner.js";

const kinds = (src: string) => scan(new SourceFile("t.star", src)).map((t) => t.kind);
const values = (src: string) =>
  scan(new SourceFile("t.star", src))
    .filter((t) => t.value !== undefined)
    .map((t) => t.value);
const scanError = (src: string): StarlarkError => {
  try {
    scan(new SourceFile("t.star", src));
  } catch (e) {
    if (e instanceof StarlarkError) return e;
    throw e;
  }
  assert.fail("expected a scan error");
};

test("scanner: tokens carry 1-based line and column", () => {
  const toks = scan(new SourceFile("t.star", "x = 1\n  # c\ny"));
  const y = toks.find((t) => t.value === "y")!;
  assert.deepEqual([y.line, y.col], [3, 1]);
  const one = toks.find((t) => t.value === 1)!;
  assert.deepEqual([one.line, one.col], [1, 5]);
});

test("scanner: indentation produces INDENT/OUTDENT; blank and comment lines do not", () => {
  assert.deepEqual(kinds("if x:\n    a\n\n    # c\n    b\nc\n"), [
    "if",
    "IDENT",
    ":",
    "NEWLINE",
    "INDENT",
    "IDENT",
    "NEWLINE",
    "IDENT",
    "NEWLINE",
    "OUTDENT",
    "IDENT",
    "NEWLINE",
    "EOF",
  ]);
});

test("scanner: tabs advance to the next multiple of 8 columns (Go's rule), so tab and 8 spaces match", () => {
  assert.doesNotThrow(() => scan(new SourceFile("t", "if x:\n\ta\n        b\n")));
});

test("scanner: newlines inside brackets are ignored", () => {
  assert.deepEqual(kinds("f(1,\n  2)\n"), ["IDENT", "(", "INT", ",", "INT", ")", "NEWLINE", "EOF"]);
});

test("scanner: int literals in every base, with big values as bigint", () => {
  assert.deepEqual(values("0 7 0x1F 0o17 0b101 123456789012345678901234567890"), [
    0,
    7,
    31,
    15,
    5,
    123456789012345678901234567890n,
  ]);
});

test("scanner: float literals", () => {
  assert.deepEqual(values("1.5 1. .5 1e3 2.5E-2"), [1.5, 1, 0.5, 1000, 0.025]);
  assert.deepEqual(kinds("1e3")[0], "FLOAT");
});

test("scanner: string escapes, raw strings, triple quotes", () => {
  assert.deepEqual(values(String.raw`"a\tb\n\x41\101\u00e9\U0001F600" 'q\'s'`), [
    "a\tb\nAA\u00e9\u{1F600}",
    "q's",
  ]);
  assert.deepEqual(values(String.raw`r"a\nb" r'\d+'`), ["a\\nb", "\\d+"]);
  assert.deepEqual(values('"""line1\nline2""" \'\'\'x"y\'\'\''), ["line1\nline2", 'x"y']);
});

test("scanner: bytes literals hold raw bytes; non-ASCII text is UTF-8 encoded", () => {
  const toks = scan(new SourceFile("t", String.raw`b"\xff\x00A" b"é"`));
  assert.deepEqual(
    toks.filter((t) => t.kind === "BYTES").map((t) => t.value),
    ["\xff\x00A", "\xc3\xa9"],
  );
});

test("scanner: errors name the position and the problem", () => {
  const cases: [string, RegExp, number, number][] = [
    ['x = "abc', /unexpected (newline|EOF) in string/, 1, 5],
    ['"\\q"', /invalid escape sequence \\q/, 1, 2],
    ["x = 0123", /obsolete form of octal literal; use 0o123/, 1, 5],
    ["x = $", /unexpected input character/, 1, 5],
    ["if x:\n    a\n  b\n", /unindent does not match any outer indentation level/, 3, 1],
    ['"\\x80"', /non-ASCII hex escape/, 1, 2],
    ["x = 1)", /unexpected '\)'/, 1, 6],
    ["class = 1", /keyword class is reserved/, 1, 1],
  ];
  for (const [src, re, line, col] of cases) {
    const e = scanError(src);
    assert.equal(e.kind, "syntax");
    assert.match(e.msg, re, src);
    assert.deepEqual([e.pos!.line, e.pos!.col], [line, col], src);
  }
});

// starlark-go ends a number at the first character its form cannot take, so a keyword may follow at once.
test("scanner: a number followed at once by a keyword is two tokens (as in starlark-go)", () => {
  assert.deepEqual(kinds("0in [1]"), ["INT", "in", "[", "INT", "]", "NEWLINE", "EOF"]);
  assert.deepEqual(kinds("1if x else 2"), ["INT", "if", "IDENT", "else", "INT", "NEWLINE", "EOF"]);
  assert.deepEqual(kinds("1or 2"), ["INT", "or", "INT", "NEWLINE", "EOF"]);
  assert.deepEqual(kinds("1.5and 0x1fin 0b1not"), [
    "FLOAT",
    "and",
    "INT",
    "in",
    "INT",
    "not",
    "NEWLINE",
    "EOF",
  ]);
  assert.deepEqual(values("0x1fin 0b1not"), [31, 1]);
});

test("scanner: digit separators and other words glued to a number are errors (as in starlark-go)", () => {
  const cases: [string, RegExp][] = [
    ["x = 1_000", /^invalid int literal 1_000: Starlark has no digit separators \(_\)$/],
    ["x = 1__0", /^invalid int literal 1__0: Starlark has no digit separators/],
    ["x = 0x_1", /^invalid hex literal 0x_1: Starlark has no digit separators/],
    ["x = 1.0_1", /^invalid float literal 1.0_1: Starlark has no digit separators/],
    ["x = 0b_1", /^invalid binary literal 0b_1: Starlark has no digit separators/],
    ["x = 12abc", /^invalid int literal 12abc$/],
    ["x = 0or", /^invalid octal literal 0or$/],
    ["x = 1e", /^invalid float literal 1e$/],
    ["x = 1else", /^invalid float literal 1e$/],
    ["x = 012834", /^invalid int literal 012834/],
  ];
  for (const [src, re] of cases) {
    const e = scanError(src);
    assert.match(e.msg, re, src);
    assert.deepEqual([e.pos!.line, e.pos!.col], [1, 5], src);
  }
});
