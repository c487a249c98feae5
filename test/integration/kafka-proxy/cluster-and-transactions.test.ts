// drop and duplicate on a 3-node Kafka 4 cluster (a topic with 3 partitions, replication factor 3, so
// produce requests reach several proxy node listeners), and a transactional kafkajs producer through a
// drop rule. Every test asserts the exact set of records a fresh consumer group reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Kafka, Partitioners, logLevel, type Producer } from "kafkajs";
import { useKafka, kafkaTool } from "../../support/index.js";
import { drop, duplicate } from "../../../src/protocols/kafka/rules/index.js";
import type { KafkaProxyEvent } from "../../../src/protocols/kafka/proxy/index.js";
import { createTopic, faults, kafkajs, proxyFor, run, uniqueTopic } from "./helpers.js";

const PARTITIONS = 3;
// kafkajs's notice about our bounded retry setting, and broker answers it retries (see the transaction test).
const BENIGN_TRANSACTION_RETRIES = new RegExp(
  [
    "Limiting retries for the idempotent producer",
    "concurrent operation on the same transaction",
    "coordinator is loading",
    "not the correct coordinator",
    "coordinator is not available",
  ].join("|"),
);

/**
 * A kafkajs client whose warnings and errors are kept, so a retried sequence error cannot hide. Its
 * producers name their partitioner: kafkajs otherwise warns once per process about the default one,
 * in whichever test creates the first producer.
 */
