// duplicate on idempotent and transactional producers, against real Kafka: the copy is the producer's
// own batch (same producer id, epoch and transactional flag, the sequences right after the original),
// so it is committed and aborted with its transaction and the producer's later sends go on normally.
// read_committed consumers see a committed duplicate twice and an aborted one not at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Kafka, Partitioners, logLevel } from "kafkajs";
import { useKafka } from "../../support/index.js";
import { duplicate } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, proxyFor, uniqueTopic } from "./helpers.js";
import { javaConsume, javaProducerSteps, lastSequences } from "./java-steps.js";

// kafkajs's notice about our bounded retry setting, and broker answers kafkajs retries with or without
// the proxy (a coordinator still loading, markers of the previous transaction still being written).
const BENIGN = /Limiting retries|concurrent operation on the same transaction|coordinator is loading/;

const transactionSteps = (p: number) => [
  "begin",
  `send:${p}:k:t1-a`,
  `send:${p}:dup-1:t1-dup`,
  `send:${p}:k:t1-b`,
  "commit",
  "begin",
  `send:${p}:dup-2:t2-dup-aborted`,
  `send:${p}:k:t2-aborted`,
  "abort",
  "begin",
  `send:${p}:k:t3-a`,
  `send:${p}:dup-3:t3-dup`,
  `send:${p}:k:t3-b`,
  "commit",
];
const EXPECTED_COMMITTED = ["t1-a", "t1-b", "t1-dup", "t1-dup", "t3-a", "t3-b", "t3-dup", "t3-dup"];

for (const version of ["4", "3.9"] as const) {
  test(`Kafka ${version}, Java 4.1.1 transactional producer: a duplicate in a committed transaction is read twice, in an aborted one not at all; later transactions succeed`, async () => {
    const kafka = await useKafka({ nodes: 1, version });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    try {
      const topic = uniqueTopic(`dtx-java-${version}`);
      await createTopic(proxy.bootstrap, topic);
      proxy.setRules([duplicate({ topic, key: "dup-*" })]);
      const r = await javaProducerSteps(proxy.bootstrap, topic, `tx-${randomUUID()}`, transactionSteps(0));
      assert.ok(r.ok, r.output);
      assert.doesNotMatch(r.output, /OUT_OF_ORDER|out of order|InvalidTxnState|Fenced/i);
      assert.deepEqual(
        (await javaConsume(proxy.bootstrap, topic, "read_committed")).sort(),
        EXPECTED_COMMITTED,
      );
      // read_uncommitted shows the aborted transaction's batch and its copy: both were stored, then
      // aborted together.
      const all = await javaConsume(proxy.bootstrap, topic, "read_uncommitted");
      assert.equal(all.filter((v) => v === "t2-dup-aborted").length, 2, all.join(","));
      assert.deepEqual(
        faults(events, "duplicate").map((e) => e.type === "fault" && [e.topic, e.idempotent]),
        [
          [topic, true],
          [topic, true],
          [topic, true],
        ],
      );
      assert.deepEqual(
        events.filter((e) => e.type === "warning" || e.type === "malformed"),
        [],
      );
    } finally {
      await proxy.close();
    }
  });
}

test("Kafka 4, kafkajs transactional producer: a duplicate in a committed transaction is read twice, in an aborted one not at all; later transactions succeed", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  const logs: string[] = [];
  const producer = new Kafka({
    clientId: "dup-tx-test",
    brokers: [proxy.bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => logs.push(`${entry.log.message} ${JSON.stringify(entry.log)}`),
    retry: { retries: 8, initialRetryTime: 100 },
  }).producer({
    transactionalId: `tx-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
    // Named, so kafkajs does not log its one-time (per process) warning about the default partitioner.
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    const topic = uniqueTopic("dtx-kjs");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([duplicate({ topic, key: "dup-*" })]);
    await producer.connect();
    // The same steps as the Java producer's.
    let tx: Awaited<ReturnType<typeof producer.transaction>> | undefined;
    for (const step of transactionSteps(0)) {
      if (step === "begin") tx = await producer.transaction();
      else if (step === "commit") await tx!.commit();
      else if (step === "abort") await tx!.abort();
      else {
        const [, partition, key, value] = step.split(":");
        await tx!.send({ topic, acks: -1, messages: [{ partition: Number(partition), key, value }] });
      }
    }
    assert.deepEqual(
      (await javaConsume(proxy.bootstrap, topic, "read_committed")).sort(),
      EXPECTED_COMMITTED,
    );
    assert.deepEqual(
      logs.filter((l) => !BENIGN.test(l)),
      [],
      "no error, not even a retried one",
    );
    assert.equal(faults(events, "duplicate").length, 3);
    assert.deepEqual(
      events.filter((e) => e.type === "warning" || e.type === "malformed"),
      [],
    );
  } finally {
    await producer.disconnect();
    await proxy.close();
  }
});

test("Kafka 4, Java 4.1.1 idempotent producer: each duplicate is stored twice and the producer's later sends succeed", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("didem-java");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([duplicate({ topic, key: "dup-*" })]);
    const r = await javaProducerSteps(proxy.bootstrap, topic, null, [
      "send:0:k:a",
      "send:0:dup-1:b",
      "send:0:dup-2:c",
      "send:0:k:d",
      "send:0:dup-3:e",
      "send:0:k:f",
    ]);
    assert.ok(r.ok, r.output);
    assert.doesNotMatch(r.output, /OUT_OF_ORDER|out of order/i);
    assert.deepEqual(await javaConsume(proxy.bootstrap, topic, "read_uncommitted"), [
      "a",
      "b",
      "b",
      "c",
      "c",
      "d",
      "e",
      "e",
      "f",
    ]);
    assert.equal(faults(events, "duplicate").length, 3);
    // The copies are the producer's own batches: the broker counted 9 batches of one record from one
    // producer (sequences 0-8), not 6 plus 3 anonymous copies.
    assert.deepEqual([...(await lastSequences(proxy.bootstrap, topic, 0)).values()], [8]);
    assert.deepEqual(
      events.filter((e) => e.type === "warning" || e.type === "malformed"),
      [],
    );
  } finally {
    await proxy.close();
  }
});
