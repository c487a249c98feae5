// Records of 15 MiB through the proxy with Kafka's own Java producer and consumer (Kafka 4.1): the
// Produce requests and the Fetch responses (several records, ~45 MiB, Fetch v16+) are far above the
// proxy's cut-through threshold, so they are relayed in parts rather than buffered whole. The data
// must arrive byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkaTool, useKafka } from "../../support/index.js";
import { kafkajs, proxyFor, run, uniqueTopic } from "./helpers.js";

const MiB = 1024 * 1024;
const RECORD_BYTES = 15 * MiB;
const RECORDS = 3;
const LIMIT = String(64 * MiB);

test("15 MiB records produced and consumed through the proxy by the Java clients arrive intact", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  const dir = mkdtempSync(join(tmpdir(), "faultbox-large-"));
  try {
    const topic = uniqueTopic("large");
    const admin = kafkajs(kafka.bootstrap).admin();
    await admin.connect();
    try {
      // A topic-level limit: the shared broker's message.max.bytes (1 MiB) needs no change.
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [{ name: "max.message.bytes", value: LIMIT }],
          },
        ],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }

    // One payload (no delimiter in it), so every record the perf tool sends is exactly this text.
    const payload = Buffer.alloc(RECORD_BYTES);
    for (let i = 0; i < payload.length; i++) payload[i] = 97 + ((i * 7 + (i >> 12)) % 26);
    const payloadFile = join(dir, "payload.txt");
    writeFileSync(payloadFile, payload);

    const producer = await run(
      [
        ...(await kafkaTool("kafka-producer-perf-test", "4")),
        "--topic",
        topic,
        "--num-records",
        String(RECORDS),
        "--throughput",
        "-1",
        "--payload-file",
        payloadFile,
        "--producer-props",
        `bootstrap.servers=${proxy.bootstrap}`,
        "acks=all",
        `max.request.size=${LIMIT}`,
        `buffer.memory=${128 * MiB}`,
        "compression.type=none",
      ],
      { timeoutMs: 120000 },
    );
    assert.equal(producer.code, 0, producer.stdout + producer.stderr);
    assert.match(producer.stdout, new RegExp(`${RECORDS} records sent`), producer.stdout + producer.stderr);

    const consumer = await run(
      [
        ...(await kafkaTool("kafka-console-consumer", "4")),
        "--bootstrap-server",
        proxy.bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--max-messages",
        String(RECORDS),
        "--timeout-ms",
        "60000",
        "--consumer-property",
        `max.partition.fetch.bytes=${LIMIT}`,
        "--consumer-property",
        `fetch.max.bytes=${LIMIT}`,
      ],
      { timeoutMs: 120000 },
    );
    const values = consumer.stdout.split("\n").filter((l) => l !== "");
    assert.equal(values.length, RECORDS, consumer.stderr.slice(-2000));
    const expected = payload.toString("latin1");
    for (const [i, v] of values.entries()) {
      assert.equal(v.length, RECORD_BYTES, `record ${i} length`);
      assert.ok(v === expected, `record ${i} differs from what was produced`);
    }
    assert.deepEqual(
      events.filter((e) => e.type === "malformed" || e.type === "warning"),
      [],
      "no malformed frame, no warning",
    );
    assert.ok(
      proxy.stats.bytesFromClients >= RECORDS * RECORD_BYTES,
      "the records went up through the proxy",
    );
    assert.ok(proxy.stats.bytesFromBrokers >= RECORDS * RECORD_BYTES, "and came down through it");
    assert.ok(proxy.stats.requestsStreamed >= 1, "produce requests were relayed in parts");
    assert.ok(proxy.stats.responsesStreamed >= 1, "fetch responses were relayed in parts");
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
