// Fuzzing: random and mutated programs must never crash the host. Every failure is a StarlarkError
// (never a JS TypeError or RangeError, never an "internal error"), and every run stops within the limits.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  builtinModule,
  Interpreter,
  makeBuiltin,
  MappingObject,
  StarlarkError,
  type Value,
} from "../../src/starlark/index.js";
import { generateSpec } from "../../bench/starlark/workloads.js";

/** Small deterministic PRNG (mulberry32) so failures reproduce from the printed seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

const CORPUS = [
  "def f(a, b = 2, *args, c = 3, **kw):\n    return [a * b for x in args if x] + list(kw.items())\nprint(f(1, 2, 3, c = 4, d = 5))\n",
  "x = {'a': [1, 2.5, None], 'b': (True, 'é')}\ny = x['a'][1:] + [len(x)]\nprint('%s %d %r' % (y, 3, x), '{} {k}'.format(1, k = 2))\n",
  "s = set([1, 2])\nfor i in range(10):\n    if i % 3 == 0:\n        continue\n    s.add(i)\nwhile len(s) > 3:\n    s.pop()\n",
  "import json\nimport math\nd = json.decode(json.encode({'k': [1, 2, {'z': -1}]}))\nprint(math.floor(2.5), d, sorted(d.keys()), b'\\xff'[0:1])\n",
  "def g(n):\n    return n if n < 2 else g(n - 1) + g(n - 2)\nprint(g(10), 1 << 70, -7 // 2, 7.0 % 2, ~3, 'abc'[::-1])\n",
  "e = struct(type = 'produce', data = {'id': 1})\nprint(e.type, e.data.get('id'), hasattr(e, 'x'), getattr(e, 'type'), dir(e))\n",
  "load('lib.star', 'helper')\nprint(helper(1))\n",
  "x = [lambda y, z = i: y + z for i in range(3)]\nprint([h(1) for h in x], any([]), all([1]), zip([1], [2]), enumerate('ab'.elems()))\n",
  generateSpec(1),
];

const TOKENS = [
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ":",
  ",",
  ".",
  "=",
  "+=",
  "==",
  "+",
  "-",
  "*",
  "/",
  "//",
  "%",
  "<<",
  ">>",
  "&",
  "|",
  "^",
  "~",
  "<",
  ">=",
  "not",
  "and",
  "or",
  "in",
  "if",
  "else",
  "for",
  "while",
  "def",
  "lambda",
  "return",
  "break",
  "continue",
  "pass",
  "load",
  "import",
  "None",
  "True",
  "False",
  "x",
  "y",
  "f",
  "len",
  "range",
  "print",
  "struct",
  "e",
  "0",
  "1",
  "-1",
  "1.5",
  "1e308",
  "1 << 200",
  "'s'",
  '"é"',
  "b'\\x00'",
  "r'\\d'",
  '"""t"""',
  "\n",
  "\n    ",
  "\t",
  "#",
  "\\\n",
  "*",
  "**",
];

function randomExpr(r: ReturnType<typeof rng>, depth: number): string {
  if (depth <= 0)
    return r.pick(["x", "y", "0", "1", "-3", "2.5", "'s'", "None", "True", "[]", "{}", "()", "e", "1 << 80"]);
  const a = () => randomExpr(r, depth - 1);
  switch (r.int(14)) {
    case 0:
      return `(${a()} ${r.pick(["+", "-", "*", "/", "//", "%", "<<", ">>", "&", "|", "^", "==", "!=", "<", ">=", "in", "not in", "and", "or"])} ${a()})`;
    case 1:
      return `${r.pick(["-", "~", "not ", "+"])}${a()}`;
    case 2:
      return `[${a()}, ${a()}]`;
    case 3:
      return `{${a()}: ${a()}}`;
    case 4:
      return `(${a()}, ${a()})`;
    case 5:
      return `${a()}[${a()}]`;
    case 6:
      return `${a()}[${a()}:${a()}:${a()}]`;
    case 7:
      return `${r.pick(["len", "str", "repr", "int", "float", "list", "tuple", "dict", "set", "sorted", "reversed", "type", "bool", "hash", "abs", "min", "max", "enumerate", "zip", "range", "json.encode", "json.decode", "f"])}(${a()})`;
    case 8:
      return `${a()}.${r.pick(["get", "keys", "append", "upper", "split", "format", "items", "pop", "elems", "type", "data", "nope"])}(${a()})`;
    case 9:
      return `(${a()} if ${a()} else ${a()})`;
    case 10:
      return `[${a()} for x in ${a()} if ${a()}]`;
    case 11:
      return `(lambda x, y = 1: ${a()})(${a()})`;
    case 12:
      return `'%s %d %r' % (${a()}, ${a()}, ${a()})`;
    default:
      return `{${a()}: ${a()} for y in ${a()}}`;
  }
}

function randomProgram(r: ReturnType<typeof rng>): string {
  const lines = [
    "import json",
    "x = 1",
    "y = [1, 2, 3]",
    "def f(n = 0, *a, **k):",
    `    return ${randomExpr(r, 3)}`,
  ];
  for (let i = 0, n = 1 + r.int(6); i < n; i++) {
    const e = randomExpr(r, 1 + r.int(4));
    switch (r.int(6)) {
      case 0:
        lines.push(`x = ${e}`);
        break;
      case 1:
        lines.push(`for i in ${e}:`, `    y = ${randomExpr(r, 2)}`);
        break;
      case 2:
        lines.push(`if ${e}:`, `    print(${randomExpr(r, 2)})`, "else:", "    pass");
        break;
      case 3:
        lines.push(`y += ${e}`);
        break;
      case 4:
        lines.push(`while ${e}:`, "    x = 0", "    break");
        break;
      default:
        lines.push(`print(${e})`);
    }
  }
  return lines.join("\n") + "\n";
}

function mutate(r: ReturnType<typeof rng>, src: string): string {
  let s = src;
  for (let k = 0, n = 1 + r.int(4); k < n; k++) {
    const i = r.int(s.length + 1);
    switch (r.int(5)) {
      case 0:
        s = s.slice(0, i) + s.slice(i + 1 + r.int(5));
        break;
      case 1:
        s = s.slice(0, i) + r.pick(TOKENS) + s.slice(i);
        break;
      case 2:
        s = s.slice(0, i) + String.fromCharCode(r.int(0x3000)) + s.slice(i);
        break;
      case 3: {
        const j = r.int(s.length + 1);
        s = s.slice(0, i) + s.slice(Math.min(i, j), Math.max(i, j)) + s.slice(i);
        break;
      }
      default: {
        const lines = s.split("\n");
        const a = r.int(lines.length);
        lines.splice(r.int(lines.length), 0, lines[a]!);
        s = lines.join("\n");
      }
    }
  }
  return s;
}

type Outcome = "ok" | "syntax" | "resolve" | "runtime" | "limit";

function runOne(src: string): Outcome {
  const e = new MappingObject(
    new Map<string, Value>([
      ["type", "produce"],
      ["data", null],
    ]),
    "event",
  );
  const interp = new Interpreter({
    predeclared: {
      e,
      json: builtinModule("json"),
      service: makeBuiltin("service", () => null),
      interface: makeBuiltin("interface", () => null),
      fault: makeBuiltin("fault", () => null),
      fault_assumption: makeBuiltin("fault_assumption", () => null),
      monitor: makeBuiltin("monitor", () => null),
      assert_eventually: makeBuiltin("assert_eventually", () => null),
      assert_never: makeBuiltin("assert_never", () => null),
      topic: makeBuiltin("topic", () => null),
      json_decoder: makeBuiltin("json_decoder", () => null),
      determinism: makeBuiltin("determinism", () => null),
      scenario: makeBuiltin("scenario", () => null),
    },
    loader: (m) => ({ filename: m, source: m === "lib.star" ? "def helper(x):\n    return x\n" : "x = (\n" }),
    thread: { maxSteps: 20000, maxDepth: 100, timeoutMs: 2000, print: () => {} },
  });
  try {
    interp.execFile("fuzz.star", src);
    return "ok";
  } catch (err) {
    if (!(err instanceof StarlarkError)) throw new Error(`host crash (${String(err)}) on program:\n${src}`);
    if (/internal error/.test(err.msg)) throw new Error(`internal error "${err.msg}" on program:\n${src}`);
    assert.ok(err.format().length > 0);
    if (err.kind !== "resolve" && err.pos === undefined && !/^cannot load/.test(err.msg))
      throw new Error(`error without position "${err.msg}" (${err.kind}) on program:\n${src}`);
    return err.kind;
  }
}

function tally(outcomes: Outcome[]): Record<Outcome, number> {
  const t: Record<Outcome, number> = { ok: 0, syntax: 0, resolve: 0, runtime: 0, limit: 0 };
  for (const o of outcomes) t[o]++;
  return t;
}

test("fuzz: random programs never crash the host", () => {
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const r = rng(seed);
  const t = tally(Array.from({ length: 1500 }, () => runOne(randomProgram(r))));
  // the generator must reach the evaluator, not just the parser, for the test to mean anything
  assert.ok(t.ok + t.runtime + t.limit > 500, JSON.stringify(t));
});

test("fuzz: mutated programs never crash the host", () => {
  const seed = Number(process.env.FUZZ_SEED ?? 2);
  const r = rng(seed);
  const t = tally(Array.from({ length: 3000 }, () => runOne(mutate(r, r.pick(CORPUS)))));
  assert.ok(t.ok + t.runtime + t.limit > 150, JSON.stringify(t));
  assert.ok(t.syntax > 300, JSON.stringify(t));
});

test("fuzz: runaway programs stop at the limits", () => {
  const t0 = Date.now();
  assert.equal(runOne("while True:\n    pass\n"), "limit");
  assert.equal(runOne("def f():\n    return f()\nf()\n"), "limit");
  assert.equal(runOne("x = [i for i in range(1 << 40)]\n"), "limit");
  assert.equal(runOne("s = 'ab' * (1 << 40)\n"), "runtime");
  // 100,000 loop iterations are more than the fuzz step budget of 20,000
  assert.equal(runOne("x = []\nfor i in range(100000):\n    x = [x]\n"), "limit");
  assert.ok(Date.now() - t0 < 30000);
});
