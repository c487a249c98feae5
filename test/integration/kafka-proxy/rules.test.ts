// delay, non-retriable errors, errors on consumer APIs, disconnect, and rules changed while traffic flows,
// against a real single-node Kafka 4.
import { test } from "node:test";
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { useKafka } from "../../support/index.js";
import { delay, disconnect, drop, error } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, kafkajs, proxyFor, readAll, uniqueTopic } from "./helpers.js";
import { javaClient, kafkajsClient, kcatClient, pythonClient } from "./clients.js";

const HOLD_MS = 700;

test("delay holds matching produce requests only: a producer of another topic is not held", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const slow = uniqueTopic("slow");
    const fast = uniqueTopic("fast");
    await createTopic(proxy.bootstrap, slow);
    await createTopic(proxy.bootstrap, fast);
    const p1 = kafkajs(proxy.bootstrap).producer();
    const p2 = kafkajs(proxy.bootstrap).producer();
    await Promise.all([p1.connect(), p2.connect()]);
    await p1.send({ topic: slow, messages: [{ value: "warm" }] }); // metadata and connections ready
    await p2.send({ topic: fast, messages: [{ value: "warm" }] });
    proxy.setRules([delay({ topic: slow, delay: 3 * HOLD_MS })]);

    const order: string[] = [];
    const t0 = performance.now();
    const slowSend = p1.send({ topic: slow, messages: [{ value: "held" }] }).then(() => order.push("slow"));
    await new Promise((r) => setTimeout(r, 50));
    const fastSend = p2.send({ topic: fast, messages: [{ value: "free" }] }).then(() => order.push("fast"));
    await Promise.all([slowSend, fastSend]);
    const slowMs = performance.now() - t0;
    // The held request cannot be acknowledged before its hold ends; the other topic's was answered first.
    assert.ok(slowMs >= 3 * HOLD_MS, `held produce acknowledged after ${slowMs} ms`);
    assert.deepEqual(order, ["fast", "slow"]);
    assert.equal(faults(events, "delay").length, 1);
    await Promise.all([p1.disconnect(), p2.disconnect()]);
  } finally {
    await proxy.close();
  }
});

for (const client of [kafkajsClient, javaClient("4"), kcatClient, pythonClient]) {
  test(`${client.name}: delay holds each matching batch and keeps their order`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    try {
      const topic = uniqueTopic(`delay-${client.name}`);
      await createTopic(proxy.bootstrap, topic);
      proxy.setRules([delay({ topic, key: "slow*", delay: HOLD_MS })]);
      const t0 = performance.now();
      const sent = await client.produce(proxy.bootstrap, topic, ["slow1:a", "quick:b", "slow2:c"]);
      const elapsed = performance.now() - t0;
      assert.ok(sent.ok, sent.output);
      // Two batches were each held HOLD_MS, one after the other (the producer sends one at a time).
      assert.ok(elapsed >= 2 * HOLD_MS, `produce took ${elapsed} ms`);
      assert.equal(faults(events, "delay").length, 2);
      proxy.clearRules();
      assert.deepEqual(await readAll(proxy.bootstrap, topic, 3), ["a", "b", "c"]);
    } finally {
      await proxy.close();
    }
  });
}

test("a non-retriable error code reaches every client as that Kafka error", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("denied");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([error({ topic, code: "TOPIC_AUTHORIZATION_FAILED" })]);
    const expected: Record<string, RegExp> = {
      kafkajs: /TOPIC_AUTHORIZATION_FAILED/,
      "java-4": /TopicAuthorizationException|TOPIC_AUTHORIZATION_FAILED/,
      kcat: /Topic authorization failed/i,
      "kafka-python": /TopicAuthorizationFailedError/,
    };
    for (const client of [kafkajsClient, javaClient("4"), kcatClient, pythonClient]) {
      const sent = await client.produce(proxy.bootstrap, topic, ["k:v"]);
      assert.equal(sent.ok, false, `${client.name} reported success`);
      assert.match(sent.output, expected[client.name]!, `${client.name} output: ${sent.output}`);
    }
    proxy.clearRules();
    assert.deepEqual(await readAll(proxy.bootstrap, topic, 1, 4000), [], "nothing was stored");
  } finally {
    await proxy.close();
  }
});

test("errors on consumer APIs: Fetch NOT_LEADER_OR_FOLLOWER and FindCoordinator COORDINATOR_NOT_AVAILABLE are retried by the group", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("grp");
    await createTopic(proxy.bootstrap, topic);
    assert.ok((await kafkajsClient.produce(proxy.bootstrap, topic, ["a:1", "b:2", "c:3"])).ok);
    proxy.setRules([
      error({ topic, api: "fetch", code: "NOT_LEADER_OR_FOLLOWER", times: 2 }),
      error({ api: "find_coordinator", code: "COORDINATOR_NOT_AVAILABLE", times: 1 }),
    ]);
    assert.deepEqual(await readAll(proxy.bootstrap, topic, 3), ["1", "2", "3"]);
    const fired = faults(events, "error");
    assert.equal(fired.filter((e) => e.type === "fault" && e.api === "fetch").length, 2);
    assert.equal(fired.filter((e) => e.type === "fault" && e.api === "find_coordinator").length, 1);
  } finally {
    await proxy.close();
  }
});

test("disconnect closes the producer's connection; the client reconnects and the record is stored once", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("cut");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([disconnect({ topic, times: 1 })]);
    assert.ok((await kafkajsClient.produce(proxy.bootstrap, topic, ["k:v"])).ok);
    assert.equal(faults(events, "disconnect").length, 1);
    assert.deepEqual(await readAll(proxy.bootstrap, topic, 1), ["v"]);
  } finally {
    await proxy.close();
  }
});

test("rules added and cleared while a producer is running open and close a fault window", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("window");
    await createTopic(proxy.bootstrap, topic);
    const producer = kafkajs(proxy.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let ruleId = 0;
    for (let i = 0; i < 15; i++) {
      if (i === 5) ruleId = proxy.addRule(drop({ topic }));
      if (i === 10) assert.ok(proxy.removeRule(ruleId));
      await producer.send({ topic, messages: [{ value: `m${i}` }] });
    }
    await producer.disconnect();
    const expected = [0, 1, 2, 3, 4, 10, 11, 12, 13, 14].map((i) => `m${i}`);
    assert.deepEqual(await readAll(proxy.bootstrap, topic, expected.length), expected);
  } finally {
    await proxy.close();
  }
});
