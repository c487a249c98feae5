// Every client stack produces to the embedded broker, then every stack consumes everything produced,
// each as its own consumer group, on one node and on three (partition leaders and the group
// coordinator spread over the nodes, so clients must follow Metadata and FindCoordinator addresses).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { ALL_CLIENTS } from "./clients.js";

for (const brokers of [1, 3]) {
  test(`java 4 and 3.9, kcat, kafka-python and kafkajs produce and consume with groups (${brokers} node${brokers > 1 ? "s" : ""})`, async () => {
    const kafka = await startEmbeddedKafka({ brokers, topics: [{ name: "interop", partitions: 3 }] });
    try {
      const expected: string[] = [];
      for (const client of ALL_CLIENTS) {
        const values = Array.from({ length: 5 }, (_, i) => `${client.name.replaceAll(" ", "_")}-${i}`);
        await client.produce(kafka.bootstrap, "interop", values);
        expected.push(...values);
      }
      const stored = kafka.messages("interop").map((m) => m.value!.toString());
      const notIdempotent = kafka.messages("interop").filter((m) => m.producerId < 0n);
      assert.deepEqual(
        notIdempotent.map((m) => m.value!.toString()),
        [],
        "every producer (Java default, kcat/kafka-python/kafkajs configured) is idempotent",
      );
      assert.deepEqual([...stored].sort(), [...expected].sort(), "every produced value stored exactly once");

      for (const client of ALL_CLIENTS) {
        const group = `group-${client.name.replaceAll(" ", "-")}`;
        const got = await client.consume(kafka.bootstrap, "interop", group, expected.length);
        assert.deepEqual([...got].sort(), [...expected].sort(), `${client.name} consumed every value once`);
      }
      // Java, kcat and kafka-python commit through the group coordinator; kafkajs commits on disconnect.
      for (const client of ALL_CLIENTS) {
        const group = `group-${client.name.replaceAll(" ", "-")}`;
        const committed = [0, 1, 2].map((p) => kafka.committedOffset(group, "interop", p) ?? 0n);
        const ends = [0, 1, 2].map((p) => kafka.endOffset("interop", p));
        assert.deepEqual(committed, ends, `${client.name}'s group committed the end of every partition`);
      }
    } finally {
      await kafka.close();
    }
  });
}
