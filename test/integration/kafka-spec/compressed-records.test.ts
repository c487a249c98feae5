// The spec side reading compressed records a service under test produced: the topic() observer and the
// consume step (kafkajs, which on its own reads only gzip) against real Kafka 4, with records written
// by the Java console producer (snappy as a xerial stream) and kcat (raw snappy, lz4, zstd); and the
// observer skipping, with an observer_error event, a batch it must not decompress (a zstd bomb stored
// in the embedded broker, which does not validate records), then reading on; and the embedded broker's
// own readers (messages(), ListOffsets by timestamp) looking inside compressed batches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { EventLog } from "../../../src/core/events.js";
import type { Address, StepCall } from "../../../src/core/protocol.js";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { closeStepClients } from "../../../src/protocols/kafka/plugin/index.js";
import { WireConnection, API_KEYS } from "../../../src/protocols/kafka/plugin/observer/wire-client.js";
import { kafkaSteps } from "../../../src/protocols/kafka/plugin/steps.js";
import { useKafka } from "../../support/index.js";
import { run } from "../kafka-proxy/helpers.js";
import { storedBatches } from "../kafka-proxy/stored-batches.js";
import { javaConsoleProduce } from "../kafka-proxy/clients.js";
import { compressFrameSync } from "lz4-napi";
import { compressedBatch, handZstdFrame, xerialSnappy } from "../../kafka/compressed-batch.js";
import { startObserver } from "./observer.js";
import { tool } from "../../support/tools.js";

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;
// Long enough that librdkafka does compress (it sends a batch plain when compressing does not shrink it).
const value = (name: string) => `{"codec":"${name}","pad":"${"abc".repeat(100)}"}`;

function addressOf(bootstrap: string): Address {
  const [host, port] = bootstrap.split(",")[0]!.split(":");
  return { host: host!, port: Number(port) };
}

async function kcatProduce(bootstrap: string, topic: string, codec: string, key: string) {
  const r = await run([tool("kcat"), "-P", "-b", bootstrap, "-t", topic, "-K:", "-z", codec], {
    input: `${key}:${value(codec)}\n`,
    timeoutMs: 30000,
  });
  assert.equal(r.code, 0, r.stderr);
}

async function javaProduce(bootstrap: string, topic: string, codec: string, key: string) {
  const r = await javaConsoleProduce(
    "4",
    bootstrap,
    topic,
    [`${key}:${value(`java-${codec}`)}`],
    ["--compression-codec", codec],
  );
  assert.ok(r.ok, r.output);
}

/** Java snappy (xerial), then kcat snappy (raw), lz4 and zstd: one record each, in that order. */
async function produceCompressed(bootstrap: string, topic: string): Promise<string[]> {
  await javaProduce(bootstrap, topic, "snappy", "k-java-snappy");
  for (const codec of ["snappy", "lz4", "zstd"]) await kcatProduce(bootstrap, topic, codec, `k-${codec}`);
  return [value("java-snappy"), value("snappy"), value("lz4"), value("zstd")];
}

function stepCall(target: Address, args: Record<string, unknown>): StepCall {
  return {
    target,
    args,
    serviceEnv: {},
    service: "kafka",
    iface: "broker",
    random: Math.random,
    runNonce: "nonce-compressed",
    testName: "compressed",
    signal: new AbortController().signal,
  };
}

