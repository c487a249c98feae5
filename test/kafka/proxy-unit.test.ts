// The proxy against a scripted broker: version capping, address rewriting, response order with local
// answers, acks=0, sequence translation, duplicate copies, and malformed frames closing one connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { drop, duplicate, error } from "../../src/protocols/kafka/rules/index.js";
import {
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  readBatchHeader,
  batchCrcValid,
} from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "./fake-broker.js";
import { rawClient } from "./raw-client.js";
import { proxyInFront } from "./proxy-in-front.js";

const setup = async () => proxyInFront(await startFakeBroker());

const produce = (v: number, corr: number, topic: string, batch: Buffer, acks = -1) =>
  encodeRequest(0, v, corr, "t", {
    transactionalId: null,
    acks,
    timeoutMs: 1000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  });

test("ApiVersions is capped to the codec's versions; address-bearing APIs it cannot parse are hidden", async () => {
  const s = await setup();
  try {
    const c = await rawClient(s.proxy.bootstrap);
    c.send(encodeRequest(18, 3, 1, "t", { clientSoftwareName: "x", clientSoftwareVersion: "1" }));
    c.send(encodeRequest(18, 0, 2, "t", {}));
    const [v3, v0] = await c.waitFor(2);
    const r3 = decodeResponse(18, 3, v3!).body;
    const max = (k: number) => r3.apiKeys.find((a) => a.apiKey === k)?.maxVersion;
    assert.equal(max(0), 13);
    assert.equal(max(1), 18);
    assert.equal(max(3), 13);
    assert.equal(max(8), 9, "OffsetCommit 10 is unstable in the definitions: not offered");
    assert.equal(max(78), undefined, "ShareFetch is hidden");
    assert.equal(max(1000), 7, "APIs the proxy only relays keep their range");
    assert.equal(
      r3.finalizedFeatures?.[0]?.maxVersionLevel,
      2,
      "transaction.version 2 kept: Produce 12+ is decoded",
    );
    assert.equal(decodeResponse(18, 0, v0!).body.apiKeys.find((a) => a.apiKey === 0)?.maxVersion, 13);
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("Metadata and FindCoordinator (both shapes) name only the proxy's listeners, one per node", async () => {
  const s = await setup();
  try {
    const c = await rawClient(s.proxy.bootstrap);
    c.send(
      encodeRequest(3, 12, 1, "t", {
        topics: [{ name: "orders", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    );
    c.send(encodeRequest(10, 3, 2, "t", { key: "g", keyType: 0 }));
    c.send(encodeRequest(10, 4, 3, "t", { keyType: 0, coordinatorKeys: ["g1", "g2"] }));
    const [m, f3, f4] = await c.waitFor(3);
    const meta = decodeResponse(3, 12, m!).body;
    const ports = meta.brokers.map((b) => b.port);
    assert.equal(new Set(ports).size, 2);
    assert.ok(!ports.includes(s.broker.port));
    assert.deepEqual([...s.proxy.nodes.keys()].sort(), ["1", "2"]);
    assert.deepEqual(
      meta.brokers.map((b) => `${b.host}:${b.port}`).sort(),
      [...s.proxy.nodes.values()].sort(),
    );
    assert.equal(meta.brokers[1]!.rack, "r2");
    const coord = decodeResponse(10, 3, f3!).body;
    assert.equal(`${coord.host}:${coord.port}`, s.proxy.nodes.get("2"));
    for (const k of decodeResponse(10, 4, f4!).body.coordinators!)
      assert.equal(`${k.host}:${k.port}`, s.proxy.nodes.get("1"));
    // A node listener relays to that node.
    const n2 = await rawClient(s.proxy.nodes.get("2")!);
    n2.send(
      encodeRequest(12, 4, 9, "t", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }),
    );
    assert.equal(decodeResponse(12, 4, (await n2.waitFor(1))[0]!).correlationId, 9);
    c.socket.destroy();
    n2.socket.destroy();
  } finally {
    await s.close();
  }
});

test("responses keep request order when a later request is answered by the proxy itself", async () => {
  const s = await setup();
  try {
    s.broker.slowMembers.set("slow", 300);
    s.proxy.setRules([error({ api: "find_coordinator", code: "COORDINATOR_NOT_AVAILABLE" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(
      encodeRequest(12, 4, 100, "t", {
        groupId: "g",
        generationId: 1,
        memberId: "slow",
        groupInstanceId: null,
      }),
    );
    c.send(encodeRequest(10, 3, 101, "t", { key: "g", keyType: 0 }));
    c.send(
      encodeRequest(12, 4, 102, "t", {
        groupId: "g",
        generationId: 1,
        memberId: "fast",
        groupInstanceId: null,
      }),
    );
    const got = await c.waitFor(3);
    assert.deepEqual(
      got.map((f) => f.readInt32BE(0)),
      [100, 101, 102],
    );
    assert.equal(decodeResponse(10, 3, got[1]!).body.errorCode, 15);
    assert.ok(!s.broker.seen.includes("10 v3"), "the errored request was not forwarded");
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("acks=0 produce gets no response slot: the next request is answered, the batch is stored", async () => {
  const s = await setup();
  try {
    const c = await rawClient(s.proxy.bootstrap);
    c.send(produce(9, 1, "t0", encodeRecordBatch([{ value: "x" }]), 0));
    c.send(
      encodeRequest(12, 4, 2, "t", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }),
    );
    const [hb] = await c.waitFor(1);
    assert.equal(hb!.readInt32BE(0), 2);
    assert.equal(s.broker.stored.get("t0")?.length, 1);
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("drop fakes success and shifts later sequences down; duplicate stores an in-sequence copy and shifts later sequences up", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([drop({ topic: "t1", key: "lost" }), duplicate({ topic: "t1", key: "twice" })]);
    const c = await rawClient(s.proxy.bootstrap);
    const keys = ["a", "lost", "b", "twice", "c"];
    keys.forEach((key, i) =>
      c.send(
        produce(
          9,
          i,
          "t1",
          encodeRecordBatch([{ key, value: key }], { producerId: 7n, producerEpoch: 0, baseSequence: i }),
        ),
      ),
    );
    const acks = await c.waitFor(keys.length);
    for (const [i, a] of acks.entries()) {
      assert.equal(a.readInt32BE(0), i);
      assert.equal(decodeResponse(0, 9, a).body.responses[0]!.partitionResponses[0]!.errorCode, 0);
    }
    const stored = s.broker.stored.get("t1")!.map((b) => readBatchHeader(b));
    assert.ok(s.broker.stored.get("t1")!.every(batchCrcValid));
    assert.deepEqual(
      stored.map((h) => [h.producerId, h.baseSequence]),
      [
        [7n, 0], // a
        [7n, 1], // b, lowered into the dropped batch's place
        [7n, 2], // twice
        [7n, 3], // its copy, right after it
        [7n, 4], // c: -1 for the drop, +1 for the copy
      ],
    );
    // The client retries the dropped batch: it is dropped again, not stored.
    c.send(
      produce(
        9,
        50,
        "t1",
        encodeRecordBatch([{ key: "lost", value: "lost" }], {
          producerId: 7n,
          producerEpoch: 0,
          baseSequence: 1,
        }),
      ),
    );
    await c.waitFor(keys.length + 1);
    assert.equal(s.broker.stored.get("t1")!.length, 5);
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("a duplicate copy the broker refuses is sent again when the client retries the batch, and only then", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([duplicate({ topic: "t4", times: 1 })]);
    s.broker.refuseCopies = 1;
    const c = await rawClient(s.proxy.bootstrap);
    const batch = (key: string, baseSequence: number) =>
      encodeRecordBatch([{ key, value: key }], { producerId: 8n, producerEpoch: 0, baseSequence });
    // A request after the duplicate's on the same connection: its answer arrives after the broker's
    // answer to the copy, so by then the proxy has learnt the copy's fate.
    const heartbeat = (corr: number) =>
      encodeRequest(12, 4, corr, "t", {
        groupId: "g",
        generationId: 1,
        memberId: "m",
        groupInstanceId: null,
      });
    c.send(produce(9, 1, "t4", batch("x", 0)));
    c.send(heartbeat(2));
    await c.waitFor(2);
    const warning = s.events.find((e) => e.type === "warning");
    assert.match(
      warning?.type === "warning" ? warning.message : "",
      /refused the duplicate copy of t4\/0.*OUT_OF_ORDER/,
    );
    c.send(produce(9, 3, "t4", batch("x", 0))); // the client retries (say its ack was an error)
    c.send(heartbeat(4));
    await c.waitFor(4);
    c.send(produce(9, 5, "t4", batch("x", 0))); // and again: the copy is stored now, no third one
    c.send(produce(9, 6, "t4", batch("y", 1)));
    await c.waitFor(6);
    const stored = s.broker.stored.get("t4")!.map((b) => readBatchHeader(b));
    assert.deepEqual(
      stored.map((h) => [h.producerId, h.baseSequence]),
      [
        [8n, 0], // x (the refused copy is not stored)
        [8n, 0], // x retried (a real broker would answer it as a duplicate)
        [8n, 1], // x's fresh copy
        [8n, 0], // x retried again, alone
        [8n, 2], // y, shifted up by the copy
      ],
    );
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("a malformed frame closes only its own connection and says why", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([drop({ topic: "nothing-matches" })]);
    const good = await rawClient(s.proxy.bootstrap);
    const bad = await rawClient(s.proxy.bootstrap);
    const truncated = produce(9, 1, "t", encodeRecordBatch([{ value: "v" }]));
    const cut = Buffer.concat([Buffer.alloc(4), truncated.subarray(4, truncated.length - 20)]);
    cut.writeInt32BE(cut.length - 4, 0);
    bad.send(cut);
    await bad.closed;
    const m = s.events.find((e) => e.type === "malformed");
    assert.ok(m && m.type === "malformed");
    assert.equal(m.from, "client");
    assert.match(m.reason, /Produce v9 request/);

    const huge = await rawClient(s.proxy.bootstrap);
    huge.send(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await huge.closed;
    assert.ok(s.events.some((e) => e.type === "malformed" && /frame size/.test(e.reason)));

    good.send(
      encodeRequest(12, 4, 5, "t", { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null }),
    );
    assert.equal((await good.waitFor(1))[0]!.readInt32BE(0), 5);
    good.socket.destroy();
  } finally {
    await s.close();
  }
});

test("a Fetch by an unseen topic id is matched by name after a side Metadata lookup", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([error({ api: "fetch", topic: "orders", code: "NOT_LEADER_OR_FOLLOWER" })]);
    const c = await rawClient(s.proxy.bootstrap);
    c.send(
      encodeRequest(1, 13, 1, "t", {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1000,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
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
    );
    const [f] = await c.waitFor(1);
    assert.equal(decodeResponse(1, 13, f!).body.responses[0]!.partitions[0]!.errorCode, 6);
    assert.ok(s.events.some((e) => e.type === "fault" && e.topic === "orders" && e.api === "fetch"));
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("Produce v13 names topics by id: drop, duplicate and error rules match the topic's name", async () => {
  const s = await setup();
  try {
    const ordersId = "AAAAAAAAAAAAAAAAAAAAAQ"; // the fake broker's id of "orders", unseen by the proxy
    s.proxy.setRules([
      drop({ topic: "orders", key: "lost" }),
      duplicate({ topic: "orders", key: "twice" }),
      error({ topic: "orders", key: "refused", code: "NOT_LEADER_OR_FOLLOWER" }),
    ]);
    const c = await rawClient(s.proxy.bootstrap);
    const keys = ["a", "lost", "twice", "refused", "b"];
    keys.forEach((key, i) =>
      c.send(
        encodeRequest(0, 13, i, "t", {
          transactionalId: null,
          acks: -1,
          timeoutMs: 1000,
          topicData: [
            {
              topicId: ordersId,
              partitionData: [
                {
                  index: 0,
                  records: encodeRecordBatch([{ key, value: key }], {
                    producerId: 9n,
                    producerEpoch: 0,
                    baseSequence: i,
                  }),
                },
              ],
            },
          ],
        }),
      ),
    );
    const acks = (await c.waitFor(keys.length)).map((a) => decodeResponse(0, 13, a).body);
    for (const [i, a] of acks.entries()) {
      assert.equal(a.responses.length, 1, `one topic entry in ack ${i}`);
      assert.equal(a.responses[0]!.topicId, ordersId, "the ack names the topic by id, as the request did");
      assert.equal(a.responses[0]!.name, undefined);
      assert.equal(a.responses[0]!.partitionResponses[0]!.errorCode, keys[i] === "refused" ? 6 : 0);
    }
    const stored = s.broker.stored.get("orders")!.map((b) => readBatchHeader(b));
    // "lost" is not stored and the later sequences are lowered by one; "twice" is stored twice (the
    // copy in sequence, raising the later ones by one); "refused" is answered by the proxy, never stored.
    assert.deepEqual(
      stored.map((h) => h.baseSequence),
      [0, 1, 2, 4],
      "a, twice, its copy, b: sequences translated under the real topic name",
    );
    const faults = s.events.filter((e) => e.type === "fault");
    assert.deepEqual(
      faults.map((e) => e.type === "fault" && [e.kind, e.topic]),
      [
        ["drop", "orders"],
        ["duplicate", "orders"],
        ["error", "orders"],
      ],
    );
    c.socket.destroy();
  } finally {
    await s.close();
  }
});

test("a retried non-idempotent batch that was dropped is dropped again, even after the rule is spent", async () => {
  const s = await setup();
  try {
    s.proxy.setRules([drop({ topic: "t2", times: 1 })]);
    const c = await rawClient(s.proxy.bootstrap);
    const batch = encodeRecordBatch([{ value: "once" }]);
    c.send(produce(9, 1, "t2", batch));
    c.send(produce(9, 2, "t2", batch)); // the same bytes: a client retry
    c.send(produce(9, 3, "t2", encodeRecordBatch([{ value: "other" }])));
    await c.waitFor(3);
    assert.equal(s.broker.stored.get("t2")?.length, 1, "only the other batch is stored");
    c.socket.destroy();
  } finally {
    await s.close();
  }
});
