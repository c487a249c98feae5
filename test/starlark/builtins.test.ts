import assert from "node:assert/strict";
import { test } from "node:test";
import { evalRepr, failsWith, out } from "./helpers.js";

const table = (rows: [string, string][]) => {
  for (const [expr, want] of rows) assert.equal(evalRepr(expr), want, expr);
};

test("builtins: the universe", () => {
  table([
    ["abs(-3), abs(-2.5)", "(3, 2.5)"],
    ["any([0, '', 1]), all([1, 'x']), all([])", "(True, True, True)"],
    ["bool(0), bool([1]), bool()", "(False, True, False)"],
    ["bytes('hé'), bytes([65, 66])", '(b"hé", b"AB")'],
    ["chr(65), ord('A'), ord('Й')", '("A", 65, 1049)'],
    ["dict([('a', 1)], b = 2)", '{"a": 1, "b": 2}'],
    ["dir('')[:3]", '["capitalize", "codepoint_ords", "codepoints"]'],
    ["enumerate(['a', 'b'], 1)", '[(1, "a"), (2, "b")]'],
    ["float('1.5'), float(2), float('inf'), float('-nan')", "(1.5, 2.0, +inf, nan)"],
    [
      "getattr('a', 'upper')(), getattr(1, 'x', 'dflt'), hasattr([], 'append'), hasattr(1, 'x')",
      '("A", "dflt", True, False)',
    ],
    ["hash('abc'), hash('')", "(96354, 0)"],
    [
      "int('42'), int('0x1f', 16), int('0b101', 0), int(-2.9), int(True), int('-12', 8)",
      "(42, 31, 5, -2, 1, -10)",
    ],
    ["len('abc'), len([1]), len({}), len(range(10))", "(3, 1, 0, 10)"],
    ["list((1, 2)), tuple([1]), list('ab'.elems())", '([1, 2], (1,), ["a", "b"])'],
    ["max(3, 1, 2), min([4, 2, 8]), max(['a', 'bb'], key = len), min([], default = 0)", '(3, 2, "bb", 0)'],
    [
      "range(3), list(range(5, 0, -2)), range(10)[2:5], 3 in range(1, 5)",
      "(range(3), [5, 3, 1], range(2, 5), True)",
    ],
    ["repr('a'), str('a'), str(1.0), str(None)", '("\\"a\\"", "a", "1.0", "None")'],
    ["reversed([1, 2, 3])", "[3, 2, 1]"],
    [
      "sorted([3, 1, 2]), sorted(['b', 'A', 'a'], key = lambda s: s.lower()), sorted([1, 3, 2], reverse = True)",
      '([1, 2, 3], ["A", "a", "b"], [3, 2, 1])',
    ],
    [
      "type(1), type(1.0), type(''), type(None), type([]), type(()), type({}), type(len), type(lambda: 0)",
      '("int", "float", "string", "NoneType", "list", "tuple", "dict", "builtin_function_or_method", "function")',
    ],
    ["zip([1, 2], 'ab'.elems())", '[(1, "a"), (2, "b")]'],
  ]);
  assert.deepEqual(out("print('a', 1, None, sep = '|')"), ["a|1|None"]);
});

