import assert from "node:assert/strict";
import { test } from "node:test";
import { evalRepr, failsWith, out, run, strictWith } from "./helpers.js";

test("eval: ints are exact at any size; small ints stay JS numbers", () => {
  assert.equal(evalRepr("9007199254740991 + 2"), "9007199254740993");
  assert.equal(evalRepr("1 << 100"), "1267650600228229401496703205376");
  assert.equal(evalRepr("(1 << 100) - (1 << 100) + 5"), "5");
  assert.equal(evalRepr("123456789 * 987654321 * 1000"), "121932631112635269000");
  assert.equal(evalRepr("-7 // 2, 7 // -2, -7 % 3, 7 % -3"), "(-4, -4, 2, -2)");
  assert.equal(evalRepr("(-(1 << 70)) // 3"), "-393530540239137101142");
  assert.equal(evalRepr("~5, 6 & 3, 6 | 3, 6 ^ 3, -1 >> 70"), "(-6, 2, 7, 5, -1)");
  const g = run("x = 1 << 10\ny = 1 << 60\n").globals;
  assert.equal(typeof g.get("x"), "number");
  assert.equal(typeof g.get("y"), "bigint");
});

test("eval: floats format like starlark-go and compare exactly with ints", () => {
  assert.equal(
    evalRepr("1.0, 0.1, 1e100, 1000000.0, 123456.5, 1.5e-7, -0.0"),
    "(1.0, 0.1, 1e+100, 1e+06, 123456.5, 1.5e-07, -0.0)",
  );
  assert.equal(evalRepr("7 / 2, 1 / 3"), "(3.5, 0.3333333333333333)");
  assert.equal(evalRepr("1 == 1.0, (1 << 53) + 1 == float(1 << 53), 2 < 2.5"), "(True, False, True)");
  assert.equal(evalRepr("float('nan') == float('nan')"), "True");
});

test("eval: arithmetic errors", () => {
  failsWith("1 // 0", /floored division by zero/);
  failsWith("1 % 0", /integer modulo by zero/);
  failsWith("1 / 0", /floating-point division by zero/);
  failsWith("1 << -1", /negative shift count/);
  failsWith("'a' + 1", /unknown binary op: string \+ int/);
  failsWith("-'a'", /unknown unary op: - string/);
  failsWith("1 < 'a'", /int < string not implemented/);
});

test("eval: strings, % formatting and str.format", () => {
  assert.equal(out("print('%s-%d-%r-%x-%o-%%' % ('a', 42, 'q', 255, 8))")[0], 'a-42-"q"-ff-10-%');
  assert.equal(evalRepr("'%(a)s=%(b)d' % {'a': 'x', 'b': 3}"), '"x=3"');
  assert.equal(out("print('%f %e %g' % (1.0, 1234.5, 0.5))")[0], "1.000000 1.234500e+03 0.5");
  assert.equal(out("print('{} {x} {!r} {{}}'.format('a', 'b', x = 1))")[0], 'a 1 "b" {}');
  failsWith("'%d' % 'x'", /%d format requires integer/);
  failsWith("'%s %s' % ('a',)", /not enough arguments for format string/);
  failsWith("'%s' % ('a', 'b')", /too many arguments for format string/);
  failsWith("'{:>3}'.format(1)", /format spec features not supported/);
  assert.equal(
    evalRepr("'abc'[1], 'abc'[-1], 'hello'[1:4], 'hello'[::-1], 'hello'[10:]"),
    '("b", "c", "ell", "olleh", "")',
  );
});

test("eval: strings are byte strings (UTF-8) as in starlark-go", () => {
  assert.equal(evalRepr("len('héllo'), 'héllo'[1:3], 'héllo'.find('l')"), '(6, "é", 3)');
  assert.equal(evalRepr("list('Й'.elem_ords()), list('Й'.codepoint_ords())"), "([208, 153], [1049])");
  assert.equal(evalRepr("'Й'[:1] + 'Й'[1:] == 'Й'"), "True");
});

test("eval: lists, tuples, dicts, sets", () => {
  assert.equal(
    evalRepr("[1, 2] + [3], (1,) * 3, [x * 2 for x in range(4) if x % 2]"),
    "([1, 2, 3], (1, 1, 1), [2, 6])",
  );
  assert.equal(evalRepr("{k: v for k, v in [('a', 1), ('b', 2)]}"), '{"a": 1, "b": 2}');
  assert.equal(
    out(
      "d = {'b': 1, 'a': 2}\nd['c'] = 3\nd.pop('b')\nd['b'] = 4\nprint(list(d.keys()), d.get('z', 0), d | {'e': 5})",
    )[0],
    '["a", "c", "b"] 0 {"a": 2, "c": 3, "b": 4, "e": 5}',
  );
  assert.equal(
    evalRepr("set([1, 2]) | set([3]), set([1, 2]) & set([2]), 2 in set([2])"),
    "(set([1, 2, 3]), set([2]), True)",
  );
  failsWith("{[1]: 2}", /unhashable type: list/);
  failsWith("{'a': 1, 'a': 2}", /duplicate key: "a"/);
  failsWith("[1][5]", /list index 5 out of range \[-1:0\]/);
  failsWith("{}['k']", /key "k" not in dict/);
  failsWith(
    "(1, 2)[0] = 1".replace("(1, 2)[0] = 1", "t = (1, 2)\nt[0] = 1"),
    /tuple value does not support item assignment/,
  );
});

test("eval: mutation during iteration is an error", () => {
  failsWith(
    "def f():\n    x = [1, 2]\n    for e in x:\n        x.append(e)\nf()\n",
    /cannot append to list during iteration/,
  );
  failsWith(
    "def f():\n    d = {1: 2}\n    for k in d:\n        d[k + 1] = 0\nf()\n",
    /cannot insert into hash table during iteration/,
  );
});