test("topic observer and consume step read snappy (xerial and raw), lz4 and zstd records", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const addr = addressOf(kafka.bootstrap);
  const topic = unique("compressed");
  const log = new EventLog();
  // Auto-creation makes the topic on the first produce; the observer then reads it from offset 0.
  const observer = await startObserver(addr, topic, log);
  try {
    const values = await produceCompressed(kafka.bootstrap, topic);
    assert.deepEqual(
      (await storedBatches(kafka.bootstrap, topic)).map((b) => [b.codec, b.layout]),
      [
        ["snappy", "xerial"],
        ["snappy", "raw"],
        ["lz4", undefined],
        ["zstd", undefined],
      ],
      "the producers compressed as asked",
    );
    await observer.drain();
    assert.deepEqual(
      log.all().filter((e) => e.type === "observer_error"),
      [],
    );
    assert.deepEqual(
      log
        .all()
        .filter((e) => e.type === "topic")
        .map((e) => [e.data.key, e.data.value, e.data.codec]),
      [
        ["k-java-snappy", values[0], "java-snappy"],
        ["k-snappy", values[1], "snappy"],
        ["k-lz4", values[2], "lz4"],
        ["k-zstd", values[3], "zstd"],
      ],
    );

    // consume commits one record at a time: four calls with one group read the four records in order.
    const group = unique("g");
    const keys = ["k-java-snappy", "k-snappy", "k-lz4", "k-zstd"];
    for (const [i, expected] of values.entries()) {
      const got = await kafkaSteps.consume!.run(stepCall(addr, { topic, group, timeout: "20s" }));
      assert.ok(got.ok, got.error);
      assert.deepEqual(got.data, { topic, partition: 0, offset: i, key: keys[i], value: expected });
    }
  } finally {
    await observer.stop();
    await closeStepClients();
  }
});

test("topic observer skips a zstd bomb with an observer_error event and reads the records after it", async () => {
  const broker = await startEmbeddedKafka({ topics: [{ name: "bombed" }] });
  const addr = addressOf(broker.bootstrap);
  const log = new EventLog();
  const observer = await startObserver(addr, "bombed", log);
  const conn = new WireConnection(addr);
  try {
    // 8192 RLE blocks of 128 KiB: 32 KiB that claim 1 GiB, past the 64 MiB decompression limit.
    const rle = Buffer.concat(
      Array.from({ length: 8192 }, (_, i) => {
        const b = Buffer.alloc(4);
        b.writeUIntLE((i === 8191 ? 1 : 0) | (1 << 1) | ((128 << 10) << 3), 0, 3);
        return b;
      }),
    );
    const bomb = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]), rle]);
    const batches = [
      compressedBatch([{ key: "bomb", value: "x" }], 4, () => bomb),
      compressedBatch([{ key: "after", value: "fine" }], 4, (b) => handZstdFrame([{ type: "raw", data: b }])),
    ];
    for (const records of batches) {
      const res = await conn.request(API_KEYS.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: "bombed", partitionData: [{ index: 0, records }] }],
      });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    await observer.drain();
    const errors = log.all().filter((e) => e.type === "observer_error");
    assert.equal(errors.length, 1);
    assert.match(
      String(errors[0]!.data.error),
      /^records 0\.\.0 of bombed\/0 skipped: zstd records: would take up to .* more than the 64 MiB limit/,
    );
    assert.deepEqual(
      log
        .all()
        .filter((e) => e.type === "topic")
        .map((e) => [e.data.offset, e.data.key, e.data.value]),
      [[1, "after", "fine"]],
    );
  } finally {
    conn.close();
    await observer.stop();
    await broker.close();
  }
});

test("embedded broker: messages() and ListOffsets by timestamp read inside lz4 and snappy batches", async () => {
  const broker = await startEmbeddedKafka({ topics: [{ name: "packed" }] });
  const conn = new WireConnection(addressOf(broker.bootstrap));
  try {
    const t = 1_700_000_000_000n;
    const records = [0n, 10n, 20n].map((d, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: t + d }));
    for (const [codec, compress] of [
      [3, (b: Buffer) => compressFrameSync(b)],
      [2, (b: Buffer) => xerialSnappy(b)],
    ] as const) {
      const res = await conn.request(API_KEYS.Produce, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [
          {
            name: "packed",
            partitionData: [{ index: 0, records: compressedBatch(records, codec, compress) }],
          },
        ],
      });
      assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    assert.deepEqual(
      broker.messages("packed").map((m) => [m.offset, m.key?.toString(), m.value?.toString()]),
      [0n, 1n, 2n, 3n, 4n, 5n].map((o) => [o, `k${o % 3n}`, `v${o % 3n}`]),
    );
    // The first record at or after t+5 is the second one of the first batch (offset 1), not its last.
    const lo = await conn.request(API_KEYS.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: "packed", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: t + 5n }] },
      ],
    });
    const p = lo.topics[0]!.partitions[0]!;
    assert.deepEqual([p.errorCode, p.offset, p.timestamp], [0, 1n, t + 10n]);
  } finally {
    conn.close();
    await broker.close();
  }
});