test("builtins: argument errors", () => {
  failsWith("len(1)", /len: value of type int has no len/);
  failsWith("int('12x')", /int: invalid literal with base 10: 12x/);
  failsWith("int(float('inf'))", /cannot convert float infinity to integer/);
  failsWith("range(1, 2, 0)", /range: step argument must not be zero/);
  failsWith("sorted([1, 'a'])", /string < int not implemented/);
  failsWith("chr(-1)", /chr: Unicode code point -1 out of range/);
  failsWith("min()", /min requires at least one positional argument/);
  failsWith("max([])", /max: argument is an empty sequence/);
  failsWith("getattr(1, 'x')", /getattr: int has no \.x field or method/);
  failsWith("zip(1)", /zip: argument #1 is not iterable: int/);
  failsWith(
    "enumerate(1, bogus = 2)",
    /enumerate: unexpected keyword argument bogus; valid: iterable, start$/,
  );
});

test("methods: string", () => {
  table([
    [
      "'hello world'.capitalize(), 'Hello'.upper(), 'Hello'.lower(), 'hello world'.title()",
      '("Hello world", "HELLO", "hello", "Hello World")',
    ],
    [
      "'abcabc'.count('b'), 'abcabc'.find('c'), 'abcabc'.rfind('c'), 'abc'.find('z'), 'abcabc'.index('c', 3)",
      "(2, 2, 5, -1, 5)",
    ],
    ["'abc'.startswith('ab'), 'abc'.endswith(('x', 'c')), 'abc'.startswith('b', 1)", "(True, True, True)"],
    [
      "'a1'.isalnum(), 'ab'.isalpha(), '12'.isdigit(), 'ab'.islower(), 'AB'.isupper(), ' '.isspace(), 'Ab Cd'.istitle()",
      "(True, True, True, True, True, True, True)",
    ],
    [
      "'-'.join(['a', 'b']), '  x  '.strip(), 'xxaxx'.lstrip('x'), 'xxaxx'.rstrip('x')",
      '("a-b", "x", "axx", "xxa")',
    ],
    [
      "'a=b=c'.partition('='), 'a=b=c'.rpartition('='), 'abc'.partition('z')",
      '(("a", "=", "b=c"), ("a=b", "=", "c"), ("abc", "", ""))',
    ],
    ["'prefix-x'.removeprefix('prefix-'), 'x.star'.removesuffix('.star')", '("x", "x")'],
    [
      "'aaa'.replace('a', 'b', 2), 'a,b,,c'.split(','), 'a b  c'.split(), 'a.b.c'.rsplit('.', 1)",
      '("bba", ["a", "b", "", "c"], ["a", "b", "c"], ["a.b", "c"])',
    ],
    ["'a\\nb\\r\\nc'.splitlines(), 'a\\nb'.splitlines(True)", '(["a", "b", "c"], ["a\\n", "b"])'],
    ["list('ab'.codepoints()), list('ab'.elem_ords())", '(["a", "b"], [97, 98])'],
  ]);
  failsWith("'abc'.index('z')", /substring not found/);
  failsWith("','.join([1])", /join: in list, want string, got int/);
  failsWith("'a'.split('')", /split: empty separator/);
});

test("methods: bytes", () => {
  table([
    [
      "b'abc'[1], len(b'\\xff\\x00'), list(b'AB'.elems()), b'ab' + b'c', str(b'hi')",
      '(b"b", 2, [65, 66], b"abc", "hi")',
    ],
  ]);
});

test("methods: list", () => {
  assert.deepEqual(
    out(`x = [3, 1]
x.append(2)
x.extend((5, 4))
x.insert(0, 9)
x.remove(1)
print(x, x.index(5), x.pop(), x.pop(0), x)
x.clear()
print(x)`),
    ["[3, 2, 5] 3 4 9 [3, 2, 5]", "[]"],
  );
  failsWith("[1].remove(2)", /remove: element not found/);
  failsWith("[1].index(2)", /value not in list/);
  failsWith("[].pop()", /pop: index -1 out of range: empty list/);
});

test("methods: dict", () => {
  assert.deepEqual(
    out(`d = {"a": 1}
print(d.get("a"), d.get("z"), d.setdefault("b", 2), d.setdefault("a", 9))
d.update([("c", 3)], e = 5)
print(d.items(), d.values(), d.popitem(), d.pop("z", "none"))
d.clear()
print(d)`),
    ["1 None 2 1", '[("a", 1), ("b", 2), ("c", 3), ("e", 5)] [1, 2, 3, 5] ("a", 1) none', "{}"],
  );
  failsWith("{}.pop('k')", /pop: missing key "k"/);
  failsWith("{}.popitem()", /popitem: empty dict/);
});

test("methods: set", () => {
  assert.deepEqual(
    out(`s = set([1, 2])
s.add(3)
s.discard(1)
s.update([4], (5,))
print(s, s.union([9]), s.intersection([2, 3]), s.difference([2]), s.symmetric_difference([2, 7]))
print(set([2]).issubset([1, 2]), s.issuperset([2, 3]), s.pop(), s)
s.remove(3)
print(s, set([1]) <= set([1, 2]), set([1]) < set([1]))`),
    [
      "set([2, 3, 4, 5]) set([2, 3, 4, 5, 9]) set([2, 3]) set([3, 4, 5]) set([3, 4, 5, 7])",
      "True True 2 set([3, 4, 5])",
      "set([4, 5]) True False",
    ],
  );
  failsWith("set([1]).remove(2)", /remove: missing key 2/);
});

test("builtins: range() takes ints up to 2^53 - 1 and says so beyond", () => {
  table([
    [
      "range(9007199254740991), len(range(-9007199254740991, 0))",
      "(range(9007199254740991), 9007199254740991)",
    ],
    [
      "list(range(-9007199254740991, 9007199254740991, 1 << 52))",
      "[-9007199254740991, -4503599627370495, 1, 4503599627370497]",
    ],
  ]);
  const e = failsWith("range(1 << 60)", /range: for parameter 1: 1152921504606846976 out of range/);
  assert.match(e.msg, /signed 54-bit range: between -\(2\^53 - 1\) and 2\^53 - 1/);
  assert.doesNotMatch(e.msg, /32-bit/);
  failsWith("range(-9007199254740991, 9007199254740991)", /more than 2\^53 - 1 elements/);
});
