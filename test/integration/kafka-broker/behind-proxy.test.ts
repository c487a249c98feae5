// The fault proxy in front of a 3-node embedded cluster, as in front of real Kafka: every client stack
// produces and consumes with groups through it (so every broker address it learns is rewritten to a
// proxy listener), and a drop rule acknowledges an idempotent producer's batch that the broker never
// stores while later sends go on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { startKafkaProxy } from "../../../src/protocols/kafka/proxy/index.js";
import { drop } from "../../../src/protocols/kafka/rules/index.js";
import { ALL_CLIENTS, kafkajs, kafkajsClient } from "./clients.js";

test("every client stack produces and consumes with groups through the proxy in front of 3 embedded nodes", async () => {
  const k = await startEmbeddedKafka({ brokers: 3, topics: [{ name: "proxied", partitions: 3 }] });
  const proxy = await startKafkaProxy({ upstream: k.brokers[0]!.host + ":" + k.brokers[0]!.port });
  try {
    const expected: string[] = [];
    for (const client of ALL_CLIENTS) {
      const values = [0, 1, 2].map((i) => `${client.name.replaceAll(" ", "_")}-${i}`);
      await client.produce(proxy.bootstrap, "proxied", values);
      expected.push(...values);
    }
    for (const client of ALL_CLIENTS) {
      const got = await client.consume(
        proxy.bootstrap,
        "proxied",
        `via-proxy-${client.name.replaceAll(" ", "-")}`,
        expected.length,
      );
      assert.deepEqual([...got].sort(), [...expected].sort(), client.name);
    }
    assert.equal(proxy.nodes.size, 3, "the proxy opened a listener per embedded node");
  } finally {
    await proxy.close();
    await k.close();
  }
});

test("a proxy drop rule in front of the embedded broker: acknowledged, never stored, later sends go on", async () => {
  const k = await startEmbeddedKafka({ topics: [{ name: "orders", partitions: 1 }] });
  const proxy = await startKafkaProxy({ upstream: k.bootstrap });
  const producer = kafkajsClient(proxy.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    await producer.connect();
    await producer.send({ topic: "orders", acks: -1, messages: [{ value: "kept-1" }] });
    const id = proxy.addRule(drop({ topic: "orders" }));
    await producer.send({ topic: "orders", acks: -1, messages: [{ value: "dropped" }] });
    proxy.removeRule(id);
    await producer.send({ topic: "orders", acks: -1, messages: [{ value: "kept-2" }] });
    assert.deepEqual(
      k.messages("orders").map((m) => m.value!.toString()),
      ["kept-1", "kept-2"],
    );
    assert.deepEqual(
      [...(await kafkajs.consume(proxy.bootstrap, "orders", "check", 2))],
      ["kept-1", "kept-2"],
    );
  } finally {
    await producer.disconnect();
    await proxy.close();
    await k.close();
  }
});
