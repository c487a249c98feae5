// key= rules on compressed batches, against a scripted broker: the proxy reads the keys of a batch in
// any codec, forwards the client's bytes unchanged (it never recompresses), and a batch it cannot read
// (past the size guard, or corrupt) simply does not match, with a warning, on a connection that goes on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startKafkaProxy } from "../../src/protocols/kafka/proxy/index.js";
import { drop, duplicate } from "../../src/protocols/kafka/rules/index.js";
import { decodeResponse, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { COMPRESSORS, compressedBatch } from "./compressed-batch.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { proxyInFront } from "./proxy-in-front.js";

async function setup(maxDecompressedBytes?: number) {
  const front = await proxyInFront(await startFakeBroker(), { maxDecompressedBytes });
  const client = await rawClient(front.proxy.bootstrap);
  return {
    ...front,
    client,
    async close() {
      client.socket.destroy();
      await front.close();
    },
  };
}

const produce = (corr: number, topic: string, batch: Buffer) =>
  encodeRequest(0, 9, corr, "t", {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });

const errorCodes = (acks: Buffer[]) =>
  acks.map((a) => decodeResponse(0, 9, a).body.responses[0]!.partitionResponses[0]!.errorCode);

for (const { name, codec, compress } of COMPRESSORS) {
  test(`drop(key="k2") drops only the ${name} batch holding k2; the others reach the broker byte for byte`, async () => {
    const s = await setup();
    try {
      s.proxy.setRules([drop({ topic: "orders", key: "k2" })]);
      const batches = [
        compressedBatch([{ key: "k1", value: "one" }], codec, compress),
        compressedBatch(
          [
            { key: "k0", value: "zero" },
            { key: "k2", value: "two".repeat(50) },
          ],
          codec,
          compress,
        ),
        compressedBatch([{ key: "k3", value: "three" }], codec, compress),
      ];
      batches.forEach((b, i) => s.client.send(produce(i, "orders", b)));
      assert.deepEqual(errorCodes(await s.client.waitFor(3)), [0, 0, 0], "every batch is acknowledged");
      const stored = s.broker.stored.get("orders") ?? [];
      assert.equal(stored.length, 2);
      assert.ok(stored[0]!.equals(batches[0]!), "first batch forwarded unchanged");
      assert.ok(stored[1]!.equals(batches[2]!), "third batch forwarded unchanged");
      const faults = s.events.filter((e) => e.type === "fault");
      assert.deepEqual(
        faults.map((e) => [e.kind, e.records]),
        [["drop", 2]],
      );
      assert.equal(s.events.filter((e) => e.type === "warning").length, 0);
    } finally {
      await s.close();
    }
  });
}

test("a batch past the size guard is forwarded unread: key rules do not match it, a warning says why", async () => {
  const s = await setup(64 * 1024);
  try {
    s.proxy.setRules([drop({ topic: "orders", key: "k*" }), duplicate({ topic: "orders", key: "*" })]);
    const bomb = compressedBatch([{ key: "k1", value: "0".repeat(1 << 20) }], 1, (b) => gzipSync(b));
    assert.ok(bomb.length < 4096);
    const small = compressedBatch([{ key: "other", value: "fine" }], 1, (b) => gzipSync(b));
    s.client.send(produce(1, "orders", bomb));
    s.client.send(produce(2, "orders", small));
    assert.deepEqual(errorCodes(await s.client.waitFor(2)), [0, 0], "the connection goes on");
    const stored = s.broker.stored.get("orders") ?? [];
    assert.ok(stored[0]!.equals(bomb), "the unread batch is forwarded as sent");
    assert.equal(stored.length, 3, "the small batch is stored and duplicated; the bomb only once");
    const warnings = s.events.filter((e) => e.type === "warning");
    assert.equal(warnings.length, 1, "one warning per unreadable batch, not per rule");
    assert.match(
      warnings[0]!.message,
      /^key= rules \(drop\(topic="orders", key="k\*"\)\) do not match orders\/0: cannot read its keys: gzip records: would decompress to more than the 64 KiB limit/,
    );
    assert.deepEqual(
      s.events.filter((e) => e.type === "fault").map((e) => e.kind),
      ["duplicate"],
    );
    assert.equal(s.events.filter((e) => e.type === "malformed").length, 0);
  } finally {
    await s.close();
  }
});

test("a corrupt compressed batch does not match a key rule and does not close the connection", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([drop({ topic: "orders", key: "*" })]);
    const corrupt = compressedBatch([{ key: "k1", value: "v" }], 4, () => Buffer.from("not zstd at all"));
    s.client.send(produce(1, "orders", corrupt));
    s.client.send(
      produce(2, "orders", compressedBatch([{ key: "k1", value: "v" }], 2, COMPRESSORS[1]!.compress)),
    );
    assert.deepEqual(errorCodes(await s.client.waitFor(2)), [0, 0]);
    assert.equal(
      s.broker.stored.get("orders")?.length,
      1,
      "the corrupt batch went to the broker, the other was dropped",
    );
    const warnings = s.events.filter((e) => e.type === "warning");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /cannot read its keys: zstd records: not a valid zstd frame/);
  } finally {
    await s.close();
  }
});

test("startKafkaProxy rejects a maxDecompressedBytes that is not a positive number of bytes", async () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(
      startKafkaProxy({ upstream: "127.0.0.1:9", maxDecompressedBytes: bad }),
      /maxDecompressedBytes must be a positive whole number of bytes/,
    );
  }
});
