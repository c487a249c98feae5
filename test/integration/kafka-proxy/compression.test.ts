// key= rules on compressed batches written by real producers, against real Kafka 4: the Java console
// producer (compression.type gzip, snappy (xerial stream), lz4, zstd) and kcat/librdkafka (-z gzip,
// snappy (raw block), lz4, zstd) each send k1, k2, k3 as separate batches through a proxy holding
// drop(key="k2"). The broker must store exactly the k1 and k3 batches, still in the producer's codec
// (the proxy forwards the client's bytes, it never recompresses), and a fresh consumer reads v1, v3.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { drop } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, proxyFor, uniqueTopic } from "./helpers.js";
import { javaConsoleProduce, kcatClient, kcatWith } from "./clients.js";
import { storedBatches } from "./stored-batches.js";

const CODECS = ["gzip", "snappy", "lz4", "zstd"] as const;
// Values long and repetitive enough to shrink: librdkafka sends a batch uncompressed when compressing
// would not make it smaller.
const value = (n: number) => `v${n}-${"abc".repeat(100)}`;
const LINES = [1, 2, 3].map((n) => `k${n}:${value(n)}`);

// --compression-codec is the console producer's own option; it overrides compression.type.
const javaProduce = (bootstrap: string, topic: string, codec: string) =>
  javaConsoleProduce("4", bootstrap, topic, LINES, ["--compression-codec", codec]);

const kcatProduce = (bootstrap: string, topic: string, codec: string) =>
  kcatWith("kcat", [], ["-z", codec]).produce(bootstrap, topic, LINES);

const PRODUCERS = [
  { name: "java-4", produce: javaProduce, snappyLayout: "xerial" },
  { name: "kcat", produce: kcatProduce, snappyLayout: "raw" },
] as const;

for (const producer of PRODUCERS) {
  for (const codec of CODECS) {
    test(`${producer.name} compression ${codec}: drop(key="k2") drops exactly the k2 record`, async () => {
      const kafka = await useKafka({ nodes: 1, version: "4" });
      const { proxy, events } = await proxyFor(kafka.bootstrap);
      try {
        const topic = uniqueTopic(`z-${producer.name}-${codec}`);
        await createTopic(proxy.bootstrap, topic);
        proxy.setRules([drop({ topic, key: "k2" })]);
        const sent = await producer.produce(proxy.bootstrap, topic, codec);
        assert.ok(sent.ok, sent.output);
        assert.equal(faults(events, "drop").length, 1);
        assert.deepEqual(
          events.filter((e) => e.type === "warning"),
          [],
        );
        const layout = codec === "snappy" ? { layout: producer.snappyLayout } : {};
        assert.deepEqual(await storedBatches(kafka.bootstrap, topic), [
          { codec, ...layout, keys: ["k1"] },
          { codec, ...layout, keys: ["k3"] },
        ]);
        assert.deepEqual(await kcatClient.consume(kafka.bootstrap, topic, 3), [value(1), value(3)]);
      } finally {
        await proxy.close();
      }
    });
  }
}
