import assert from "node:assert/strict";
import { test } from "node:test";
import { checkFile, type ast, StarlarkError, STRICT_OPTIONS } from "../../src/starlark/index.js";
import { failsWith, out, strictWith } from "./helpers.js";

const resolveErrors = (src: string, options = {}): StarlarkError[] => {
  try {
    checkFile("t.star", src, { options, predeclared: { service: null } });
  } catch (e) {
    if (e instanceof StarlarkError) return e.all;
    throw e;
  }
  return [];
};

test("resolver: reports every static error of a file at once, in source order", () => {
  const errs = resolveErrors("def f():\n    return undefined_a\nx = undefined_b\nbreak\n");
  assert.deepEqual(
    errs.map((e) => [e.pos!.line, e.msg]),
    [
      [2, "undefined: undefined_a"],
      [3, "undefined: undefined_b"],
      [4, "break not in a loop"],
    ],
  );
  assert.ok(errs.every((e) => e.kind === "resolve"));
});

test("resolver: did-you-mean hints for globals, locals, predeclared and builtins", () => {
  assert.equal(resolveErrors("hello = 1\nprint(hollo)\n")[0]!.msg, "undefined: hollo (did you mean hello?)");
  assert.equal(resolveErrors("def f(abc):\n    return abd\n")[0]!.msg, "undefined: abd (did you mean abc?)");
  assert.equal(resolveErrors("servise()\n")[0]!.msg, "undefined: servise (did you mean service?)");
  assert.equal(resolveErrors("lenn([])\n")[0]!.msg, "undefined: lenn (did you mean len?)");
  assert.equal(resolveErrors("zzzzzz()\n")[0]!.msg, "undefined: zzzzzz");
});

test("resolver: identifiers are bound to scopes and slots", () => {
  const f = checkFile(
    "t.star",
    "g = 1\ndef outer(p):\n    c = 2\n    def inner():\n        return c + p + g + len([])\n    return inner\n",
  );
  const seen: Record<string, string> = {};
  const visit = (n: ast.Node) => {
    if (n.kind === "Ident" && n.binding) seen[n.name] = n.binding.scope;
  };
  const def = f.stmts[1] as ast.DefStmt;
  const inner = def.body[1] as ast.DefStmt;
  for (const s of inner.body) walkStmt(s, visit);
  assert.deepEqual(seen, { c: "free", p: "free", g: "global", len: "universal" });
  // captured locals of the outer function live in cells
  assert.equal(def.fn!.cells.length, 2);
});

import { walk } from "../../src/starlark/index.js";
function walkStmt(s: ast.Stmt, visit: (n: ast.Node) => void) {
  walk(s, (n) => {
    visit(n);
  });
}

test("resolver: dialect options (starlark-go defaults off, Faultbox's profile on)", () => {
  const strict = STRICT_OPTIONS;
  assert.match(
    resolveErrors("def f():\n    while True:\n        pass\n", strict)[0]!.msg,
    /does not support while loops/,
  );
  assert.match(resolveErrors("for x in []:\n    pass\n", strict)[0]!.msg, /for loop not within a function/);
  assert.match(resolveErrors("if True:\n    pass\n", strict)[0]!.msg, /if statement not within a function/);
  assert.match(resolveErrors("x = set()\n", strict)[0]!.msg, /does not support sets/);
  assert.match(
    resolveErrors("x = 1\nx = 2\n", strict)[0]!.msg,
    /cannot reassign global x declared at t\.star:1:1/,
  );
  // all allowed by default
  assert.deepEqual(
    resolveErrors("x = set()\nx = 2\nfor i in []:\n    pass\nif x:\n    pass\nwhile False:\n    pass\n"),
    [],
  );
});

test("resolver: function and call checks", () => {
  const msgs = (src: string) => resolveErrors(src).map((e) => e.msg);
  assert.deepEqual(msgs("def f(a, a): pass\n"), ["duplicate parameter: a"]);
  assert.deepEqual(msgs("def f(a=1, b): pass\n"), ["required parameter may not follow optional"]);
  assert.deepEqual(msgs("def f(*): pass\n"), ["bare * must be followed by keyword-only parameters"]);
  assert.deepEqual(msgs("print(a=1, a=2)\n"), ['keyword argument "a" is repeated']);
  assert.deepEqual(msgs("print(b=1, 2)\n"), ["positional argument may not follow named"]);
  assert.deepEqual(msgs("return 1\n"), ["return statement not within a function"]);
  assert.deepEqual(msgs("def f():\n    load('x', 'y')\n"), ["load statement within a function"]);
  assert.deepEqual(msgs("(a, b) += 1\n"), ["can't use tuple expression in augmented assignment"]);
  assert.deepEqual(msgs("len() = 1\n"), ["can't assign to callexpr"]);
});

test("resolver: import of anything but json/time/math is an error hinting at load()", () => {
  const e = resolveErrors("import os\n")[0]!;
  assert.match(e.msg, /import of module "os" is not supported: .*use load\("<file>\.star", "<name>"\)/);
  assert.deepEqual(resolveErrors("import json\nimport time\nimport math\n"), []);
  assert.match(resolveErrors("import json\n", STRICT_OPTIONS)[0]!.msg, /is not supported/);
});

test("resolver: a global may be used in a function defined before it", () => {
  assert.deepEqual(out("def f():\n    return later\nlater = 3\nprint(f())\n"), ["3"]);
});

test("resolver: with globalreassign, top-level uses must follow the definition (Python semantics)", () => {
  failsWith("print(x)\nx = 1\n", /undefined: x/);
  failsWith("print(x)\nx = 1\n", /global variable x referenced before assignment/, {
    options: strictWith({}),
  });
});
