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
    assert.ok((await client.produce(kafka.bootstrap, topic, ["a:1"])).ok);
    // A consumer keeps its connections for seconds: the watcher must see them.
    const w = watchConnections(kafka.brokers.map((b) => b.port));
    assert.deepEqual(await client.consume(kafka.bootstrap, topic, 1, { onSpawn: w.onSpawn }), ["1"]);
    assert.ok(w.stop().length > 0, `${client.name}: direct connection not seen`);
  }
});
