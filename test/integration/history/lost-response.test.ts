// Issue 13's show, on the shared 3-node Apache Kafka 4 cluster: a producer with retries and without
// idempotence, whose Produce answer is lost (lose_response), sends the batch again and the broker stores
// it twice; the history checker names the duplicated records. The idempotent producer under the same
// fault stores each record once. Java and kafkajs producers (services printing their sends as JSON
// lines) and the publish step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { useKafka } from "../../support/index.js";
import { createTopics } from "./topics.js";
import { faultboxJson, specFile, testNamed } from "./cli.js";
import { javaSourceCommand, producerService, type ProducerService } from "./drivers.js";

const COUNT = 30;

test("3-node Kafka: a lost Produce answer duplicates the records of non-idempotent producers, never of idempotent ones", async () => {
  const k = await useKafka({ nodes: 3 });
  const first = k.brokers[0]!;
  const run = randomBytes(3).toString("hex");
  const producers: ProducerService[] = [
    {
      name: "java_plain",
      client: "java",
      topic: `lr-java-plain-${run}`,
      count: COUNT,
      settings: {
        acks: "all",
        "enable.idempotence": "false",
        retries: "10",
        "max.in.flight.requests.per.connection": "1",
      },
    },
    {
      name: "java_idem",
      client: "java",
      topic: `lr-java-idem-${run}`,
      count: COUNT,
      settings: { acks: "all", "enable.idempotence": "true" },
    },
    {
      name: "kjs_plain",
      client: "kafkajs",
      topic: `lr-kjs-plain-${run}`,
      count: COUNT,
      settings: { IDEMPOTENT: "false", RETRIES: "10" },
    },
    {
      name: "kjs_idem",
      client: "kafkajs",
      topic: `lr-kjs-idem-${run}`,
      count: COUNT,
      settings: { IDEMPOTENT: "true" },
    },
  ];
  const stepTopic = `lr-step-${run}`;
  await createTopics(
    k.brokers.map((b) => `${b.host}:${b.port}`),
    [...producers.map((p) => p.topic), stepTopic].map((topic) => ({
      topic,
      partitions: 2,
      replicationFactor: 3,
    })),
  );
  const java = await javaSourceCommand();
  // Each producer loses two Produce answers, after its first five.
  const rules = producers
    .map((p) => `lose_response(api = "produce", client_id = "${p.name}", after = 5, times = 2)`)
    .join(",\n        ");
  const spec = specFile([
    `kafka = service("kafka", "sleep", interface("broker", "kafka", ${first.port}), args = ["900"],`,
    `    healthcheck = kafka_ready("${first.host}:${first.port}", timeout = "60s"),`,
    `    observe = [${[...producers.map((p) => p.topic), stepTopic].map((t) => `topic("${t}")`).join(", ")}])`,
    ...producers.map((p) => producerService(p, java)),
    "",
    'lost_answers = fault_assumption("lost_answers", target = kafka.broker, rules = [',
    `        ${rules},`,
    `        lose_response(api = "produce", client_id = "faultbox-step", after = 2, times = 2)])`,
    "",
    "def done(name):",
    '    assert_eventually(where = lambda e: e.type == "stdout" and e.service == name and e.data.get("done") == True, timeout = "180s")',
    "",
    "def produce_all():",
    `    for p in [${producers.map((p) => p.name).join(", ")}]:`,
    '        r = p.ctl.get(path = "/start")',
    '        assert_true(r.ok, "start: " + r.error)',
    "    for i in range(10):",
    `        r = kafka.broker.publish(topic = "${stepTopic}", key = "step-%d" % i, data = "v-%d" % i)`,
    '        assert_true(r.ok, "publish: " + r.error)',
    ...producers.map((p) => `    done("${p.name}")`),
    "",
    "def test_lost_produce_answers():",
    "    fault(lost_answers, run = produce_all)",
    ...[...producers.map((p) => [p.name, p.topic]), ["step", stepTopic]].map(
      ([name, topic]) => `    ${name}_history = check_history(topic = "${topic}")`,
    ),
    "    print(java_plain_history.summary)",
    "    print(java_idem_history.summary)",
    "    print(kjs_plain_history.summary)",
    "    print(kjs_idem_history.summary)",
    "    print(step_history.summary)",
  ]);
  const r = await faultboxJson(spec);
  const t = testNamed(r, "test_lost_produce_answers");
  assert.equal(t.result, "pass", `${t.reason}\n${r.stderr}`);
  const verdicts = new Map(
    (t.events ?? [])
      .filter((e) => e.type === "history_check")
      .map((e) => [
        (e.data.topics as string[])[0]!,
        e.data as { counts: Record<string, number>; anomalies: Record<string, { key: string }[]> },
      ]),
  );
  // What the checker said, for the log (not asserted as text).
  for (const e of (t.events ?? []).filter((x) => x.type === "history_check"))
    process.stderr.write(`# ${String(e.data.summary)}\n`);
  const lostAnswers = (t.events ?? []).filter((e) => e.type === "proxy" && e.data.action === "lose_response");
  for (const p of producers) {
    const v = verdicts.get(p.topic)!;
    assert.ok(v, `a verdict for ${p.topic}`);
    const fired = lostAnswers.filter((e) => e.data.topic === p.topic).length;
    assert.ok(fired >= 1, `${p.name}: lose_response fired (${fired})`);
    assert.equal(v.anomalies.lost!.length, 0, `${p.name}: nothing acknowledged is lost`);
    assert.equal(v.counts.acked, COUNT, `${p.name}: every send acknowledged`);
    const duplicated = v.anomalies.duplicated!.map((e) => e.key);
    if (p.name.endsWith("_plain")) {
      // One duplicate per lost answer: the batch whose answer was lost, stored again by the retry.
      assert.ok(
        duplicated.length >= 1 && duplicated.length <= 2,
        `${p.name}: duplicated ${duplicated.join(", ")}`,
      );
      assert.ok(duplicated.every((key) => key.startsWith(`${p.name}-`)));
    } else {
      assert.deepEqual(duplicated, [], `${p.name}: the idempotent producer stores each record once`);
      assert.equal(v.counts.stored, COUNT);
    }
  }
  const step = verdicts.get(stepTopic)!;
  assert.ok(
    step.anomalies.duplicated!.length >= 1,
    "the publish step (kafkajs, no idempotence, retries) duplicates",
  );
  assert.equal(step.anomalies.lost!.length, 0);
});
