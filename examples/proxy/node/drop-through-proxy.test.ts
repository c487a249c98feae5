// A Node test (node:test, kafkajs, faultbox's TypeScript client) that drives `faultbox proxy` over
// its HTTP control API:
//   faultbox proxy --kafka kafka=127.0.0.1:9092
//   FAULTBOX_PROXY_URL=http://127.0.0.1:8475 node --import tsx --test examples/proxy/node/drop-through-proxy.test.ts
// It adds a drop rule, produces (the producer gets its ack), checks that the broker stored nothing and
// that the proxy reported the fault, removes the rule, produces again and checks the record arrives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { FaultboxProxyClient } from "faultbox";

const faultbox = new FaultboxProxyClient(process.env.FAULTBOX_PROXY_URL ?? "http://127.0.0.1:8475");

/** Every value of partition 0, from the beginning up to its end offset (a fresh group each time). */
async function readAll(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [{ high }] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  if (Number(high) === 0) return [];
  const consumer = kafka.consumer({ groupId: `g-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${values.length} of ${high} records in 30 s`)),
      30_000,
    );
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? "");
        if (values.length >= Number(high)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

test("drop loses the record (ack, nothing stored, fault reported); without the rule it arrives", async () => {
  // Clients connect to the proxy, which the control API names.
  const { listen } = await faultbox.proxy("kafka");
  const kafka = new Kafka({ clientId: "orders-service", brokers: [listen], logLevel: logLevel.NOTHING });
  const topic = `orders-node-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const rule = await faultbox.addRule("kafka", { action: "drop", topic });

    await producer.send({ topic, acks: -1, messages: [{ key: "order-1", value: "lost" }] }); // acknowledged
    const fault = await faultbox.waitForEvent({ type: ["fault"], rule: rule.id });
    assert.deepEqual([fault.action, fault.topic], ["drop", topic]);
    assert.equal((await faultbox.rule("kafka", rule.id)).fired, 1);
    assert.deepEqual(
      await readAll(kafka, topic),
      [],
      "the broker stored nothing while the drop rule was active",
    );

    const removed = await faultbox.removeRule("kafka", rule.id);
    assert.deepEqual([removed.active, removed.fired], [false, 1]);
    await producer.send({ topic, acks: -1, messages: [{ key: "order-2", value: "kept" }] });
    assert.deepEqual(await readAll(kafka, topic), ["kept"]);
  } finally {
    await producer.disconnect();
  }
});
