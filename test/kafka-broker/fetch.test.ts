// Fetch on the wire: long polling (min_bytes / max_wait_ms), byte limits, old and flexible versions,
// topic ids from v13, and the errors a consumer must see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka, type EmbeddedKafka } from "../../src/protocols/kafka/broker/index.js";
import {
  API_KEYS,
  KAFKA_ERRORS as E,
  readRecords,
  splitBatches,
  type FetchRequest,
} from "../../src/protocols/kafka/wire/index.js";
import { RawClient } from "./raw-client.js";

async function withBroker(fn: (k: EmbeddedKafka, c: RawClient) => Promise<void>): Promise<void> {
  const k = await startEmbeddedKafka({ topics: [{ name: "t", partitions: 1 }], onProtocolError: () => {} });
  const c = await RawClient.open(k.bootstrap);
  try {
    await fn(k, c);
  } finally {
    c.close();
    await k.close();
  }
}

function fetchBody(
  version: number,
  topic: { name?: string; id?: string },
  offset: bigint,
  limits: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {},
): FetchRequest {
  return {
    replicaId: -1,
    maxWaitMs: limits.maxWaitMs ?? 0,
    minBytes: limits.minBytes ?? 0,
    maxBytes: limits.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        ...(version >= 13 ? { topicId: topic.id } : { topic: topic.name }),
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: offset,
            logStartOffset: -1n,
            partitionMaxBytes: limits.partitionMaxBytes ?? 1 << 20,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  };
}

