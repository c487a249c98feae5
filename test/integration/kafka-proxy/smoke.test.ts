import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { createTopic, kafkajs, proxyFor, readAll, uniqueTopic } from "./helpers.js";

test("smoke: kafkajs produces and consumes through the proxy (single node, Kafka 4)", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("smoke");
    await createTopic(proxy.bootstrap, topic);
    const producer = kafkajs(proxy.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
    await producer.disconnect();
    const got = await readAll(proxy.bootstrap, topic, 2);
    assert.deepEqual(got, ["a", "b"]);
    console.log(JSON.stringify(events.filter((e) => e.type === "listener")));
  } finally {
    await proxy.close();
  }
});
