import assert from "node:assert/strict";
import { test } from "node:test";
import {
  call,
  Dict,
  EvalError,
  execFile,
  Float,
  fromJS,
  HostObject,
  hostMethod,
  Interpreter,
  isCallable,
  List,
  makeBuiltin,
  MappingObject,
  StarlarkError,
  toJS,
  unpackArgs,
  type Value,
} from "../../src/starlark/index.js";
import { failsWith, out } from "./helpers.js";

test("host: makeBuiltin + unpackArgs reject unknown, repeated and missing arguments by name", () => {
  const calls: unknown[] = [];
  const emit = makeBuiltin("emit", (_t, args, kwargs) => {
    const [topic, data, key] = unpackArgs("emit", args, kwargs, ["topic", "data", "key?"]);
    calls.push([topic, toJS(data!), key]);
    return null;
  });
  const opts = { predeclared: { emit } };
  out('emit("orders", {"id": 1})\nemit(topic = "t", data = [1], key = "k")\n', opts);
  assert.deepEqual(calls, [
    ["orders", { id: 1 }, undefined],
    ["t", [1], "k"],
  ]);
  failsWith(
    'emit("t", data = 1, kee = "k")',
    /^emit: unexpected keyword argument kee \(did you mean key\?\); valid: topic, data, key$/,
    opts,
  );
  failsWith('emit("t")', /^emit: missing argument for data$/, opts);
  failsWith('emit("t", 1, topic = "u")', /^emit: got multiple values for keyword argument topic$/, opts);
  failsWith('emit("t", 1, "k", 4)', /^emit: got 4 arguments, want at most 3$/, opts);
});

test("host: keyword-only parameters in unpackArgs specs", () => {
  const f = makeBuiltin("f", (_t, a, k) => {
    const [x, timeout] = unpackArgs("f", a, k, ["x", "*", "timeout?"]);
    return [x!, timeout ?? null];
  });
  assert.deepEqual(out('print(f(1, timeout = "5s"))', { predeclared: { f } }), ['(1, "5s")']);
  failsWith('f(1, "5s")', /f: got 2 arguments, want at most 1/, { predeclared: { f } });
});

test("host: errors thrown by builtins get the Starlark position and stack", () => {
  const boom = makeBuiltin("boom", () => {
    throw new EvalError("service crashed");
  });
  const e = failsWith("def f():\n    boom()\nf()\n", /^service crashed$/, { predeclared: { boom } });
  assert.deepEqual([e.pos!.line, e.pos!.col], [2, 9]);
  assert.deepEqual(
    e.frames.map((f) => f.name),
    ["<toplevel>", "f"],
  );
});

test("host: a builtin learns where it was called from (thread.callPos)", () => {
  let where = "";
  const service = makeBuiltin("service", (thread) => {
    where = `${thread.callPos!.file.name}:${thread.callPos!.line}`;
    return null;
  });
  out("\n\nservice()\n", { predeclared: { service } });
  assert.equal(where, "test.star:3");
});

/** An event that answers both as an object and as a dict (e.type, e["type"], e.get("x")). */
class Event extends HostObject {
  constructor(readonly fields: Record<string, Value>) {
    super();
  }
  typeName(): string {
    return "event";
  }
  override attr(name: string): Value | undefined {
    if (name === "get")
      return hostMethod(this, "get", (_t, a, k) => {
        const [key, dflt] = unpackArgs("get", a, k, ["key", "default?"]);
        return this.fields[key as string] ?? dflt ?? null;
      });
    return this.fields[name];
  }
  override attrNames(): string[] {
    return [...Object.keys(this.fields), "get"].sort();
  }
  override index(key: Value): Value {
    const v = typeof key === "string" ? this.fields[key] : undefined;
    if (v === undefined) throw new EvalError(`key ${JSON.stringify(key)} not in event`);
    return v;
  }
  override len(): number {
    return Object.keys(this.fields).length;
  }
}

test("host: host objects with attributes, methods, indexing and membership", () => {
  const e = new Event({ type: "produce", topic: "orders" });
  assert.deepEqual(
    out('print(e.type, e["topic"], e.get("missing", "dflt"), len(e), "type" in e, "x" in e, dir(e))', {
      predeclared: { e },
    }),
    ['produce orders dflt 2 True False ["get", "topic", "type"]'],
  );
  failsWith("e.nope", /event has no \.nope field or method/, { predeclared: { e } });
  failsWith('e["nope"]', /key "nope" not in event/, { predeclared: { e } });
});

test("host: MappingObject is a ready-made dict-and-struct value", () => {
  const ev = new MappingObject(
    new Map<string, Value>([
      ["type", "fetch"],
      ["data", fromJS({ order_id: 7 })],
    ]),
    "event",
  );
  assert.deepEqual(
    out(
      'print(ev.type, ev["data"]["order_id"], ev.get("data").get("order_id"), sorted(ev.keys()), [k for k in ev])',
      { predeclared: { ev } },
    ),
    ['fetch 7 7 ["data", "type"] ["type", "data"]'],
  );
});

