// The versions Kafka 4.1 added, through the proxy against a real 4.1.1 broker: the Java 4.1.1 clients
// negotiate Produce 13 (topics named by id) and Fetch 18, the proxy's counters show it, and rules naming
// a topic still fire on them. Transactions v2 (KIP-890) are relayed: a Java transactional producer with
// a drop inside a transaction, read back by a Java read_committed consumer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { useKafka } from "../../support/index.js";
import { drop, duplicate, error } from "../../../src/protocols/kafka/rules/index.js";
import type { KafkaProxy } from "../../../src/protocols/kafka/proxy/index.js";
import { createTopic, faults, proxyFor, uniqueTopic } from "./helpers.js";
import { javaClient } from "./clients.js";
import { javaConsume, javaProducerSteps } from "./java-steps.js";

/** Versions of `api` clients sent through the proxy, ascending. */
const versionsUsed = (proxy: KafkaProxy, api: string): number[] =>
  Object.keys(proxy.stats.requestVersions[api] ?? {})
    .map(Number)
    .sort((a, b) => a - b);

test("Java 4.1.1 clients use Produce 13 and Fetch 18 through the proxy; drop, duplicate and error rules naming the topic fire on them", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("v13");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([
      drop({ topic, key: "drop-*" }),
      duplicate({ topic, key: "dup-*" }),
      error({ topic, key: "err-*", code: "NOT_LEADER_OR_FOLLOWER", times: 2 }),
    ]);
    const sent = await javaClient("4").produce(proxy.bootstrap, topic, [
      "k1:v1",
      "drop-1:v2",
      "dup-1:v3",
      "err-1:v4",
      "k5:v5",
    ]);
    assert.ok(sent.ok, sent.output);
    assert.doesNotMatch(sent.output, /OUT_OF_ORDER|out of order/i);
    proxy.clearRules();
    assert.deepEqual(versionsUsed(proxy, "Produce"), [13], "the producer's Produce version");

    const got = await javaConsume(proxy.bootstrap, topic, "read_uncommitted");
    assert.deepEqual(got, ["v1", "v3", "v3", "v4", "v5"]);
    assert.deepEqual(versionsUsed(proxy, "Fetch"), [18], "the consumer's Fetch version");

    assert.deepEqual(
      faults(events).map((e) => e.type === "fault" && [e.kind, e.api, e.topic]),
      [
        ["drop", "produce", topic],
        ["duplicate", "produce", topic],
        ["error", "produce", topic],
        ["error", "produce", topic],
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

test("Java 4.1.1 transactional producer (transactions v2 relayed): drop inside a transaction, the commit succeeds, an aborted transaction stays invisible, read_committed sees exactly the kept records", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("tv2");
    await createTopic(proxy.bootstrap, topic, 2);
    proxy.setRules([drop({ topic, key: "drop-*" })]);
    const r = await javaProducerSteps(proxy.bootstrap, topic, `tx-${randomUUID()}`, [
      "begin",
      "send:0:drop-1:t1-lost", // the first batch of partition 0 in this transaction: dropped
      "send:0:k:t1-a", // its sequence is lowered into the gap
      "send:1:k:t1-b",
      "send:0:drop-2:t1-lost-too",
      "send:0:k:t1-c",
      "commit",
      "begin",
      "send:0:k:t2-aborted",
      "send:1:k:t2-aborted",
      "abort",
      "begin",
      "send:0:k:t3-a",
      "send:1:drop-3:t3-lost",
      "send:1:k:t3-b",
      "commit",
    ]);
    assert.ok(r.ok, r.output);
    assert.doesNotMatch(r.output, /OUT_OF_ORDER|out of order|InvalidTxnState|Fenced/i);
    // Transactions v2: partitions join the transaction through Produce v12+ (no AddPartitionsToTxn from
    // the producer) and EndTxn v5 bumps the epoch at each transaction's end.
    assert.deepEqual(versionsUsed(proxy, "Produce"), [13]);
    assert.ok(versionsUsed(proxy, "EndTxn").includes(5), `EndTxn ${versionsUsed(proxy, "EndTxn")}`);
    assert.equal(proxy.stats.requestVersions.AddPartitionsToTxn, undefined);

    const got = await javaConsume(proxy.bootstrap, topic, "read_committed");
    assert.deepEqual(got.sort(), ["t1-a", "t1-b", "t1-c", "t3-a", "t3-b"]);
    assert.deepEqual(
      faults(events, "drop").map((e) => e.type === "fault" && [e.partition, e.idempotent]),
      [
        [0, true],
        [0, true],
        [1, true],
      ],
    );
  } finally {
    await proxy.close();
  }
});
