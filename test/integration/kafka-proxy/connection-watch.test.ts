import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { createTopic, uniqueTopic, watchConnections } from "./helpers.js";
import { javaClient, kcatClient, pythonClient } from "./clients.js";

test("the connection watcher sees clients that talk to a broker directly", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const topic = uniqueTopic("direct");
  await createTopic(kafka.bootstrap, topic);
  for (const client of [kcatClient, pythonClient, javaClient("4")]) {
    assert.ok((await client.produce(kafka.bootstrap, topic, ["a:1"])).ok);
    // Every connect() is recorded (strace), however short the connection: the watcher must see them,
    // or the transparency tests' "no direct connection" would pass without looking.
    const w = watchConnections(kafka.brokers.map((b) => b.port));
    assert.deepEqual(await client.consume(kafka.bootstrap, topic, 1, { wrap: w.wrap }), ["1"]);
    assert.ok(w.stop().length > 0, `${client.name}: direct connection not seen`);
  }
});
