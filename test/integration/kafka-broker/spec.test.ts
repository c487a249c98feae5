// `load("@faultbox/mocks/kafka.star", "kafka")` end to end through the CLI: seeded topics, steps, the
// topic observer and a drop rule in front of the embedded broker; and a bad topics= value named clearly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../support/run-command.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const faultbox = (spec: string) =>
  runCommand(["node", join(root, "bin/faultbox.js"), "test", spec], { timeoutMs: 120_000 });

test("a spec on kafka.broker(): seeded topics, publish/consume, topic observer, drop rule", async () => {
  const r = await faultbox(join(root, "test/integration/kafka-broker/specs/embedded.star"));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /4 passed, 0 failed/);
});

test("kafka.broker() with a malformed topic list fails with a message naming the service", async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-embedded-"));
  const spec = join(dir, "faultbox.star");
  writeFileSync(
    spec,
    [
      'load("@faultbox/mocks/kafka.star", "kafka")',
      'bus = kafka.broker(name = "bus", topics = {"orders": {"partitons": 3}})',
      "def test_x():",
      '    bus.broker.publish(topic = "orders", data = "x")',
      "",
    ].join("\n"),
  );
  const r = await faultbox(spec);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout + r.stderr,
    /service "bus" \(embedded Kafka\): topic "orders": unknown key "partitons"; valid: partitions, messages/,
  );
});

test('Go Faultbox\'s form kafka.broker(interface=interface("main", "kafka", port)) runs: steps and a drop rule on bus.main', async () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-embedded-"));
  const spec = join(dir, "faultbox.star");
  writeFileSync(
    spec,
    [
      'load("@faultbox/mocks/kafka.star", "kafka")',
      "",
      "bus = kafka.broker(",
      '    name = "bus",',
      '    interface = interface("main", "kafka", 19093),',
      '    topics = {"orders": []},',
      '    observe = [topic("orders")],',
      ")",
      'lost = fault_assumption("lost", target = bus.main, rules = [drop(topic = "orders")])',
      "",
      "def test_publish_consume():",
      '    r = bus.main.publish(topic = "orders", data = "o-1", key = "k")',
      "    assert_true(r.ok, r.error)",
      '    assert_eq(bus.main.consume(topic = "orders").data["value"], "o-1")',
      "",
      "def lose():",
      '    bus.main.publish(topic = "orders", data = "o-2")',
      "",
      "def test_drop():",
      "    fault(lost, run = lose)",
      '    assert_eq(len(events(where = lambda e: e.type == "topic")), 0, "the dropped record is not stored")',
      "",
    ].join("\n"),
  );
  const r = await faultbox(spec);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed, 0 failed/);
});
