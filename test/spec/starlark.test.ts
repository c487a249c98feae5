import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import "../../src/index.js";
import { loadStarlarkSpec } from "../../src/spec/load.js";
import { runSuite } from "../../src/core/engine.js";
import { SpecError } from "../../src/core/errors.js";
import { SYSCALL_FAMILIES, getSyscallController, registerSyscallController } from "../../src/core/syscall.js";

function specDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "fb-star-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function loadError(text: string, extra: Record<string, string> = {}): Promise<SpecError> {
  const dir = specDir({ "spec/faultbox.star": text, ...extra });
  try {
    await loadStarlarkSpec(join(dir, "spec/faultbox.star"));
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err;
  }
  throw new Error("expected a load error");
}

test("unknown keyword arguments are rejected by name, with the spec line", async () => {
  const e = await loadError(
    'x = 1\nsvc = service("svc", "/bin/true", interface("main", "http", 8080), cmd = ["x"])\n',
  );
  assert.match(
    e.message,
    /service\("svc"\): unknown keyword argument "cmd" \(use args=\); valid: binary, image, remote/,
  );
  assert.equal(e.location?.line, 2);
  const e2 = await loadError('r = drop(topik = "x")\n');
  assert.match(e2.message, /drop\(\): unknown keyword argument "topik"; valid: method, op, path/);
});

test("syntax errors are reported with position and source line", async () => {
  const e = await loadError("def f(:\n  pass\n");
  assert.match(e.message, /faultbox\.star:1:\d+: /);
});

test("a spec error from the engine keeps the Starlark position (protocol rule the proxy cannot apply)", async () => {
  const e = await loadError(
    'svc = service("svc", "/bin/true", interface("main", "http", 8080))\nf = fault_assumption("f", target = svc.main, rules = [duplicate(topic = "t")])\n',
  );
  assert.match(e.message, /protocol "http" supports error, response, delay, drop rules, not duplicate/);
  assert.equal(e.location?.line, 2);
});

test("syscall faults without a syscall controller fail at load with a clear message", async () => {
  const controller = getSyscallController();
  registerSyscallController(undefined);
  try {
    const e = await loadError(
      'db = service("db", "/bin/true")\nf = fault_assumption("f", target = db, write = deny("EIO"))\n',
    );
    assert.match(e.message, /deny\("EIO"\): syscall faults need the seccomp syscall supervisor/);
  } finally {
    registerSyscallController(controller);
  }
});

