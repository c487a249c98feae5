import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { produceAndConsumeBothWays } from "./interop.js";

test("single-node Kafka 4: Java console tools and kafkajs read each other's records", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  assert.match(kafka.version, /^4\.\d+\.\d+$/);
  assert.equal(kafka.brokers.length, 1);
  assert.equal(kafka.bootstrap, `${kafka.brokers[0]!.host}:${kafka.brokers[0]!.port}`);
  await produceAndConsumeBothWays(kafka, `foundation-single-${process.pid}`);
});

test("3-node Kafka 4 cluster: distinct nodes and ports, replicated topic, both clients interoperate", async () => {
  const kafka = await useKafka({ nodes: 3, version: "4" });
  assert.deepEqual(
    kafka.brokers.map((b) => b.nodeId),
    [1, 2, 3],
  );
  assert.equal(new Set(kafka.brokers.map((b) => b.port)).size, 3);
  await produceAndConsumeBothWays(kafka, `foundation-cluster-${process.pid}`);
});

test("single-node Kafka 3.9 (compatibility release): both clients interoperate", async () => {
  const kafka = await useKafka({ nodes: 1, version: "3.9" });
  assert.match(kafka.version, /^3\.9\.\d+$/);
  await produceAndConsumeBothWays(kafka, `foundation-39-${process.pid}`);
});

test("the same run reuses one cluster per version and size", async () => {
  const a = await useKafka({ nodes: 1, version: "4.1.1" });
  const b = await useKafka({ nodes: 1, version: "4" });
  assert.equal(a.bootstrap, b.bootstrap);
});
