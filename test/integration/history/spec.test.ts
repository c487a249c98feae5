// check_history / assert_history / history_monitor in specs against real Apache Kafka (the shared broker
// of test/support), with the proxy's drop and duplicate rules: drop names the lost records, duplicate
// the duplicated ones, no fault gives a clean verdict, and --format json carries the full lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { useKafka } from "../../support/index.js";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { root } from "../seed/cli.js";
import { faultboxJson, specFile, testNamed } from "./cli.js";

test("real Kafka: no fault is clean, drop names the lost records, duplicate the duplicated ones", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const port = Number(bootstrap.split(":")[1]);
  const run = randomBytes(4).toString("hex");
  const t = (name: string) => `hist-${name}-${run}`;
  const spec = specFile([
    `kafka = service("kafka", "sleep", interface("broker", "kafka", ${port}), args = ["300"],`,
    `    healthcheck = kafka_ready("${bootstrap}", timeout = "60s"),`,
    `    observe = [topic("${t("clean")}"), topic("${t("drop")}"), topic("${t("dup")}"), topic("${t("assert")}"), topic("${t("monitor")}")])`,
    "",
    "def lossy(topic):",
    '    return fault_assumption("lossy_" + topic, target = kafka.broker, rules = [drop(topic = topic, after = 2, times = 2)])',
    "",
    "def send_five(topic):",
    "    for i in range(5):",
    '        r = kafka.broker.publish(topic = topic, key = "k-%d" % i, data = "v-%d" % i)',
    '        assert_true(r.ok, "publish: " + r.error)',
    "",
    "def read_all(topic, n):",
    "    for i in range(n):",
    '        r = kafka.broker.consume(topic = topic, group = topic + "-g", timeout = "20s")',
    '        assert_true(r.ok, "consume: " + r.error)',
    "",
    "def test_clean():",
    `    send_five("${t("clean")}")`,
    `    read_all("${t("clean")}", 5)`,
    `    v = check_history(topic = "${t("clean")}")`,
    "    assert_true(v.ok, v.summary)",
    "    assert_eq([v.sent, v.acked, v.stored, v.read], [5, 5, 5, 5])",
    "    assert_eq([v.lost, v.duplicated, v.skipped, v.delivered_twice], [0, 0, 0, 0])",
    `    assert_history(topic = "${t("clean")}")`,
    "",
    "def test_drop_names_lost():",
    `    fault(lossy("${t("drop")}"), run = lambda: send_five("${t("drop")}"))`,
    `    v = check_history(topic = "${t("drop")}")`,
    "    assert_eq(v.ok, False)",
    "    assert_eq([v.acked, v.stored, v.lost, v.duplicated], [5, 3, 2, 0])",
    '    assert_eq(sorted([e["key"] for e in v.examples["lost"]]), ["k-2", "k-3"])',
    "",
    "def test_duplicate_names_duplicates():",
    `    dup = fault_assumption("twice", target = kafka.broker, rules = [duplicate(topic = "${t("dup")}", times = 1)])`,
    `    fault(dup, run = lambda: send_five("${t("dup")}"))`,
    `    read_all("${t("dup")}", 6)`,
    `    v = check_history(topic = "${t("dup")}")`,
    "    assert_eq([v.acked, v.stored, v.read, v.lost, v.duplicated, v.delivered_twice], [5, 6, 6, 0, 1, 0])",
    '    assert_eq(v.examples["duplicated"][0]["key"], "k-0")',
    `    assert_history(topic = "${t("dup")}", allow = ["duplicated"])`,
    "",
    "def test_assert_history_fails_on_loss():",
    `    fault(lossy("${t("assert")}"), run = lambda: send_five("${t("assert")}"))`,
    `    assert_history(topic = "${t("assert")}")`,
    "",
    `fault_scenario("monitored", scenario = lambda: send_five("${t("monitor")}"), faults = lossy("${t("monitor")}"),`,
    `    monitors = [history_monitor(topic = "${t("monitor")}")])`,
  ]);
  const r = await faultboxJson(spec);
  const passed = (name: string) => {
    const x = testNamed(r, name);
    assert.equal(x.result, "pass", `${name}: ${x.reason}`);
  };
  passed("test_clean");
  passed("test_drop_names_lost");
  passed("test_duplicate_names_duplicates");
  assert.equal(r.code, 2, "the two tests that must fail make the run exit 2");

  const asserted = testNamed(r, "test_assert_history_fails_on_loss");
  assert.equal(asserted.result, "fail");
  assert.match(
    asserted.reason ?? "",
    new RegExp(
      `^assert_history: 2 acknowledged records lost \\(lost\\): key "k-2" at ${t("assert")}/0 offset 2: acknowledged here, not stored`,
    ),
  );
  // The JSON output has the full verdict of every check as a history_check event.
  const checks = (asserted.events ?? []).filter((e) => e.type === "history_check");
  assert.equal(checks.length, 1);
  const lost = (checks[0]!.data.anomalies as Record<string, { key: string }[]>).lost;
  assert.deepEqual(
    lost.map((e) => e.key),
    ["k-2", "k-3"],
  );

  const monitored = testNamed(r, "test_monitored");
  assert.equal(monitored.result, "fail");
  assert.match(monitored.reason ?? "", /^monitor violation: history_monitor: 2 acknowledged records lost/);
});