function loggingKafka(bootstrap: string, logs: string[]): Kafka {
  return new Kafka({
    clientId: "cluster-tx-test",
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => logs.push(`${entry.log.message} ${JSON.stringify(entry.log)}`),
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

/**
 * Reads every record of `topic` from the beginning with a fresh group (read_committed, kafkajs's
 * default) as "partition:value", sorted. Waits until `expectAtLeast` arrived, then a little longer so an
 * extra copy shows up too.
 */
async function readCommitted(bootstrap: string, topic: string, expectAtLeast: number): Promise<string[]> {
  const consumer = kafkajs(bootstrap).consumer({
    groupId: `g-${randomUUID()}`,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
    readUncommitted: false,
  });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, 20000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            got.push(`${partition}:${message.value?.toString() ?? ""}`);
            if (got.length === expectAtLeast) {
              clearTimeout(timer);
              setTimeout(resolve, 1500);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got.sort();
}

/**
 * Leaders of the topic's partitions, as node ids. Right after creation a broker of the cluster may not
 * know the topic yet (its metadata lags the controller's): retried until every partition has a leader.
 */
async function leadersOf(bootstrap: string, topic: string): Promise<number[]> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = meta.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
        if (partitions.length === PARTITIONS && partitions.every((p) => p.leader >= 0))
          return partitions.map((p) => p.leader);
      } catch (e) {
        if (!(e as { retriable?: boolean }).retriable || Date.now() > deadline) throw e;
      }
      if (Date.now() > deadline) throw new Error(`no leader for every partition of ${topic} within 30 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** The proxy listeners ("node 2", ...) whose connections carried the given fault events. */
function listenersOf(events: KafkaProxyEvent[], fired: KafkaProxyEvent[]): Set<string> {
  const listenerOf = new Map<string, string>();
  for (const e of events) if (e.type === "connection") listenerOf.set(e.connection, e.listener);
  return new Set(fired.map((e) => (e.type === "fault" ? (listenerOf.get(e.connection) ?? "?") : "?")));
}

/** A key the Java client's default partitioner (murmur2, which kafkajs's default copies) puts on `partition`. */
function keyFor(partition: number, name: string): string {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({
    partitionId: i,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
  }));
  for (let n = 0; ; n++) {
    const key = `${name}-${n}`;
    if (partitioner({ topic: "t", partitionMetadata, message: { key, value: null } }) === partition)
      return key;
  }
}

async function threeNodeTopic(prefix: string) {
  const kafka = await useKafka({ nodes: 3, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic(prefix);
    await createTopic(proxy.bootstrap, topic, PARTITIONS, 3);
    const leaders = await leadersOf(proxy.bootstrap, topic);
    assert.ok(new Set(leaders).size >= 2, `leaders not spread across nodes: ${leaders.join(",")}`);
    return { proxy, events, topic, leaders };
  } catch (e) {
    await proxy.close(); // else its listeners keep the test process alive until the file times out
    throw e;
  }
}

async function sendEach(
  producer: Pick<Producer, "send">,
  topic: string,
  records: [partition: number, value: string][],
) {
  for (const [partition, value] of records)
    await producer.send({ topic, acks: -1, messages: [{ partition, key: value, value }] });
}

test("3-node cluster, kafkajs idempotent producer: drop(partition=1) loses exactly that partition's records, duplicate(key=) stores twice, later sends still succeed", async () => {
  const { proxy, events, topic, leaders } = await threeNodeTopic("c3-kjs");
  const logs: string[] = [];
  const producer = loggingKafka(proxy.bootstrap, logs).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await producer.connect();
    // Partition 1 first gets a stored batch: the broker then knows the producer's sequence there and
    // would refuse a gap after the drops (a producer new to a partition may start at any sequence).
    await sendEach(producer, topic, [[1, "pre1"]]);
    proxy.setRules([drop({ topic, partition: 1 }), duplicate({ topic, key: "dup-*" })]);
    await sendEach(producer, topic, [
      [0, "a0"],
      [1, "a1"], // dropped
      [2, "a2"],
      [0, "dup-b0"], // stored twice
      [1, "b1"], // dropped
      [2, "dup-b2"], // stored twice
      [1, "dup-c1"], // drop wins: the first matching rule decides
    ]);
    proxy.clearRules();
    // The same producer goes on: partition 1's sequences now start after three dropped batches.
    await sendEach(producer, topic, [
      [0, "d0"],
      [1, "d1"],
      [2, "d2"],
      [1, "e1"],
    ]);
    const expected = ["1:pre1", "0:a0", "2:a2", "0:dup-b0", "0:dup-b0", "2:dup-b2", "2:dup-b2"];
    expected.push("0:d0", "1:d1", "2:d2", "1:e1");
    assert.deepEqual(await readCommitted(proxy.bootstrap, topic, expected.length), expected.sort());
    assert.deepEqual(
      logs.filter((l) => /OUT_OF_ORDER|sequence/i.test(l)),
      [],
      "no sequence error, not even a retried one",
    );
    const drops = faults(events, "drop");
    const dups = faults(events, "duplicate");
    assert.deepEqual(
      drops.map((e) => e.type === "fault" && [e.partition, e.records, e.idempotent]),
      [
        [1, 1, true],
        [1, 1, true],
        [1, 1, true],
      ],
    );
    assert.deepEqual(
      dups.map((e) => e.type === "fault" && e.partition),
      [0, 2],
    );
    // Each duplicate went through the listener of its partition's leader.
    assert.deepEqual(listenersOf(events, dups), new Set([`node ${leaders[0]}`, `node ${leaders[2]}`]));
  } finally {
    await producer.disconnect();
    await proxy.close();
  }
});

test("3-node cluster, Java console producer: drop(after=2, times=2) loses exactly the 3rd and 4th records, duplicate(key=) stores twice, later sends to the same partitions succeed", async () => {
  const { proxy, events, topic } = await threeNodeTopic("c3-java");
  try {
    // One record per partition in turn, so the dropped records' partitions get later records too.
    const keys = Array.from({ length: 9 }, (_, i) => keyFor(i % PARTITIONS, i === 6 ? "dup" : `k${i}`));
    const lines = keys.map((k, i) => `${k}:v${i}`);
    proxy.setRules([drop({ topic, after: 2, times: 2 }), duplicate({ topic, key: "dup-*" })]);
    const argv = await kafkaTool("kafka-console-producer", "4");
    const r = await run(
      [
        ...argv,
        "--bootstrap-server",
        proxy.bootstrap,
        "--topic",
        topic,
        "--sync",
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=:",
        "--producer-property",
        "acks=all",
        "--producer-property",
        "enable.idempotence=true",
      ],
      { input: lines.join("\n") + "\n", timeoutMs: 60000 },
    );
    const output = r.stdout + r.stderr;
    assert.equal(r.code, 0, output);
    assert.doesNotMatch(output, /\] ERROR /, "a send failed");
    assert.doesNotMatch(output, /OUT_OF_ORDER|out of order/i, "no sequence error, not even a retried one");
    proxy.clearRules();
    // v2 (partition 2) and v3 (partition 0) dropped; v6 (partition 0) duplicated.
    const expected = ["0:v0", "1:v1", "1:v4", "2:v5", "0:v6", "0:v6", "1:v7", "2:v8"];
    assert.deepEqual(await readCommitted(proxy.bootstrap, topic, expected.length), expected.sort());
    assert.deepEqual(
      faults(events, "drop").map((e) => e.type === "fault" && [e.partition, e.records, e.idempotent]),
      [
        [2, 1, true],
        [0, 1, true],
      ],
    );
    assert.deepEqual(
      faults(events, "duplicate").map((e) => e.type === "fault" && e.partition),
      [0],
    );
  } finally {
    await proxy.close();
  }
});

test("3-node cluster, kafkajs transactional producer: drop(times=1) inside a transaction, the commit succeeds, later transactions succeed, read_committed sees exactly the kept records", async () => {
  const { proxy, events, topic } = await threeNodeTopic("c3-tx");
  const logs: string[] = [];
  const producer = loggingKafka(proxy.bootstrap, logs).producer({
    transactionalId: `tx-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await producer.connect();

    const t1 = await producer.transaction();
    // Partition 0 first gets a stored batch, so the broker knows the producer's sequence there and would
    // refuse a gap (a producer new to a partition may start at any sequence). The rule is added mid-way.
    await sendEach(t1, topic, [[0, "t1-a"]]);
    proxy.setRules([drop({ topic, times: 1 })]);
    await sendEach(t1, topic, [
      [0, "t1-b"], // dropped: the first produce on the topic after the rule
      [1, "t1-c"],
      [0, "t1-d"], // same partition as the dropped batch: its sequence must be lowered
      [2, "t1-e"],
    ]);
    await t1.commit();

    // An aborted transaction: read_committed must not show it, and it must not block later ones.
    const t2 = await producer.transaction();
    await sendEach(t2, topic, [
      [0, "t2-aborted"],
      [1, "t2-aborted"],
    ]);
    await t2.abort();

    const t3 = await producer.transaction();
    await sendEach(t3, topic, [
      [0, "t3-a"],
      [1, "t3-b"],
      [2, "t3-c"],
    ]);
    await t3.commit();

    const expected = ["0:t1-a", "1:t1-c", "0:t1-d", "2:t1-e", "0:t3-a", "1:t3-b", "2:t3-c"];
    assert.deepEqual(await readCommitted(proxy.bootstrap, topic, expected.length), expected.sort());
    // The broker answers CONCURRENT_TRANSACTIONS to the next AddPartitionsToTxn while it still writes the
    // previous transaction's markers, and a new cluster's coordinator may be loading or moving; kafkajs
    // retries these, with or without the proxy (seen against the brokers directly). Anything else logged
    // (an out-of-order sequence, an invalid transaction state, a fenced epoch) is the proxy's doing.
    assert.deepEqual(
      logs.filter((l) => !BENIGN_TRANSACTION_RETRIES.test(l)),
      [],
      "no other error, not even a retried one",
    );
    assert.deepEqual(
      faults(events, "drop").map((e) => e.type === "fault" && [e.partition, e.records, e.idempotent]),
      [[0, 1, true]],
    );
  } finally {
    await producer.disconnect();
    await proxy.close();
  }
});
