// A spec against a broker that only lets authenticated clients in (its SASL_PLAINTEXT listener), with
// the credentials in the Kafka service's env: kafka_ready(), the publish/consume steps (through the
// proxy, where a drop rule still applies) and the topic() observer (directly) all authenticate.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { startKafka, type KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { runCommand } from "../../support/run-command.js";
import { root } from "../seed/cli.js";

let kafka: KafkaCluster;
const dirs: string[] = [];

before(async () => {
  kafka = await startKafka({ version: "4", sasl: { users: { alice: "alice-secret" } } });
});
after(async () => {
  await kafka?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function runSpec(lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-kafka-sasl-spec-"));
  dirs.push(dir);
  const spec = join(dir, "faultbox.star");
  writeFileSync(spec, lines.join("\n") + "\n");
  const r = await runCommand([process.execPath, join(root, "bin/faultbox.js"), "test", spec], {
    timeoutMs: 180_000,
  });
  assert.equal(r.timedOut, false);
  return r;
}

/**
 * The broker's SASL listener as the Kafka service, with credentials in env: as `remote=` (the form
 * docs/kafka.md shows), or as a placeholder process owning an interface on that port.
 */
function kafkaService(
  mechanism: string,
  password: string,
  topic: string,
  ready = "60s",
  remote = false,
): string[] {
  const saslPort = kafka.brokers[0]!.saslPort!;
  return [
    remote
      ? `kafka = service("kafka", interface("broker", "kafka", ${saslPort}), remote = "127.0.0.1:${saslPort}",`
      : `kafka = service("kafka", "sleep", interface("broker", "kafka", ${saslPort}), args = ["300"],`,
    `    env = {"KAFKA_SASL_MECHANISM": "${mechanism}", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "${password}"},`,
    `    healthcheck = kafka_ready(timeout = "${ready}"),`,
    // A remote service has no process, so no observe= of its own: another service with the same
    // credentials in its env reads the topic, naming the broker (the form docs/kafka.md shows).
    ...(remote
      ? [
          ")",
          `app = service("app", "sleep", args = ["300"],`,
          `    env = {"KAFKA_SASL_MECHANISM": "${mechanism}", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": "${password}"},`,
          `    observe = [topic("${topic}", broker = "127.0.0.1:${saslPort}")])`,
        ]
      : [`    observe = [topic("${topic}")])`]),
  ];
}

for (const [mechanism, remote] of [
  ["PLAIN", false],
  ["SCRAM-SHA-256", false],
  ["SCRAM-SHA-512", true],
] as const) {
  test(`spec with ${mechanism} credentials in env${remote ? " (remote=)" : ""}: kafka_ready, publish, consume, topic() and a drop rule`, async () => {
    const topic = `sasl-spec-${randomBytes(4).toString("hex")}`;
    const r = await runSpec([
      ...kafkaService(mechanism, "alice-secret", topic, "60s", remote),
      `lose_first = fault_assumption("lose_first", target = kafka.broker, rules = [drop(topic = "${topic}", times = 1)])`,
      "def test_authenticated():",
      `    lost = fault(lose_first, run = lambda: kafka.broker.publish(topic = "${topic}", data = "lost"))`,
      '    assert_true(lost.ok, "dropped publish is acknowledged: " + str(lost.error))',
      `    kept = kafka.broker.publish(topic = "${topic}", data = "kept")`,
      '    assert_true(kept.ok, "publish: " + str(kept.error))',
      `    got = kafka.broker.consume(topic = "${topic}")`,
      '    assert_true(got.ok, "consume: " + str(got.error))',
      '    assert_eq(got.data["value"], "kept")',
      `    assert_eventually(where = lambda e: e.type == "topic" and e.data["value"] == "kept")`,
      `    assert_never(where = lambda e: e.type == "topic" and e.data["value"] == "lost")`,
      "",
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 passed, 0 failed/);
  });
}

test("spec with a wrong password: the run fails naming the authentication failure", async () => {
  const topic = `sasl-spec-${randomBytes(4).toString("hex")}`;
  const r = await runSpec([
    ...kafkaService("SCRAM-SHA-256", "wrong", topic, "10s"),
    "def test_x():",
    "    pass",
    "",
  ]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stdout + r.stderr,
    /kafka_ready\(\) healthcheck timed out .*authentication failed.*invalid credentials with SASL mechanism SCRAM-SHA-256/i,
  );
});

test("spec with partial SASL env: a clear error naming the missing key", async () => {
  const saslPort = kafka.brokers[0]!.saslPort!;
  const r = await runSpec([
    `kafka = service("kafka", "sleep", interface("broker", "kafka", ${saslPort}), args = ["300"],`,
    `    env = {"KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "alice"})`,
    "def test_x():",
    '    kafka.broker.publish(topic = "t", data = "x")',
    "",
  ]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /KAFKA_SASL_PASSWORD is missing/);
});
