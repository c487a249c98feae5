import assert from "node:assert/strict";
import { test } from "node:test";
import { call, Interpreter, StarlarkError } from "../../src/starlark/index.js";
import { fails } from "./helpers.js";

test("limits: call depth is a Starlark error of kind limit", () => {
  const e = fails("def f(n):\n    return f(n + 1)\nf(0)\n", { thread: { maxDepth: 50 } });
  assert.equal(e.kind, "limit");
  assert.equal(e.msg, "Starlark stack overflow");
  assert.equal(e.frames.length, 51);
  assert.match(e.format(), /\[previous frame repeated 49 more times\]/);
});

test("limits: exhausting the JS stack is still a Starlark stack overflow, never a RangeError", () => {
  // nested comprehensions use more JS stack per Starlark call than the default depth allows for
  const e = fails("def g(n):\n    return [g(n + 1) for _ in [1]]\ng(0)\n", { thread: { maxDepth: 1e6 } });
  assert.equal(e.kind, "limit");
  assert.equal(e.msg, "Starlark stack overflow");
  // the interpreter is still usable afterwards
  assert.doesNotThrow(() => new Interpreter().execFile("ok.star", "x = 1\n"));
});

test("limits: a step budget stops runaway loops", () => {
  const e = fails("def spin():\n    while True:\n        pass\nspin()\n", { thread: { maxSteps: 10000 } });
  assert.equal(e.kind, "limit");
  assert.match(e.msg, /too many steps \(limit 10000\)/);
  assert.equal(e.pos!.line, 2);
});

test("limits: a time limit stops runaway loops", () => {
  const t0 = Date.now();
  const e = fails("x = 0\nwhile True:\n    x += 1\n", { thread: { timeoutMs: 50 } });
  assert.equal(e.kind, "limit");
  assert.match(e.msg, /time limit exceeded/);
  assert.ok(Date.now() - t0 < 5000);
});

test("limits: comprehensions and callbacks count steps too", () => {
  assert.throws(
    () =>
      new Interpreter({ thread: { maxSteps: 1000 } }).execFile("c.star", "x = [i for i in range(100000)]\n"),
    (e: unknown) => e instanceof StarlarkError && e.kind === "limit",
  );
  const interp = new Interpreter();
  const { globals } = interp.execFile("f.star", "def loop():\n    for i in range(1000000):\n        pass\n");
  const thread = interp.newThread({ maxSteps: 5000 });
  assert.throws(
    () => call(thread, globals.get("loop")!),
    (e: unknown) => e instanceof StarlarkError && e.kind === "limit",
  );
});

test("limits: a host can cancel a thread", () => {
  const interp = new Interpreter();
  const { globals } = interp.execFile("f.star", "def loop():\n    while True:\n        pass\n");
  const thread = interp.newThread();
  thread.cancel("spec run aborted");
  assert.throws(() => call(thread, globals.get("loop")!), /Starlark computation cancelled: spec run aborted/);
});

test("limits: resetLimits gives each evaluation a fresh step budget", () => {
  const interp = new Interpreter();
  const { globals } = interp.execFile("f.star", "def loop(n):\n    for i in range(n):\n        pass\n");
  const thread = interp.newThread({ maxSteps: 1000 });
  for (let i = 0; i < 5; i++) {
    thread.resetLimits({ maxSteps: 1000 });
    call(thread, globals.get("loop")!, [500]); // 5 x 500 steps would exceed one shared budget
  }
  thread.resetLimits({ maxSteps: 1000 });
  assert.throws(() => call(thread, globals.get("loop")!, [5000]), /too many steps/);
});

test("limits: deeply nested data never crashes the host", () => {
  const build = "x = []\nfor i in range(100000):\n    x = [x]\n";
  // module globals are frozen at the end: this must not overflow the JS stack
  assert.doesNotThrow(() => new Interpreter().execFile("d.star", build));
  for (const [tail, re] of [
    ["s = str(x)\n", /Starlark stack overflow/],
    ["import json\ns = json.encode(x)\n", /Starlark stack overflow/],
    ["y = [x] == [x]\n", /comparison exceeded maximum recursion depth/],
  ] as const) {
    assert.throws(
      () => new Interpreter().execFile("d.star", build + tail),
      (e: unknown) => e instanceof StarlarkError && re.test(e.msg),
    );
  }
});

test("limits: extremely long operator chains are a syntax error, not a host crash", () => {
  for (const src of [
    "x = " + Array(100000).fill("1").join("+") + "\n",
    "x = " + "a.".repeat(50000) + "b\n",
  ]) {
    assert.throws(
      () => new Interpreter().execFile("c.star", src),
      (e: unknown) =>
        e instanceof StarlarkError && e.kind === "syntax" && /expression nested too deeply/.test(e.msg),
    );
  }
  // a long but reasonable chain still works
  assert.equal(
    new Interpreter().execFile("c.star", "x = " + Array(1000).fill("1").join("+") + "\n").globals.get("x"),
    1000,
  );
});

test("limits: error output shows a window of very long source lines", () => {
  const e = fails("x = " + "1 + ".repeat(200) + "'a'\n");
  const [, line, caret] = e.format().split("\n");
  assert.ok(line!.length <= 170);
  assert.equal(line![caret!.length - 1], "+");
});

test("limits: materializing a huge range is an error instead of exhausting the host's memory", () => {
  const e = fails("x = list(range(1 << 40))\n");
  assert.match(e.msg, /too many to materialize/);
});
