// Service actions in a spec at load time: the constructors (kill(), restart(kill=True), ...), where they
// may go (a service, an interface's service, one node, a link), the node handles (svc.node(n),
// kafka.leader(...), svc.link(a, b)), and the load errors for wrong uses, from Starlark and TypeScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../src/index.js";
import { loadStarlarkSpec } from "../../src/spec/load.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { createApi } from "../../src/core/define.js";
import { SpecError } from "../../src/core/errors.js";

const SVCS =
  'app = service("app", "/bin/true", interface("main", "http", 8080))\n' +
  'kafka = service("kafka", interface("broker", "kafka", 9092), image = "apache/kafka:4.1.1")\n' +
  'ext = service("ext", interface("main", "http", 80), remote = "example.internal:80")\n';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fb-actions-"));
  writeFileSync(join(dir, "faultbox.star"), text);
  return join(dir, "faultbox.star");
}

const load = (text: string) => loadStarlarkSpec(write(SVCS + text));

async function loadError(text: string): Promise<string> {
  try {
    await load(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.message;
  }
  throw new Error("expected a load error");
}

test("actions go in rules= of an assumption on a service, an interface's service, a node or a link", async () => {
  const b = await load(
    'a = fault_assumption("a", target = kafka, rules = [restart()])\n' +
      'b = fault_assumption("b", target = kafka.broker, rules = [kill(), drop(topic = "t")])\n' +
      'c = fault_assumption("c", target = kafka.leader(topic = "orders", partition = 0), rules = [pause()])\n' +
      'd = fault_assumption("d", target = kafka.node(2), rules = [isolate(clients = True)])\n' +
      'e = fault_assumption("e", target = kafka.link(1, kafka.follower(topic = "t")), rules = [cut(one_way = True), delay(api = "fetch", delay = "2s")])\n' +
      'f = fault_assumption("f", target = kafka, rules = [restart(kill = True), stop()])\n' +
      "def s():\n    pass\n" +
      "fault_matrix(scenarios = [s], faults = [a, b, c, d, e, f])\n",
  );
  assert.deepEqual(
    b.suite.tests.map((t) => t.name).sort(),
    ["a", "b", "c", "d", "e", "f"].map((f) => `test_matrix_s_${f}`),
  );
});

test("the action constructors record their action and flags; their text is what a report shows", () => {
  const b = new SpecBuilder("/tmp/x.star", {
    repr: String,
    equals: (x, y) => x === y,
    truthy: Boolean,
  });
  assert.deepEqual(b.serviceAction("restart", { kill: true }), {
    kind: "service_action",
    action: "restart",
    params: { kill: true },
    text: "restart(kill=True)",
  });
  assert.equal(b.serviceAction("cut", { oneWay: false }).text, "cut(one_way=False)");
  assert.deepEqual(b.serviceAction("isolate", { clients: true }), {
    kind: "service_action",
    action: "isolate",
    params: { clients: true },
    text: "isolate(clients=True)",
  });
  assert.equal(b.serviceAction("pause").text, "pause()");
});

test("node handles: by id, by a Kafka selector (checked keywords), and links between two nodes", async () => {
  const fb = createApi(
    new SpecBuilder("/tmp/x.ts", { repr: String, equals: (x, y) => x === y, truthy: Boolean }),
  );
  const kafka = fb.service("kafka", {
    interfaces: [fb.interface("broker", "kafka", 9092)],
    image: "apache/kafka:4.1.1",
  });
  assert.equal(kafka.node(2).ref.text, "kafka.node(2)");
  const leader = kafka.select("leader", { topic: "orders", partition: 0 });
  assert.deepEqual(leader.ref.select, {
    name: "leader",
    protocol: "kafka",
    args: { topic: "orders", partition: 0 },
  });
  assert.equal(leader.ref.text, 'kafka.leader(topic="orders", partition=0)');
  assert.equal(kafka.link(1, leader).ref.text, 'kafka.link(1, kafka.leader(topic="orders", partition=0))');
  assert.throws(() => kafka.select("leader", { partition: 0 }), /kafka\.leader\(\) requires topic=/);
  assert.throws(
    () => kafka.select("leader", { topic: "t", replica: 1 }),
    /unknown keyword argument "replica"; valid: topic, partition/,
  );
  assert.throws(
    () => kafka.select("boss", {}),
    /no node selector "boss" \(it has leader, follower, controller\)/,
  );
  assert.equal(kafka.select("controller", {}).ref.text, "kafka.controller()");
  assert.throws(
    () => kafka.select("controller", { topic: "t" }),
    /kafka\.controller\(\) takes no arguments, got topic=/,
  );
  assert.throws(() => kafka.node(0), /a node id is a positive int/);
  assert.throws(() => kafka.link(2, 2), /a link joins two different nodes/);
  const a = fb.faultAssumption("crash", {
    target: kafka.select("leader", { topic: "t" }),
    rules: [fb.actions.kill()],
  });
  assert.equal(a.targetNode?.text, 'kafka.leader(topic="t")');
  assert.deepEqual(
    a.actions.map((x) => x.text),
    ["kill()"],
  );
});

test("load errors name the fault, the action and the fix", async () => {
  assert.match(
    await loadError('f = fault_assumption("f", target = ext, rules = [kill()])\n'),
    /fault_assumption\("f"\): kill\(\) cannot act on "ext": it is remote \(example\.internal:80\), so faultbox did not start it/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", target = kafka, rules = [cut()])\n'),
    /cut\(\) applies to a link between two nodes: target=kafka\.link\(1, 2\)/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", target = kafka, rules = [isolate()])\n'),
    /isolate\(\) applies to one node: target=kafka\.node\(2\)/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", target = kafka.link(1, 2), rules = [kill()])\n'),
    /kill\(\) acts on a service or a node, not on a link/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", rules = [restart()])\n'),
    /restart\(\) needs target=/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", target = kafka.node(1), rules = [drop(topic = "t")])\n'),
    /protocol rules go on an interface \(kafka\.<interface>\) or a link between two nodes/,
  );
  assert.match(
    await loadError('f = fault_assumption("f", target = app, rules = [drop(path = "/")])\n'),
    /rules= requires target to be an interface/,
  );
  assert.match(
    await loadError("k = restart(app)\n"),
    /restart\(\) takes no positional arguments; the service or node is the fault's target/,
  );
  assert.match(
    await loadError("k = restart(graceful = True)\n"),
    /restart\(\): unknown keyword argument "graceful"; valid: kill/,
  );
  assert.match(
    await loadError("k = kill(now = True)\n"),
    /kill\(\): unknown keyword argument "now" \(it takes none\)/,
  );
  assert.match(await loadError('k = cut(one_way = "yes")\n'), /cut\(\): one_way= must be True or False/);
  assert.match(
    await loadError("k = isolate(clients = 1)\n"),
    /isolate\(\): clients= must be True or False, got 1/,
  );
  assert.match(
    await loadError("k = isolate(client = True)\n"),
    /isolate\(\): unknown keyword argument "client"; valid: clients/,
  );
  assert.match(
    await loadError("k = cut(clients = True)\n"),
    /cut\(\): unknown keyword argument "clients"; valid: one_way/,
  );
  assert.match(await loadError("n = app.node(0)\n"), /app\.node\(\): a node id is a positive int/);
  assert.match(await loadError('n = app.leader(topic = "t")\n'), /has no attribute|leader/);
  assert.match(await loadError('n = kafka.leader("t")\n'), /kafka\.leader\(\) takes keyword arguments only/);
  assert.match(await loadError("n = kafka.link(1)\n"), /kafka\.link\(a, b\) takes two nodes/);
  assert.match(
    await loadError(
      'def t():\n    fault(kafka, drop(topic = "t"), run = lambda: None)\nx = 1\n' +
        "fault(kafka, drop(), run = lambda: None)\n",
    ),
    /fault\(service, \.\.\.\) takes service actions/,
  );
  assert.match(
    await loadError("fault(kafka.node(1), drop(), run = lambda: None)\n"),
    /takes service actions: kill\(\), restart\(\), stop\(\), pause\(\), isolate\(\)/,
  );
  assert.match(await loadError("x = kafka.restart()\n"), /can only be used while a test runs/);
});
