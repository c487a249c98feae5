// --pool and --parallel on real Apache Kafka: a fault matrix whose cells each get a fresh broker (a local
// Kafka standing in for the image) gives the same verdicts and report serially and in lanes, where
// several brokers of the same service run side by side on their own ports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { faultbox } from "./cli-helpers.js";
import { comparable, type Json } from "../../cli/compare-results.js";

const SPEC = `
kafka = service("kafka", interface("broker", "kafka", 0), image = "apache/kafka:4.1.1",
    healthcheck = ready(timeout = "120s"), observe = [topic("lanes", decoder = json_decoder())])
lost = fault_assumption("lost", target = kafka.broker, rules = [drop(topic = "lanes")])
twice = fault_assumption("twice", target = kafka.broker, rules = [duplicate(topic = "lanes")])

def publish(ids):
    for id in ids:
        r = kafka.broker.publish(topic = "lanes", key = id, data = '{"id": "' + id + '"}')
        assert_true(r.ok, "publish " + id + ": " + r.error)
    for id in ids:
        assert_eventually(where = lambda e: e.type == "topic" and e.data.get("id") == id, timeout = "5s")

def one():
    publish(["a"])

def two():
    publish(["b", "c"])

fault_matrix(scenarios = [one, two], faults = [lost, twice])
`;

test("real Kafka: a matrix with a fresh broker per cell, serial and with --pool --parallel 2, same report", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-lanes-kafka-"));
  try {
    const spec = join(dir, "faultbox.star");
    writeFileSync(spec, SPEC);
    const docs = [[], ["--pool", "--parallel", "2"]].map((flags, i) => {
      const out = join(dir, `r${i}.json`);
      const r = faultbox(["test", spec, "--seed", "9", "--output", out, ...flags], {}, 600_000);
      assert.equal(r.status, 2, r.stdout + r.stderr); // the drop cells fail: the records never arrive
      return JSON.parse(readFileSync(out, "utf8")) as Json;
    });
    const [serial, lanes] = docs as [Json, Json];
    assert.deepEqual(
      (serial.tests as Json[]).map((t) => [t.name, t.result]),
      [
        ["test_matrix_one_lost", "fail"],
        ["test_matrix_one_twice", "pass"],
        ["test_matrix_two_lost", "fail"],
        ["test_matrix_two_twice", "pass"],
      ],
    );
    assert.deepEqual((lanes.lanes as Json).lanes, 4);
    const { lanes: _l, ...rest } = lanes;
    // Fresh brokers: each cell's broker saw its own records only (the topic events are the same).
    assert.deepEqual(comparable(rest), comparable(serial));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