test("eval: functions: defaults, *args, **kwargs, keyword-only parameters, closures", () => {
  const src = `
def f(a, b = 2, *args, c, d = 4, **kw):
    return (a, b, args, c, d, kw)
print(f(1, c = 3))
print(f(1, 2, 3, 4, c = 5, e = 6))
print(f(*[1, 2], **{"c": 3}))
def counter():
    n = [0]
    def inc():
        n[0] += 1
        return n[0]
    return inc
inc = counter()
inc()
print(inc())
adders = [lambda x, k = k: x + k for k in range(3)]
print([g(10) for g in adders])
`;
  assert.deepEqual(out(src), [
    "(1, 2, (), 3, 4, {})",
    '(1, 2, (3, 4), 5, 4, {"e": 6})',
    "(1, 2, (), 3, 4, {})",
    "2",
    "[10, 11, 12]",
  ]);
});

test("eval: argument binding errors name the function and parameter", () => {
  failsWith("def f(a): pass\nf()", /function f missing 1 argument \(a\)/);
  failsWith("def f(a): pass\nf(1, 2)", /function f accepts 1 positional argument \(2 given\)/);
  failsWith(
    "def f(abc): pass\nf(abd = 1)",
    /function f got an unexpected keyword argument "abd" \(did you mean abc\?\); valid: abc$/,
  );
  failsWith(
    "def f(name, port = 1, reuse = False): pass\nf('x', prot = 2)",
    /function f got an unexpected keyword argument "prot" \(did you mean port\?\); valid: name, port, reuse$/,
  );
  failsWith("def f(a): pass\nf(1, a = 2)", /function f got multiple values for parameter "a"/);
  failsWith("def f(*, k): pass\nf()", /function f missing 1 argument \(k\)/);
  failsWith("len(1, 2)", /len: got 2 arguments, want 1/);
  failsWith("1()", /invalid call of non-function \(int\)/);
});

test("eval: recursion is allowed by default and rejected in starlark-go's strict dialect", () => {
  assert.deepEqual(out("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(15))"), [
    "610",
  ]);
  failsWith("def f(n):\n    return f(n - 1) if n else 0\nf(2)", /function f called recursively/, {
    options: strictWith({}),
  });
});

test("eval: while loops, break, continue; top-level control flow", () => {
  assert.deepEqual(
    out(
      "i = 0\ns = 0\nwhile True:\n    i += 1\n    if i % 2:\n        continue\n    if i > 10:\n        break\n    s += i\nprint(s)",
    ),
    ["30"],
  );
});

test("eval: module globals are frozen after execution", () => {
  const { globals } = run("order = []\ndef add(x):\n    order.append(x)\n");
  const add = globals.get("add")!;
  const interp = new (require_interp())();
  assert.throws(() => interp.call(interp.newThread(), add, [1]), /cannot append to frozen list/);
});

import { Interpreter } from "../../src/starlark/index.js";
function require_interp() {
  return Interpreter;
}

test("eval: runtime errors carry position, bare message and a Starlark traceback", () => {
  const e = failsWith(
    "def inner(x):\n    return x + 'a'\ndef outer():\n    return inner(1)\nouter()\n",
    /unknown binary op: int \+ string/,
  );
  assert.equal(e.kind, "runtime");
  assert.deepEqual([e.pos!.line, e.pos!.col], [2, 14]);
  assert.deepEqual(
    e.frames.map((f) => [f.name, f.pos!.line]),
    [
      ["<toplevel>", 5],
      ["outer", 4],
      ["inner", 2],
    ],
  );
  const text = e.format();
  assert.match(text, /^test\.star:2:14: unknown binary op: int \+ string\n {4}return x \+ 'a'\n {13}\^/);
  assert.match(text, /Traceback \(most recent call last\):\n {2}test\.star:5:6: in <toplevel>/);
});

test("eval: unassigned variables", () => {
  failsWith("def f():\n    print(x)\n    x = 1\nf()", /local variable x referenced before assignment/);
  failsWith("def f():\n    return g\nf()\ng = 1\n", /global variable g referenced before assignment/);
});

test("eval: attribute errors suggest the nearest name", () => {
  failsWith("'abc'.uper()", /string has no \.uper field or method \(did you mean \.upper\?\)/);
  failsWith("struct(a = 1).b", /struct has no \.b attribute/);
  failsWith("[].x = 1", /can't assign to \.x field of list/);
});

test("eval: fail() reports its arguments and is marked as a failure", () => {
  const e = failsWith("fail('bad', 42)", /^fail: bad 42$/);
  assert.equal(e.failed, true);
});

test("eval: struct values", () => {
  assert.equal(evalRepr("struct(b = 2, a = 1)"), "struct(a = 1, b = 2)");
  assert.equal(
    evalRepr("struct(a = 1) == struct(a = 1), struct(a = 1).a, dir(struct(z = 1, y = 2))"),
    '(True, 1, ["y", "z"])',
  );
});

test("eval: the Faultbox dialect accepts the spec idioms of the seed", () => {
  const src = `
load_like = {"topic": "orders", "partition": 0}
def on_event(e):
    if e.get("topic") == "orders" and e["partition"] == 0:
        return "%s/%d" % (e["topic"], e["partition"])
    return None
print(on_event(load_like))
for k in sorted(load_like.keys()):
    print(k)
`;
  assert.deepEqual(out(src), ["orders/0", "partition", "topic"]);
});

test("eval: a number followed at once by a keyword evaluates as starlark-go does", () => {
  assert.deepEqual(out("x = True\nprint(0in [1, 2, 3], 1if x else 2, 1or 2, 2in [2], 0x1fin [31])"), [
    "False 1 1 True True",
  ]);
});
