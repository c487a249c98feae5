// Every client stack produces to the embedded broker, then every stack consumes everything produced,
// each as its own consumer group, on one node and on three (partition leaders and the group
// coordinator spread over the nodes, so clients must follow Metadata and FindCoordinator addresses).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { kafkaTool } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";
import { ALL_CLIENTS } from "./clients.js";
import { tool } from "../../support/tools.js";

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

test("compressed batches (gzip, snappy, lz4, zstd from kcat and Java) are stored as sent and consumed by Java and kcat groups", async () => {
  const kafka = await startEmbeddedKafka({ topics: [{ name: "packed", partitions: 1 }] });
  try {
    const expected: string[] = [];
    for (const codec of ["gzip", "snappy", "lz4", "zstd"]) {
      const values = [0, 1, 2].map((i) => `kcat-${codec}-${i}`);
      const r = await runCommand(
        [tool("kcat"), "-P", "-b", kafka.bootstrap, "-t", "packed", "-z", codec, "-X", "linger.ms=50"],
        {
          input: values.map((v) => `${v}\n`).join(""),
          timeoutMs: 60_000,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      expected.push(...values);
    }
    const java = await kafkaTool("kafka-console-producer");
    const values = [0, 1, 2].map((i) => `java-zstd-${i}`);
    const r = await runCommand(
      [
        ...java,
        "--bootstrap-server",
        kafka.bootstrap,
        "--topic",
        "packed",
        "--producer-property",
        "compression.type=zstd",
      ],
      { input: values.map((v) => `${v}\n`).join(""), timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    expected.push(...values);
    // kafka-python and kafkajs need extra codec packages for snappy/lz4/zstd; Java and librdkafka ship them.
    for (const client of ALL_CLIENTS.filter((c) => c.name.startsWith("java") || c.name === "kcat")) {
      const got = await client.consume(
        kafka.bootstrap,
        "packed",
        `packed-${client.name.replaceAll(" ", "-")}`,
        expected.length,
      );
      assert.deepEqual([...got].sort(), [...expected].sort(), client.name);
    }
  } finally {
    await kafka.close();
  }
});
