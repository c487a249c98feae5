// Each test's event log holds only its own events: the connections a previous test's clients opened
// through a proxy close after that test ended, and their close events must not land in the next test
// (with a fresh broker per test, and with a reused one whose proxy keeps its connections).
import { test } from "node:test";
import assert from "node:assert/strict";
import { specFile, testWithJson, type JsonTest } from "./helpers.js";

function run(reuse: boolean): JsonTest[] {
  const r = testWithJson(
    specFile(`load("@faultbox/mocks/kafka.star", "kafka")
bus = kafka.broker(name = "bus", topics = {"orders": {"partitions": 1}}, reuse = ${reuse ? "True" : "False"})
def publish(data):
    assert_true(bus.broker.publish(topic = "orders", data = data).ok)
${["a", "b", "c"].map((n) => `def test_${n}():\n    publish("${n}")\n`).join("")}`),
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.tests;
}

for (const reuse of [false, true]) {
  test(`a connection's close is logged in the test where it opened, never in the next one (reuse=${reuse})`, () => {
    const tests = run(reuse);
    assert.equal(tests.length, 3);
    for (const t of tests) {
      const opened = new Map<unknown, number>();
      for (const e of t.events ?? []) {
        if (e.type === "proxy_conn_open") opened.set(e.data.conn_id, e.seq);
        if (e.type !== "proxy_conn_close") continue;
        assert.ok(
          opened.has(e.data.conn_id),
          `${t.name} logs the close of ${String(e.data.conn_id)} (event #${e.seq}) before opening it`,
        );
        opened.delete(e.data.conn_id);
      }
      assert.ok(
        (t.events ?? []).some((e) => e.type === "proxy_conn_open"),
        `${t.name} opened connections through the proxy`,
      );
    }
  });
}
