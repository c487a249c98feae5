// A test that stops (timeout, Ctrl-C, its end) must not wait out a delay rule: releaseHeld() lets
// every held request go on at once, in its connection's order, and the broker stores what was sent.
// Against a real single-node Kafka 4, with kcat and kafkajs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { delay } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, proxyFor, readAll, uniqueTopic } from "./helpers.js";
import { kafkajsClient, kcatClient } from "./clients.js";

/** Far longer than the test may take: only a release ends the hold. */
const HOLD = "10m";

for (const client of [kcatClient, kafkajsClient]) {
  test(`${client.name}: releaseHeld ends a 10-minute delay at once; the held batches are stored in order`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    try {
      const topic = uniqueTopic(`release-${client.name}`);
      await createTopic(proxy.bootstrap, topic);
      proxy.setRules([delay({ topic, delay: HOLD })]);
      const sent = client.produce(proxy.bootstrap, topic, ["k1:a", "k2:b"]);
      // Once the proxy holds the first batch, stop the "test".
      while (!events.some((e) => e.type === "fault" && e.kind === "delay"))
        await new Promise((r) => setTimeout(r, 50));
      proxy.clearRules();
      proxy.releaseHeld();
      const outcome = await sent;
      assert.ok(outcome.ok, outcome.output);
      assert.deepEqual(await readAll(proxy.bootstrap, topic, 2), ["a", "b"]);
    } finally {
      await proxy.close();
    }
  });
}