test("real Kafka: a publish refused by the broker is a definite failure, a cut connection an indeterminate one; acks=1 publishes", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const port = Number(bootstrap.split(":")[1]);
  const topic = `hist-fail-${randomBytes(4).toString("hex")}`;
  const spec = specFile([
    `kafka = service("kafka", "sleep", interface("broker", "kafka", ${port}), args = ["300"],`,
    `    healthcheck = kafka_ready("${bootstrap}", timeout = "60s"), observe = [topic("${topic}")])`,
    `denied = fault_assumption("denied", target = kafka.broker, rules = [error(topic = "${topic}", code = "TOPIC_AUTHORIZATION_FAILED")])`,
    `cut = fault_assumption("cut", target = kafka.broker, rules = [disconnect(topic = "${topic}")])`,
    "def test_outcomes():",
    `    r = kafka.broker.publish(topic = "${topic}", key = "one", data = "1", acks = 1)`,
    '    assert_true(r.ok, "acks=1: " + r.error)',
    `    refused = fault(denied, run = lambda: kafka.broker.publish(topic = "${topic}", key = "refused", data = "2"))`,
    `    lost = fault(cut, run = lambda: kafka.broker.publish(topic = "${topic}", key = "cut", data = "3"))`,
    "    assert_eq([refused.ok, lost.ok], [False, False])",
    `    v = check_history(topic = "${topic}")`,
    "    assert_eq([v.sent, v.acked, v.failed, v.indeterminate, v.stored], [3, 1, 1, 1, 1])",
    "    assert_true(v.ok, v.summary)",
  ]);
  const r = await faultboxJson(spec);
  const t = testNamed(r, "test_outcomes");
  assert.equal(t.result, "pass", t.reason);
  const sends = (t.events ?? []).filter((e) => e.type === "step_recv" && e.data.method === "publish");
  assert.deepEqual(
    sends.map((e) => [e.data.key, e.data.ok, e.data.definite, e.data.acks]),
    [
      ["one", true, undefined, 1],
      ["refused", false, true, undefined],
      ["cut", false, false, undefined],
    ],
  );
});

test("real Kafka: a TypeScript spec gets the same checks (checkHistory, assertHistory, historyMonitor)", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const port = Number(bootstrap.split(":")[1]);
  const topic = `hist-ts-${randomBytes(4).toString("hex")}`;
  const spec = join(dirname(specFile([])), "faultbox.spec.mts");
  writeFileSync(
    spec,
    `import { defineSpec } from ${JSON.stringify(join(root, "src/index.js"))};
import { topicSource } from ${JSON.stringify(join(root, "src/protocols/kafka/plugin/index.js"))};
export default defineSpec((fb) => {
  const kafka = fb.service("kafka", {
    binary: "sleep",
    args: ["300"],
    interfaces: [fb.interface("broker", "kafka", ${port})],
    observe: [topicSource(${JSON.stringify(topic)})],
  });
  const lossy = fb.faultAssumption("lossy", {
    target: kafka.broker,
    rules: [fb.rules.drop({ topic: ${JSON.stringify(topic)} })],
    monitors: [fb.historyMonitor({ topic: ${JSON.stringify(topic)} })],
  });
  fb.test("checked", async () => {
    await fb.fault(lossy, () => kafka.broker.call("publish", { topic: ${JSON.stringify(topic)}, key: "a", data: "a" }));
    await kafka.broker.call("publish", { topic: ${JSON.stringify(topic)}, key: "b", data: "b" });
    const v = await fb.checkHistory({ topic: ${JSON.stringify(topic)} });
    fb.assertEq([v.counts.acked, v.counts.stored, v.anomalies.lost.length], [2, 1, 1]);
    fb.assertEq(v.anomalies.lost[0].key, "a");
    await fb.assertHistory({ topic: ${JSON.stringify(topic)}, allow: ["lost", "divergent"] });
  });
});
`,
  );
  const r = await faultboxJson(spec);
  const t = testNamed(r, "test_checked");
  // The checks in the body pass; the window's history monitor fails the test with the lost record.
  assert.equal(t.result, "fail");
  assert.match(
    t.reason ?? "",
    /^monitor violation: history_monitor: 1 acknowledged record lost \(lost\): key "a"/,
  );
  assert.equal((t.events ?? []).filter((e) => e.type === "history_check").length, 3);
});
