// InitProducerId without a transactional id, side by side on Apache Kafka 4.1.1 and the embedded broker:
// Kafka hands out a fresh producer id at epoch 0 whatever id and epoch the request presents (its
// transaction coordinator ignores them when there is no transactional id), and refuses a request that
// sets only one of the two. @platformatic/kafka's idempotent producer presents id 0 / epoch 0, so it
// works on either broker only if the embedded one answers as Kafka does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { API_KEYS, KAFKA_ERRORS as E } from "../../../src/protocols/kafka/wire/index.js";
import { useKafka } from "../../support/index.js";
import { RawClient } from "../../kafka-broker/raw-client.js";
import { kafkajs, kafkajsClient, platformatic } from "./clients.js";

/** The answers of one broker to a fixed sequence of non-transactional InitProducerId requests. */
async function initProducerIdAnswers(bootstrap: string): Promise<unknown[]> {
  const c = await RawClient.open(bootstrap.split(",")[0]!);
  try {
    const init = async (producerId: bigint, producerEpoch: number) => {
      // A broker that has just started may still be loading its producer id block: Kafka answers
      // COORDINATOR_LOAD_IN_PROGRESS, and clients ask again.
      for (let attempt = 1; ; attempt++) {
        const r = await c.call(API_KEYS.InitProducerId, 4, {
          transactionalId: null,
          transactionTimeoutMs: 60000,
          producerId,
          producerEpoch,
        });
        if (r.errorCode !== E.COORDINATOR_LOAD_IN_PROGRESS || attempt === 100) return r;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const seen = new Set<bigint>();
    const answers: unknown[] = [];
    for (const [id, epoch] of [
      [-1n, -1],
      [0n, 0], // what @platformatic/kafka sends
      [-2n, 0], // the id the first answer gave, at its epoch (filled in below)
      [-2n, 7], // the same id at an epoch it never had
    ] as [bigint, number][]) {
      const r = await init(id === -2n ? [...seen][0]! : id, epoch);
      const fresh = r.errorCode === E.NONE && r.producerId >= 0n && !seen.has(r.producerId);
      seen.add(r.producerId);
      answers.push({ errorCode: r.errorCode, producerEpoch: r.producerEpoch, fresh });
    }
    // One of the two set without the other is a malformed request.
    answers.push((await init(-1n, 3)).errorCode, (await init(5n, -1)).errorCode);
    return answers;
  } finally {
    c.close();
  }
}

const KAFKA_ANSWERS = [
  { errorCode: E.NONE, producerEpoch: 0, fresh: true },
  { errorCode: E.NONE, producerEpoch: 0, fresh: true },
  { errorCode: E.NONE, producerEpoch: 0, fresh: true },
  { errorCode: E.NONE, producerEpoch: 0, fresh: true },
  E.INVALID_REQUEST,
  E.INVALID_REQUEST,
];

test("InitProducerId without a transactional id: Apache Kafka 4.1.1 and the embedded broker answer alike", async () => {
  const real = await useKafka({ nodes: 1, version: "4" });
  assert.equal(real.version, "4.1.1");
  assert.deepEqual(await initProducerIdAnswers(real.bootstrap), KAFKA_ANSWERS, "Apache Kafka 4.1.1");
  const embedded = await startEmbeddedKafka({});
  try {
    assert.deepEqual(await initProducerIdAnswers(embedded.bootstrap), KAFKA_ANSWERS, "embedded broker");
  } finally {
    await embedded.close();
  }
});

test("@platformatic/kafka's idempotent producer and group consumer work on Apache Kafka 4.1.1 and the embedded broker", async () => {
  const values = Array.from({ length: 5 }, (_, i) => `platformatic-${i}`);

  const real = await useKafka({ nodes: 1, version: "4" });
  const topic = `platformatic-${process.pid}-${Date.now()}`;
  const admin = kafkajsClient(real.bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  await platformatic.produce(real.bootstrap, topic, values);
  const gotReal = await platformatic.consume(real.bootstrap, topic, `${topic}-group`, values.length);
  assert.deepEqual([...gotReal].sort(), values, "Kafka 4.1.1: @platformatic/kafka read back what it wrote");
  const crossReal = await kafkajs.consume(real.bootstrap, topic, `${topic}-kafkajs`, values.length);
  assert.deepEqual([...crossReal].sort(), values, "Kafka 4.1.1: kafkajs reads the same records");

  const embedded = await startEmbeddedKafka({ topics: [{ name: "orders", partitions: 2 }] });
  try {
    await platformatic.produce(embedded.bootstrap, "orders", values);
    const stored = embedded.messages("orders");
    assert.deepEqual(stored.map((m) => m.value!.toString()).sort(), values, "stored exactly once");
    assert.ok(
      stored.every((m) => m.producerId >= 0n),
      "stored as idempotent batches (with the producer id the broker handed out)",
    );
    const got = await platformatic.consume(embedded.bootstrap, "orders", "platformatic-group", values.length);
    assert.deepEqual([...got].sort(), values, "embedded: @platformatic/kafka read back what it wrote");
  } finally {
    await embedded.close();
  }
});
