// Random and mutated frames never crash the proxy or stall other connections; connections that sent
// garbage are closed (by the proxy, with a malformed event, or by the broker).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startKafkaProxy, type KafkaProxyEvent } from "../../src/protocols/kafka/proxy/index.js";
import { delay, drop, duplicate, error } from "../../src/protocols/kafka/rules/index.js";
import { encodeRecordBatch, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { prng } from "./sample-messages.js";

const heartbeat = (corr: number) =>
  encodeRequest(12, 4, corr, "h", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null });

function validFrames(): Buffer[] {
  return [
    encodeRequest(18, 3, 1, "f", { clientSoftwareName: "x", clientSoftwareVersion: "1" }),
    encodeRequest(3, 12, 2, "f", {
      topics: [{ name: "orders", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    }),
    encodeRequest(0, 9, 3, "f", {
      transactionalId: null,
      acks: -1,
      timeoutMs: 100,
      topicData: [
        {
          name: "orders",
          partitionData: [
            {
              index: 0,
              records: encodeRecordBatch([{ key: "k", value: "v" }], {
                producerId: 3n,
                producerEpoch: 0,
                baseSequence: 0,
              }),
            },
          ],
        },
      ],
    }),
    encodeRequest(0, 7, 4, "f", {
      transactionalId: null,
      acks: 1,
      timeoutMs: 100,
      topicData: [
        { name: "orders", partitionData: [{ index: 0, records: encodeRecordBatch([{ value: "v" }]) }] },
      ],
    }),
    encodeRequest(10, 4, 5, "f", { keyType: 0, coordinatorKeys: ["g"] }),
    encodeRequest(1, 12, 6, "f", {
      replicaId: -1,
      maxWaitMs: 10,
      minBytes: 1,
      maxBytes: 1000,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: "orders",
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 100,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    }),
    heartbeat(7),
  ];
}

function mutate(rnd: () => number, frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) {
    // flip a few bytes after the size prefix
    for (let i = 0; i < 1 + Math.floor(rnd() * 4); i++)
      out[4 + Math.floor(rnd() * (out.length - 4))] = Math.floor(rnd() * 256);
    return out;
  }
  if (kind === 1) {
    // truncate the body but keep the size consistent
    const n = 8 + Math.floor(rnd() * Math.max(1, out.length - 8));
    const t = Buffer.from(out.subarray(0, n));
    t.writeInt32BE(n - 4, 0);
    return t;
  }
  if (kind === 2) {
    // random bytes with a plausible size
    const n = Math.floor(rnd() * 64);
    const t = Buffer.alloc(4 + n);
    for (let i = 4; i < t.length; i++) t[i] = Math.floor(rnd() * 256);
    t.writeInt32BE(n, 0);
    return t;
  }
  // a lying size prefix
  out.writeInt32BE(Math.floor(rnd() * 2 ** 31) * (rnd() < 0.3 ? -1 : 1), 0);
  return out;
}

test("fuzz: 300 random and mutated frames on 60 connections; the proxy survives and healthy clients are served", async () => {
  const broker = await startFakeBroker();
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    upstream: `127.0.0.1:${broker.port}`,
    onEvent: (e) => events.push(e),
  });
  try {
    // Rules make the proxy decode produce, fetch, metadata and group requests, not just relay them.
    proxy.setRules([
      drop({ topic: "orders", key: "k", probability: 0.5 }),
      duplicate({ topic: "or*", probability: 0.3 }),
      delay({ topic: "x", delay: 1 }),
      error({ api: "fetch", topic: "*", code: 6, probability: 0.5 }),
    ]);
    const healthy = await rawClient(proxy.bootstrap);
    const rnd = prng(20261127);
    const frames = validFrames();
    let served = 0;
    for (let conn = 0; conn < 60; conn++) {
      const c = await rawClient(proxy.bootstrap);
      for (let i = 0; i < 5; i++) c.send(mutate(rnd, frames[Math.floor(rnd() * frames.length)]!));
      // The healthy connection is answered between every burst of garbage.
      healthy.send(heartbeat(1000 + conn));
      await healthy.waitFor(conn + 1);
      served++;
      c.socket.destroy();
    }
    assert.equal(served, 60);
    assert.deepEqual(
      healthy.responses.map((f) => f.readInt32BE(0)),
      Array.from({ length: 60 }, (_, i) => 1000 + i),
    );
    const malformed = events.filter((e) => e.type === "malformed");
    assert.ok(malformed.length > 10, `only ${malformed.length} malformed events`);
    for (const m of malformed) assert.ok(m.type === "malformed" && m.reason.length > 0);
    healthy.socket.destroy();
  } finally {
    await proxy.close();
    await broker.close();
  }
});