test("syscall fault keywords are checked and recorded per target service (filters are fixed at launch)", async () => {
  const controller = getSyscallController();
  registerSyscallController({
    unavailableReason: () => undefined,
    wrap: async () => {
      throw new Error("not in this test");
    },
  });
  try {
    const dir = specDir({
      "faultbox.star":
        'db = service("db", "/bin/true")\nf = fault_assumption("f", target = db, write = deny("EIO"), fsync = delay("10ms"))\n',
    });
    const b = await loadStarlarkSpec(join(dir, "faultbox.star"));
    // Family names expand through the one table core and the supervisor share.
    assert.deepEqual(
      [...b.suite.syscallTargets.get("db")!].sort(),
      [...SYSCALL_FAMILIES.write!, ...SYSCALL_FAMILIES.fsync!].sort(),
    );
    assert.ok(b.suite.syscallTargets.get("db")!.has("pwritev"), "PostgreSQL's pwritev is a write");
    const e = await loadError(
      'db = service("db", "/bin/true")\nf = fault_assumption("f", target = db, wrte = deny("EIO"))\n',
    );
    assert.match(
      e.message,
      /unknown keyword "wrte" for service "db". Valid syscalls: write, read.*\(families\), or a raw syscall name \(.*pwrite64/,
    );
    const e2 = await loadError(
      'db = service("db", "/bin/true")\nf = fault_assumption("f", target = db, write = "EIO")\n',
    );
    assert.match(e2.message, /unknown keyword argument "write" \(a syscall fault like write=deny\("EIO"\)/);
    const e3 = await loadError('x = deny("EWHAT")\n');
    assert.match(e3.message, /deny\(\): unknown errno "EWHAT"; supported: /);
  } finally {
    registerSyscallController(controller);
  }
});

test("load() and load_json() are relative to the spec and refuse paths outside its folder", async () => {
  const dir = specDir({
    "spec/faultbox.star":
      'load("lib/helpers.star", "greeting")\ncfg = load_json("data/cfg.json")\nassert_ok = greeting + str(cfg["n"])\n',
    "spec/lib/helpers.star": 'greeting = "hi"\n',
    "spec/data/cfg.json": '{"n": 3}',
    "outside.star": "x = 1\n",
  });
  const b = await loadStarlarkSpec(join(dir, "spec/faultbox.star"));
  assert.equal(b.suite.tests.length, 0);
  const e = await loadError('load("../outside.star", "x")\n', { "outside.star": "x = 1\n" });
  assert.match(e.message, /outside the spec's folder/);
  const e2 = await loadError('x = load_file("../outside.star")\n', { "outside.star": "x = 1\n" });
  assert.match(e2.message, /load_file: "\.\.\/outside\.star" is outside the spec's folder/);
});

test("tests are discovered (def test_*, scenario, fault_scenario, matrix cells) and sorted", async () => {
  const dir = specDir({
    "faultbox.star": `
svc = service("svc", "/bin/true", interface("main", "http", 8080))
def test_b(): pass
def test_a(): pass
def flow(): pass
scenario(flow)
f1 = fault_assumption("f1", target = svc.main, rules = [error(status = 500)])
fault_scenario("fs", scenario = flow, faults = [f1])
fault_matrix(scenarios = [flow], faults = [f1])
def helper(): pass
`,
  });
  const b = await loadStarlarkSpec(join(dir, "faultbox.star"));
  assert.deepEqual(b.suite.tests.map((t) => t.name).sort(), [
    "test_a",
    "test_b",
    "test_flow",
    "test_fs",
    "test_matrix_flow_f1",
  ]);
});

test("events answer as objects and dicts; responses expose ok/status/data; failures carry the line", async () => {
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/missing" ? 404 : 200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ order_id: "o-1", path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    const dir = specDir({
      "faultbox.star": `
svc = service("svc", interface("main", "http", ${port}), remote = "127.0.0.1:${port}")
def test_shapes():
    r = svc.main.get(path = "/x")
    assert_true(r.ok and r and r.status == 200, "ok")
    assert_eq(r.data["order_id"], "o-1")
    recv = events(where = lambda e: e.type == "step_recv")
    assert_eq(len(recv), 1)
    e = recv[0]
    assert_eq(e.type, e["type"])
    assert_eq(e.data.get("status"), 200)
    assert_eq(e.get("method"), "get")
    assert_eq(e.service, "test")
    assert_eventually(where = lambda e: e.type == "step_send" and e.data["path"] == "/x")
    assert_never(where = lambda e: e.type == "proxy")

def test_monitor_runs_steps():
    seen = []
    def follow_up(event):
        # Reacts to every response, including (were they fed back) those of its own steps.
        if event["type"] == "step_recv" and event.get("status") == 200:
            r = svc.main.post(path = "/from-monitor")
            seen.append(r.status)
    monitor(follow_up)
    svc.main.get(path = "/a")
    svc.main.get(path = "/b")
    posts = events(where = lambda e: e.type == "step_send" and e.data.get("method") == "post")
    assert_eq(len(posts), 2, "one follow-up per test step, none for the monitor's own steps")
    assert_eq(seen, [200, 200])

def test_fails_at_line():
    r = svc.main.get(path = "/missing")
    assert_eq(r.status, 200, "found")
`,
    });
    const b = await loadStarlarkSpec(join(dir, "faultbox.star"));
    const r = await runSuite(b.suite, b.runtime, { seed: 3n });
    const shapes = r.tests.find((t) => t.name === "test_shapes")!;
    assert.equal(shapes.result, "pass", shapes.reason);
    assert.equal(shapes.assertions, 9);
    const nested = r.tests.find((t) => t.name === "test_monitor_runs_steps")!;
    assert.equal(nested.result, "pass", nested.reason);
    const failing = r.tests.find((t) => t.name === "test_fails_at_line")!;
    assert.equal(failing.reason, "assert_eq failed: 404 != 200 (found)");
    const text = readFileSync(join(dir, "faultbox.star"), "utf8").split("\n");
    assert.match(text[failing.location!.line - 1]!, /assert_eq\(r\.status, 200, "found"\)/);
    assert.equal(failing.failureType, "assertion");
  } finally {
    server.close();
  }
});

test("an error raised inside the @faultbox/ stdlib names the user's line that called it", async () => {
  const call = (args: string) =>
    loadError(`load("@faultbox/mocks/kafka.star", "kafka")\nx = 1\nbus = kafka.broker(${args})\n`);
  // fail() in the stdlib's own argument checks.
  const bad = await call('name = "bus", brokers = "two"');
  assert.match(bad.message, /kafka\.broker\(\): brokers= must be a positive int, got "two"/);
  assert.equal(bad.location?.line, 3);
  assert.match(bad.location?.file ?? "", /faultbox\.star$/);
  // A builtin the stdlib calls (service()) refusing a value the user passed through.
  const observe = await call('name = "bus", observe = [1]');
  assert.match(observe.message, /service\(\) observe items must be stdout\(\)\/stderr\(\)\/topic\(\), got 1/);
  assert.equal(observe.location?.line, 3);
  assert.match(observe.location?.file ?? "", /faultbox\.star$/);
  // A keyword the stdlib function does not take.
  const kw = await call('name = "bus", partitons = 3');
  assert.match(kw.message, /unexpected keyword argument "partitons" \(did you mean partitions\?\)/);
  assert.equal(kw.location?.line, 3);
  // ... and lists the keywords it takes, as service() and fault_assumption() do.
  const topics = await call('name = "bus", topcs = {}');
  assert.match(
    topics.message,
    /unexpected keyword argument "topcs" \(did you mean topics\?\); valid: name, interface, port, topics, partitions, brokers, auto_create_topics, observe, depends_on, reuse, healthcheck, advertise_host$/,
  );
});

test('kafka.broker() takes Go Faultbox\'s interface=interface(name, "kafka", port) form', async () => {
  const dir = specDir({
    "faultbox.star": [
      'load("@faultbox/mocks/kafka.star", "kafka")',
      'bus = kafka.broker(name = "bus", interface = interface("main", "kafka", 19093), topics = {"orders": []})',
      'lost = fault_assumption("lost", target = bus.main, rules = [drop(topic = "orders")])',
      "",
    ].join("\n"),
  });
  const builder = await loadStarlarkSpec(join(dir, "faultbox.star"));
  const bus = builder.suite.services.find((s) => s.name === "bus")!;
  assert.deepEqual(
    bus.interfaces.map((i) => [i.name, i.protocol, i.port]),
    [["main", "kafka", 19093]],
  );
  const wrong = await loadError(
    'load("@faultbox/mocks/kafka.star", "kafka")\nbus = kafka.broker(name = "bus", interface = interface("main", "http", 1))\n',
  );
  assert.match(
    wrong.message,
    /kafka\.broker\(\): interface= must be a "kafka" interface, got <interface main http:1>/,
  );
  assert.equal(wrong.location?.line, 2);
  const twice = await loadError(
    'load("@faultbox/mocks/kafka.star", "kafka")\nbus = kafka.broker(name = "bus", interface = interface("main", "kafka", 1), port = 2)\n',
  );
  assert.match(twice.message, /the port is given twice/);
});
