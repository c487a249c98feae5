// The response-side rules from a spec, through the CLI, against real Apache Kafka (test/support's
// shared broker): specs/response-rules.star (a lost ack stored twice, a held ack, throttled answers)
// and specs/response-blackhole.star (a librdkafka consumer silenced by client_id is evicted and rejoins).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { useKafka } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";
import { tool } from "../../support/tools.js";
import { root } from "../seed/cli.js";

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

/** The spec with its @NAMES@ filled in, written to a fresh directory. */
function specFrom(template: string, values: Record<string, string>): string {
  let text = readFileSync(join(root, "test/integration/kafka-spec/specs", template), "utf8");
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`@${k}@`, v);
  assert.doesNotMatch(text, /@[A-Z]+@/, "every placeholder filled");
  const dir = mkdtempSync(join(tmpdir(), "faultbox-response-rules-"));
  writeFileSync(join(dir, "faultbox.star"), text);
  return join(dir, "faultbox.star");
}

async function createTopics(bootstrap: string, topics: { topic: string; numPartitions: number }[]) {
  const admin = new Kafka({
    clientId: "spec-setup",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

const faultbox = (spec: string) =>
  runCommand([process.execPath, join(root, "bin/faultbox.js"), "test", spec], { timeoutMs: 600_000 });

test("a spec: lose_response stores a publish twice, delay_response acks after the broker stored, throttle answers carry the time", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const names = { LOST: unique("lost"), HELD: unique("held"), THROTTLED: unique("throttled") };
  await createTopics(
    bootstrap,
    Object.values(names).map((topic) => ({ topic, numPartitions: 1 })),
  );
  const spec = specFrom("response-rules.star", {
    PORT: bootstrap.split(":")[1]!,
    BOOTSTRAP: bootstrap,
    ...names,
  });
  const r = await faultbox(spec);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /3 passed, 0 failed/);
});

test("a spec: a librdkafka consumer blackholed by client_id is evicted, the other takes its partition, it rejoins after the window", async () => {
  const k = await useKafka();
  const bootstrap = k.bootstrap.split(",")[0]!;
  const topic = unique("silenced");
  await createTopics(bootstrap, [{ topic, numPartitions: 2 }]);
  const spec = specFrom("response-blackhole.star", {
    PORT: bootstrap.split(":")[1]!,
    BOOTSTRAP: bootstrap,
    TOPIC: topic,
    GROUP: unique("g"),
    VICTIM: unique("victim"),
    SURVIVOR: unique("survivor"),
    PYTHON: tool("python-confluent-kafka"),
    MEMBER: join(root, "test/integration/kafka-proxy/python/group_member.py"),
  });
  const r = await faultbox(spec);
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 passed, 0 failed/);
});
