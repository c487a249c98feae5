import assert from "node:assert/strict";
import { test } from "node:test";
import { failsWith, out } from "./helpers.js";

test("modules: import binds json, time and math (Faultbox dialect)", () => {
  assert.deepEqual(
    out("import json\nimport math\nimport time\nprint(type(json), type(math), type(time), json)"),
    ['module module module <module "json">'],
  );
});

test("modules: json.encode / decode / indent / encode_indent", () => {
  const pre = "import json\n";
  assert.deepEqual(out(pre + "print(json.encode({'b': [1, 2.5, None, True], 'a': 'x\"y'}))"), [
    '{"a":"x\\"y","b":[1,2.5,null,true]}',
  ]);
  assert.deepEqual(
    out(pre + "print(json.encode(struct(x = 1)), json.encode((1, 2)), json.encode(1 << 70))"),
    ['{"x":1} [1,2] 1180591620717411303424'],
  );
  assert.deepEqual(
    out(pre + "d = json.decode('{\"a\": [1, 2.0, \"s\", null, false]}')\nprint(d, type(d['a'][1]))"),
    ['{"a": [1, 2.0, "s", None, False]} float'],
  );
  assert.deepEqual(out(pre + "print(json.decode('oops', default = 7))"), ["7"]);
  assert.deepEqual(out(pre + "print(json.indent('{\"a\":[1,2]}'))"), ['{\n\t"a": [\n\t\t1,\n\t\t2\n\t]\n}']);
  assert.deepEqual(out(pre + "print(json.encode_indent({'a': 1}, indent = '  '))"), ['{\n  "a": 1\n}']);
  failsWith(pre + "json.encode(float('nan'))", /json.encode: cannot encode non-finite float nan/);
  failsWith(pre + "json.encode({1: 2})", /dict has int key, want string/);
  failsWith(pre + "json.decode('[1,')", /json.decode: unexpected end of file/);
  failsWith(pre + "x = []\nx.append(x)\njson.encode(x)", /cycle in JSON structure/);
});

test("modules: math", () => {
  assert.deepEqual(
    out(
      "import math\nprint(math.floor(2.7), math.ceil(2.1), math.sqrt(16), math.pow(2, 10), math.fabs(-1), math.log(8, 2), math.round(2.5))",
    ),
    ["2 3 4.0 1024.0 1.0 3.0 3.0"],
  );
  assert.deepEqual(out("import math\nprint(math.pi, math.e, math.gamma(5), math.degrees(math.pi))"), [
    "3.141592653589793 2.718281828459045 24.0 180.0",
  ]);
  failsWith('import math\nmath.sqrt("x")', /got string, want float or int/);
  failsWith('import math\nmath.floor(float("inf"))', /cannot convert float infinity to integer/);
});

test("modules: time — time.time() gives Unix seconds (Faultbox extension), durations and times as starlark-go", () => {
  const [now] = out("import time\nprint(int(time.time()))");
  assert.ok(Math.abs(Number(now) - Date.now() / 1000) < 60);
  assert.deepEqual(
    out(`import time
d = time.parse_duration("1h30m")
print(d, d.minutes, d + time.second * 5, d // time.minute, str(time.parse_duration("1.5s")))
t = time.parse_time("2020-06-26T17:38:36Z")
print(t, t.year, t.unix, t + d, t.format("2006-01-02"), type(t), type(d))
print(time.from_timestamp(0), time.time(year = 2000, month = 2, day = 3).unix)
print(time.now() > t)`),
    [
      "1h30m0s 90.0 1h30m5s 90 1.5s",
      "2020-06-26 17:38:36 +0000 UTC 2020 1593193116 2020-06-26 19:08:36 +0000 UTC 2020-06-26 time.time time.duration",
      "1970-01-01 00:00:00 +0000 UTC 949536000",
      "True",
    ],
  );
  failsWith('import time\ntime.parse_duration("5 parsecs")', /time: invalid duration|unknown unit/);
});
