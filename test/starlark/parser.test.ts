import assert from "node:assert/strict";
import { test } from "node:test";
import { type ast, parseExpression, parseFile, StarlarkError, walk } from "../../src/starlark/index.js";

const syntaxError = (src: string): StarlarkError => {
  try {
    parseFile("t.star", src);
  } catch (e) {
    if (e instanceof StarlarkError) return e;
    throw e;
  }
  assert.fail("expected a syntax error");
};

test("parser: public AST for statements and expressions", () => {
  const f = parseFile(
    "t.star",
    'load("m.star", "a", b = "c")\ndef f(x, y = 1, *args, z, **kw):\n    return [i for i in x if i]\n',
  );
  assert.equal(f.stmts.length, 2);
  const load = f.stmts[0] as ast.LoadStmt;
  assert.equal(load.kind, "Load");
  assert.deepEqual(
    load.names.map((n) => [n.to.name, n.from]),
    [
      ["a", "a"],
      ["b", "c"],
    ],
  );
  const def = f.stmts[1] as ast.DefStmt;
  assert.deepEqual(
    def.params.map((p) => [p.kind, p.name]),
    [
      ["normal", "x"],
      ["default", "y"],
      ["star", "args"],
      ["normal", "z"],
      ["starstar", "kw"],
    ],
  );
  const ret = def.body[0] as ast.ReturnStmt;
  assert.equal(ret.value!.kind, "Comprehension");
});

test("parser: operator precedence and unary not", () => {
  const e = parseExpression("t", "not a == b + c * d or e") as ast.BinaryExpr;
  assert.equal(e.op, "or");
  const not = e.x as ast.UnaryExpr;
  assert.equal(not.op, "not");
  const eq = not.x as ast.BinaryExpr;
  assert.equal(eq.op, "==");
  assert.equal((eq.y as ast.BinaryExpr).op, "+");
  assert.equal(((eq.y as ast.BinaryExpr).y as ast.BinaryExpr).op, "*");
});

test("parser: walk visits every node in source order", () => {
  const f = parseFile("t.star", "x = f(a, k = lambda e: e.type)\n");
  const idents: string[] = [];
  walk(f, (n) => {
    if (n.kind === "Ident") idents.push(n.name);
  });
  assert.deepEqual(idents, ["x", "f", "a", "e"]);
});

test("parser: walk can skip a subtree", () => {
  const f = parseFile("t.star", "def f():\n    inner = 1\nouter = 2\n");
  const idents: string[] = [];
  walk(f, (n) => {
    if (n.kind === "Def") return false;
    if (n.kind === "Ident") idents.push(n.name);
  });
  assert.deepEqual(idents, ["outer"]);
});

test("parser: conditional expressions, slices, dict comprehensions, trailing commas", () => {
  assert.doesNotThrow(() =>
    parseFile(
      "t",
      "a = x if c else y\nb = s[1:2:3]\nc = {k: v for k, v in d.items()}\nd = (1, 2,)\nf(a, b,)\n",
    ),
  );
});

test("parser: syntax errors are positioned and worded like starlark-go", () => {
  const cases: [string, RegExp, number, number][] = [
    ["x = 1 +\n", /got newline, want primary expression/, 1, 8],
    ["a < b < c\n", /< does not associate with < \(use parens\)/, 1, 7],
    ["def pass(): pass\n", /not an identifier/, 1, 5],
    ["a, b, = 1, 2\n", /unparenthesized tuple with trailing comma/, 1, 5],
    ["f(1+2 = 3)\n", /keyword argument must have form name=expr/, 1, 7],
    ["[x for x in y z]\n", /got identifier, want ']', for, or if/, 1, 15],
    ["x = 1 if y\n", /conditional expression without else clause/, 1, 11],
    ["print(1, 2\n", /got end of file, want '\)'/, 2, 1],
    ["load(x)\n", /first operand of load statement must be a string literal/, 1, 6],
    ['load("m", x)\n', /load operand must be "x" or x="originalname"/, 1, 12],
    ["x not y\n", /got identifier, want in/, 1, 7],
  ];
  for (const [src, re, line, col] of cases) {
    const e = syntaxError(src);
    assert.equal(e.kind, "syntax");
    assert.match(e.msg, re, src);
    assert.deepEqual([e.pos!.line, e.pos!.col], [line, col], src);
  }
});

test("parser: StarlarkError.format shows file:line:col, the source line and a caret", () => {
  const e = syntaxError("x = 1\ny = (2 +\n");
  const text = e.format();
  assert.match(text, /^t\.star:3:1: got end of file, want primary expression/);
  const e2 = syntaxError("x = 1\ny = 2 +\n");
  assert.equal(e2.format(), "t.star:2:8: got newline, want primary expression\ny = 2 +\n       ^");
});

test("parser: absurdly deep nesting is a syntax error, not a JS RangeError", () => {
  const e = syntaxError("x = " + "(".repeat(20000) + "1" + ")".repeat(20000) + "\n");
  assert.match(e.msg, /nested too deeply/);
});

test("parser: the first syntax error is reported, not a lexical error further down", () => {
  const e = syntaxError('x = (1 +\ny = 2\nz = "abc\n');
  assert.match(e.msg, /^got '=', want '\)'/);
  assert.deepEqual([e.pos!.line, e.pos!.col], [2, 3]);
  // With no syntax error before it, the lexical error is the one reported.
  const lexical = syntaxError('x = 1\nz = "abc\n');
  assert.match(lexical.msg, /unexpected newline in string/);
  assert.deepEqual([lexical.pos!.line, lexical.pos!.col], [2, 5]);
});

test("parser: an unclosed bracket is reported where it stands, not where the enclosing list ends", () => {
  const body = Array.from({ length: 36 }, (_, i) => `    "item-${i}",\n`).join("");
  const src = `services = [\n    ("a", 1,\n${body}]\n`;
  const e = syntaxError(src);
  assert.deepEqual([e.pos!.line, e.pos!.col], [2, 5]);
  assert.match(
    e.msg,
    /^'\(' is not closed: the '\]' at 39:1 closes the '\[' of 1:12 \(got '\]', want '\)'\)$/,
  );
  // A closer that matches no open bracket is reported where it is, naming the bracket still open.
  const stray = syntaxError('x = {\n  "a": [1, 2),\n  "b": 3,\n}\n');
  assert.deepEqual([stray.pos!.line, stray.pos!.col], [2, 13]);
  assert.match(stray.msg, /^got '\)', want '\]' \(the '\[' at 2:8 is still open\)$/);
  // An error on a later line inside brackets names where they were opened.
  const later = syntaxError('cfg = {\n  "a": {"x": 1,\n  "b": 2,\n}\ny = 1\n');
  assert.deepEqual([later.pos!.line, later.pos!.col], [5, 1]);
  assert.match(later.msg, /^got identifier, want '\}' \(inside the '\{' opened at 1:7\)$/);
});
