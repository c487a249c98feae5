// Produce and consume through both the Java console tools and kafkajs against one cluster, so each
// client reads what the other wrote.
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { kafkaTool, type TestKafka } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";

const { Kafka, logLevel } = kafkajs;

async function tool(name: string, version: string, args: string[], input?: string): Promise<string> {
  const argv = [...(await kafkaTool(name, version)), ...args];
  const r = await runCommand(argv, { input, timeoutMs: 90_000 });
  assert.equal(r.timedOut, false, `${name} timed out; stderr:\n${r.stderr}`);
  assert.equal(r.code, 0, `${name} exited ${r.code}; stderr:\n${r.stderr}`);
  return r.stdout;
}

async function consumeWithKafkajs(kafka: TestKafka, topic: string, count: number): Promise<string[]> {
  const client = new Kafka({
    clientId: "foundation-test",
    brokers: kafka.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const consumer = client.consumer({ groupId: `${topic}-kafkajs` });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kafkajs consumer saw ${seen.length} of ${count} records: ${seen.join(",")}`)),
        60_000,
      );
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? "");
          if (seen.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** Java tools and kafkajs write to one topic; both read everything back. */
export async function produceAndConsumeBothWays(kafka: TestKafka, topic: string): Promise<void> {
  const replication = String(Math.min(3, kafka.brokers.length));
  await tool("kafka-topics", kafka.version, [
    "--bootstrap-server",
    kafka.bootstrap,
    "--create",
    "--topic",
    topic,
    "--partitions",
    "3",
    "--replication-factor",
    replication,
  ]);
  const described = await tool("kafka-topics", kafka.version, [
    "--bootstrap-server",
    kafka.bootstrap,
    "--describe",
    "--topic",
    topic,
  ]);
  assert.match(described, new RegExp(`ReplicationFactor: ${replication}`));

  const fromJava = ["java-1", "java-2", "java-3", "java-4", "java-5"];
  await tool(
    "kafka-console-producer",
    kafka.version,
    ["--bootstrap-server", kafka.bootstrap, "--topic", topic, "--producer-property", "acks=all"],
    fromJava.join("\n") + "\n",
  );

  const fromJs = ["js-1", "js-2", "js-3", "js-4", "js-5"];
  const client = new Kafka({
    clientId: "foundation-test",
    brokers: kafka.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
  });
  const producer = client.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: fromJs.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }

  const expected = [...fromJava, ...fromJs].sort();
  const byKafkajs = await consumeWithKafkajs(kafka, topic, expected.length);
  assert.deepEqual([...byKafkajs].sort(), expected);

  const out = await tool("kafka-console-consumer", kafka.version, [
    "--bootstrap-server",
    kafka.bootstrap,
    "--topic",
    topic,
    "--from-beginning",
    "--max-messages",
    String(expected.length),
    "--timeout-ms",
    "60000",
  ]);
  assert.deepEqual(out.trim().split("\n").sort(), expected);
}
