import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { createTopic, uniqueTopic, watchConnections } from "./helpers.js";
import { kcatClient, pythonClient } from "./clients.js";

test("the connection watcher sees clients that talk to a broker directly", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const topic = uniqueTopic("direct");
  await createTopic(kafka.bootstrap, topic);
  for (const client of [kcatClient, pythonClient]) {
    const w = watchConnections(kafka.brokers.map((b) => b.port));
    const sent = await client.produce(kafka.bootstrap, topic, ["a:1"], { onSpawn: w.onSpawn });
    assert.ok(sent.ok);
    assert.ok(w.stop().length > 0, `${client.name}: direct connection not seen`);
  }
});