test("host: call() runs Starlark callbacks (lambdas passed as where=) from the host", () => {
  let where: Value = null;
  const monitor = makeBuiltin("monitor", (_t, a, k) => {
    where = unpackArgs("monitor", a, k, ["where"])[0]!;
    return null;
  });
  const interp = new Interpreter({ predeclared: { monitor } });
  interp.execFile("spec.star", 'monitor(where = lambda e: e["type"] == "produce" and e.get("n", 0) > 1)\n');
  assert.ok(isCallable(where));
  const thread = interp.newThread();
  const ev = (type: string, n: number) => fromJS({ type, n });
  assert.equal(call(thread, where, [ev("produce", 2)]), true);
  assert.equal(call(thread, where, [ev("fetch", 5)]), false);
  assert.throws(
    () => call(thread, where, [fromJS([1])]),
    (e: unknown) =>
      e instanceof StarlarkError && /list index: got string, want int/.test(e.msg) && e.pos?.line === 1,
  );
});

test("host: call() accepts keyword arguments as pairs or an object", () => {
  const { globals } = execFile("f.star", "def f(a, b = 2):\n    return a * 10 + b\n");
  const thread = new Interpreter().newThread();
  assert.equal(call(thread, globals.get("f")!, [1], { b: 5 }), 15);
  assert.equal(call(thread, globals.get("f")!, [], [["a", 3]]), 32);
});

test("host: fromJS / toJS convert plain data both ways", () => {
  const v = fromJS({ a: [1, 2.5, "x", null, true], b: { c: 1n << 70n } });
  assert.ok(v instanceof Dict);
  assert.ok((v.get("a") as List).elems[1] instanceof Float);
  assert.deepEqual(toJS(v), { a: [1, 2.5, "x", null, true], b: { c: 1n << 70n } });
  assert.deepEqual(toJS(fromJS(new Map([[1, "one"]]))), new Map([[1, "one"]]));
});

test("host: load() goes through the loader once per module and reports cycles", () => {
  const files: Record<string, string> = {
    "lib.star": 'print("loading lib")\ndef helper(x):\n    return x + 1\n_private = 1\n',
    "a.star": 'load("lib.star", "helper")\nA = helper(1)\n',
    "cyc1.star": 'load("cyc2.star", "x")\n',
    "cyc2.star": 'load("cyc1.star", "y")\n',
  };
  let loads = 0;
  const printed: string[] = [];
  const interp = new Interpreter({
    loader: (module) => {
      loads++;
      if (!(module in files)) throw new Error("no such file");
      return { filename: module, source: files[module]! };
    },
    thread: { print: (_t, m) => printed.push(m) },
  });
  const mod = interp.execFile(
    "main.star",
    'load("lib.star", "helper")\nload("a.star", "A")\nprint(helper(A))\n',
  );
  assert.ok(mod.globals.has("helper"));
  assert.deepEqual(printed, ["loading lib", "3"]);
  assert.equal(loads, 3); // lib.star executed once, served from cache the second time
  assert.throws(
    () => interp.execFile("m.star", 'load("lib.star", "_private")\n'),
    /load: names with leading underscores are not exported: _private/,
  );
  assert.throws(
    () => interp.execFile("m.star", 'load("lib.star", "helpr")\n'),
    /load: name helpr not found in module lib\.star \(did you mean helper\?\)/,
  );
  assert.throws(
    () => interp.execFile("m.star", 'load("nope.star", "x")\n'),
    /cannot load nope\.star: no such file/,
  );
  assert.throws(() => interp.execFile("m.star", 'load("cyc1.star", "x")\n'), /cycle in load graph/);
});

test("host: a syntax error in a loaded file keeps its own position", () => {
  const interp = new Interpreter({ loader: () => ({ filename: "bad.star", source: "x = (\n" }) });
  try {
    interp.execFile("m.star", 'load("bad.star", "x")\n');
    assert.fail("expected failure");
  } catch (e) {
    assert.ok(e instanceof StarlarkError);
    assert.equal(e.pos!.file.name, "bad.star");
    assert.match(e.msg, /cannot load bad\.star: got end of file/);
  }
});

test("host: module globals are frozen; values returned to the host are frozen too", () => {
  const { globals } = execFile("m.star", "cfg = {'a': [1]}\ns = set([1])\n");
  const interp = new Interpreter({ predeclared: { cfg: globals.get("cfg")!, s: globals.get("s")! } });
  assert.throws(() => interp.execFile("n.star", "cfg['b'] = 1\n"), /cannot insert into frozen hash table/);
  assert.throws(() => interp.execFile("n.star", "cfg['a'].append(2)\n"), /cannot append to frozen list/);
  assert.throws(() => interp.execFile("n.star", "s.add(2)\n"), /add: cannot insert into frozen hash table/);
});