async function topicId(c: RawClient, name: string): Promise<string> {
  const md = await c.call(API_KEYS.Metadata, 12, {
    topics: [{ name }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  return md.topics[0]!.topicId!;
}

const values = (records: Buffer | null): string[] =>
  splitBatches(records ?? Buffer.alloc(0)).batches.flatMap((b) =>
    readRecords(b.bytes).map((r) => r.value!.toString()),
  );

for (const version of [4, 7, 11, 12, 13, 15, 17]) {
  test(`fetch v${version} returns stored records from the requested offset`, async () => {
    await withBroker(async (k, c) => {
      k.produce("t", [{ value: "a" }, { value: "b" }, { value: "c" }]);
      const id = await topicId(c, "t");
      const r = await c.call(API_KEYS.Fetch, version, fetchBody(version, { name: "t", id }, 1n));
      const p = r.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, E.NONE);
      assert.equal(p.highWatermark, 3n);
      assert.deepEqual(values(p.records), ["b", "c"]);
      if (version >= 13) assert.equal(r.responses[0]!.topicId, id);
      else assert.equal(r.responses[0]!.topic, "t");
    });
  });
}

test("a long-poll fetch waits for min_bytes and answers as soon as a record arrives", async () => {
  await withBroker(async (k, c) => {
    const pending = c.call(
      API_KEYS.Fetch,
      12,
      fetchBody(12, { name: "t" }, 0n, { maxWaitMs: 30000, minBytes: 1 }),
    );
    let answered = false;
    void pending.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(answered, false, "no data yet: the fetch is parked");
    k.produce("t", [{ value: "wake" }]);
    const r = await pending;
    assert.deepEqual(values(r.responses[0]!.partitions[0]!.records), ["wake"]);
  });
});

test("a long-poll fetch with nothing to return answers empty after max_wait_ms", async () => {
  await withBroker(async (_k, c) => {
    const r = await c.call(
      API_KEYS.Fetch,
      11,
      fetchBody(11, { name: "t" }, 0n, { maxWaitMs: 100, minBytes: 1 }),
    );
    const p = r.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, E.NONE);
    assert.equal(p.records?.length ?? 0, 0);
  });
});

test("requests behind a parked fetch on the same connection are answered after it, in order", async () => {
  await withBroker(async (k, c) => {
    const fetchDone = c.call(
      API_KEYS.Fetch,
      12,
      fetchBody(12, { name: "t" }, 0n, { maxWaitMs: 30000, minBytes: 1 }),
    );
    const order: string[] = [];
    void fetchDone.then(() => order.push("fetch"));
    const md = c.call(API_KEYS.Metadata, 1, { topics: [] }).then(() => order.push("metadata"));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(order, []);
    k.produce("t", [{ value: "x" }]);
    await Promise.all([fetchDone, md]);
    assert.deepEqual(order, ["fetch", "metadata"]);
  });
});

test("partition_max_bytes and max_bytes cut at whole batches, but the first batch always comes whole (KIP-74)", async () => {
  await withBroker(async (k, c) => {
    k.produce("t", [{ value: "x".repeat(500) }, { value: "y".repeat(500) }, { value: "z".repeat(500) }]);
    let r = await c.call(API_KEYS.Fetch, 12, fetchBody(12, { name: "t" }, 0n, { partitionMaxBytes: 100 }));
    assert.deepEqual(
      values(r.responses[0]!.partitions[0]!.records).map((v) => v[0]),
      ["x"],
    );
    r = await c.call(API_KEYS.Fetch, 12, fetchBody(12, { name: "t" }, 0n, { maxBytes: 1300 }));
    assert.deepEqual(
      values(r.responses[0]!.partitions[0]!.records).map((v) => v[0]),
      ["x", "y"],
    );
    r = await c.call(API_KEYS.Fetch, 12, fetchBody(12, { name: "t" }, 1n));
    assert.deepEqual(
      values(r.responses[0]!.partitions[0]!.records).map((v) => v[0]),
      ["y", "z"],
    );
  });
});

test("fetch errors: offset out of range, unknown topic, unknown topic id, not the leader", async () => {
  const k = await startEmbeddedKafka({
    brokers: 2,
    topics: [{ name: "t", partitions: 1, messages: [{ value: "a" }] }],
  });
  try {
    const leader = k.brokers.find((b) => b.nodeId === k.leaderOf("t", 0))!;
    const follower = k.brokers.find((b) => b.nodeId !== leader.nodeId)!;
    const c = await RawClient.open(`${leader.host}:${leader.port}`);
    const err = async (version: number, topic: { name?: string; id?: string }, offset: bigint) =>
      (await c.call(API_KEYS.Fetch, version, fetchBody(version, topic, offset))).responses[0]!.partitions[0]!
        .errorCode;
    assert.equal(await err(12, { name: "t" }, 5n), E.OFFSET_OUT_OF_RANGE);
    assert.equal(await err(12, { name: "t" }, 1n), E.NONE, "the high watermark itself is a valid position");
    assert.equal(await err(12, { name: "nope" }, 0n), E.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(await err(13, { id: "AAAAAAAAAAAAAAAAAAAAAQ" }, 0n), E.UNKNOWN_TOPIC_ID);
    c.close();
    const f = await RawClient.open(`${follower.host}:${follower.port}`);
    const r = await f.call(API_KEYS.Fetch, 16, fetchBody(16, { id: await topicId(f, "t") }, 0n));
    assert.equal(r.responses[0]!.partitions[0]!.errorCode, E.NOT_LEADER_OR_FOLLOWER);
    assert.equal(r.responses[0]!.partitions[0]!.currentLeader?.leaderId, leader.nodeId);
    assert.deepEqual(
      r.nodeEndpoints?.map((n) => n.port),
      [leader.port],
    );
    f.close();
  } finally {
    await k.close();
  }
});

test("list offsets: earliest, latest, by timestamp, max timestamp", async () => {
  await withBroker(async (k, c) => {
    k.produce("t", [
      { value: "a", timestamp: 1000 },
      { value: "b", timestamp: 3000 },
      { value: "c", timestamp: 2000 },
    ]);
    const at = async (timestamp: bigint) => {
      const r = await c.call(API_KEYS.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
      });
      const p = r.topics[0]!.partitions[0]!;
      return [p.offset, p.timestamp];
    };
    assert.deepEqual((await at(-2n))[0], 0n);
    assert.deepEqual((await at(-1n))[0], 3n);
    assert.deepEqual(await at(1500n), [1n, 3000n]);
    assert.deepEqual(await at(-3n), [1n, 3000n]);
    assert.deepEqual(await at(5000n), [-1n, -1n]);
  });
});

test("deleting a topic (DeleteTopics v6, by id) ends a fetch parked on it with UNKNOWN_TOPIC_ID", async () => {
  await withBroker(async (k, c) => {
    const id = await topicId(c, "t");
    const parked = c.call(API_KEYS.Fetch, 13, fetchBody(13, { id }, 0n, { maxWaitMs: 30000, minBytes: 1 }));
    const admin = await RawClient.open(k.bootstrap);
    const r = await admin.call(API_KEYS.DeleteTopics, 6, {
      topics: [{ name: null, topicId: id }],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      r.responses.map((t) => [t.name, t.errorCode]),
      [["t", E.NONE]],
    );
    const again = await admin.call(API_KEYS.DeleteTopics, 6, {
      topics: [{ name: null, topicId: id }],
      timeoutMs: 1000,
    });
    assert.equal(again.responses[0]!.errorCode, E.UNKNOWN_TOPIC_ID);
    admin.close();
    assert.equal((await parked).responses[0]!.partitions[0]!.errorCode, E.UNKNOWN_TOPIC_ID);
  });
});
