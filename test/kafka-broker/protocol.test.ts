// The connection layer: ApiVersions negotiation (KIP-511 fallback), and clean closes with a message
// for what we do not speak, so a client never hangs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka, EMBEDDED_API_VERSIONS } from "../../src/protocols/kafka/broker/index.js";
import { API_KEYS, decodeResponse, KAFKA_ERRORS as E, Writer } from "../../src/protocols/kafka/wire/index.js";
import { RawClient } from "./raw-client.js";

test("ApiVersions v0-v4 list every implemented API; v3+ checks the client software name", async () => {
  const k = await startEmbeddedKafka();
  const c = await RawClient.open(k.bootstrap);
  try {
    for (const v of [0, 1, 2, 3, 4]) {
      const r = await c.call(API_KEYS.ApiVersions, v, {
        clientSoftwareName: "faultbox-test",
        clientSoftwareVersion: "1.0",
      });
      assert.equal(r.errorCode, E.NONE);
      assert.deepEqual(
        r.apiKeys.map((a) => [a.apiKey, a.minVersion, a.maxVersion]),
        EMBEDDED_API_VERSIONS.map((a) => [a.apiKey, a.minVersion, a.maxVersion]),
      );
    }
    const bad = await c.call(API_KEYS.ApiVersions, 3, {
      clientSoftwareName: "bad name!",
      clientSoftwareVersion: "1",
    });
    assert.equal(bad.errorCode, E.INVALID_REQUEST);
  } finally {
    c.close();
    await k.close();
  }
});

test("an ApiVersions request newer than we know gets a v0 UNSUPPORTED_VERSION answer with our range", async () => {
  const k = await startEmbeddedKafka();
  const c = await RawClient.open(k.bootstrap);
  try {
    // ApiVersions v9 (header v2, empty tagged body): hand-made since our codec stops at v4.
    const w = new Writer(32);
    w.int32(0);
    w.int16(API_KEYS.ApiVersions);
    w.int16(9);
    w.int32(77);
    w.int16(-1);
    w.uvarint(0);
    w.uvarint(0);
    const frame = w.result();
    frame.writeInt32BE(frame.length - 4, 0);
    const r = decodeResponse(API_KEYS.ApiVersions, 0, await c.writeRawAndRead(frame));
    assert.equal(r.correlationId, 77);
    assert.equal(r.body.errorCode, E.UNSUPPORTED_VERSION);
    assert.deepEqual(
      r.body.apiKeys.map((a) => [a.apiKey, a.minVersion, a.maxVersion]),
      [[18, 0, 4]],
    );
  } finally {
    c.close();
    await k.close();
  }
});

test("an API we do not offer, a malformed request and an absurd frame size close the connection with a message", async () => {
  const errors: string[] = [];
  const k = await startEmbeddedKafka({ onProtocolError: (m) => errors.push(m) });
  try {
    const c1 = await RawClient.open(k.bootstrap);
    await assert.rejects(
      c1.call(API_KEYS.DeleteRecords, 1, { topics: [], timeoutMs: 1000 }),
      /connection closed/,
    );
    assert.match(errors[0]!, /API key 21 version 1 is not supported by the embedded broker/);
    assert.match(
      errors[0]!,
      /embedded Kafka node 1 \(127\.0\.0\.1:\d+\): closing the connection from 127\.0\.0\.1:\d+/,
    );

    const c2 = await RawClient.open(k.bootstrap);
    // A Metadata v1 header followed by a topic array claiming 1000 entries that are not there.
    const w = new Writer(32);
    w.int32(0);
    w.int16(API_KEYS.Metadata);
    w.int16(1);
    w.int32(1);
    w.int16(-1);
    w.int32(1000);
    const bad = w.result();
    bad.writeInt32BE(bad.length - 4, 0);
    c2.writeRaw(bad);
    await c2.closed;
    assert.match(errors[1]!, /malformed request: Metadata v1 request/);

    const c3 = await RawClient.open(k.bootstrap);
    c3.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await c3.closed;
    assert.match(errors[2]!, /frame size 2147483647 is outside/);
    // The broker still serves new connections.
    const c4 = await RawClient.open(k.bootstrap);
    assert.equal((await c4.call(API_KEYS.Metadata, 1, { topics: [] })).brokers.length, 1);
    c4.close();
  } finally {
    await k.close();
  }
});

test("metadata auto-creates topics when allowed, and only then", async () => {
  const k = await startEmbeddedKafka({ brokers: 3, defaultPartitions: 3 });
  const c = await RawClient.open(k.bootstrap.split(",")[0]!);
  try {
    const no = await c.call(API_KEYS.Metadata, 9, {
      topics: [{ name: "quiet" }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(no.topics[0]!.errorCode, E.UNKNOWN_TOPIC_OR_PARTITION);
    const yes = await c.call(API_KEYS.Metadata, 9, {
      topics: [{ name: "auto" }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(yes.topics[0]!.errorCode, E.NONE);
    assert.deepEqual(
      yes.topics[0]!.partitions.map((p) => p.leaderId).sort(),
      [1, 2, 3],
      "leaders spread over the nodes",
    );
    const invalid = await c.call(API_KEYS.Metadata, 9, {
      topics: [{ name: "bad/name" }],
      allowAutoTopicCreation: true,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(invalid.topics[0]!.errorCode, E.INVALID_TOPIC_EXCEPTION);
    const all = await c.call(API_KEYS.Metadata, 1, { topics: null });
    assert.deepEqual(
      all.topics.map((t) => t.name),
      ["auto"],
    );
    assert.deepEqual(
      all.brokers.map((b) => b.port),
      k.brokers.map((b) => b.port),
    );
  } finally {
    c.close();
    await k.close();
  }
});

test("create topics: partitions, explicit assignments, duplicates, bad replication factor, validate only", async () => {
  const k = await startEmbeddedKafka({ brokers: 2 });
  const c = await RawClient.open(k.bootstrap.split(",")[0]!);
  try {
    const topic = (
      name: string,
      numPartitions: number,
      replicationFactor = -1,
      assignments: { partitionIndex: number; brokerIds: number[] }[] = [],
    ) => ({
      name,
      numPartitions,
      replicationFactor,
      assignments,
      configs: [],
    });
    const r = await c.call(API_KEYS.CreateTopics, 7, {
      topics: [
        topic("a", 4),
        topic("b", -1, -1, [
          { partitionIndex: 0, brokerIds: [2] },
          { partitionIndex: 1, brokerIds: [2] },
        ]),
        topic("c", 1, 3),
        topic("d", 0),
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.errorCode]),
      [
        ["a", E.NONE],
        ["b", E.NONE],
        ["c", E.INVALID_REPLICATION_FACTOR],
        ["d", E.INVALID_PARTITIONS],
      ],
    );
    assert.deepEqual([k.leaderOf("b", 0), k.leaderOf("b", 1)], [2, 2]);
    const again = await c.call(API_KEYS.CreateTopics, 7, {
      topics: [topic("a", 1), topic("e", 1)],
      timeoutMs: 1000,
      validateOnly: true,
    });
    assert.deepEqual(
      again.topics.map((t) => t.errorCode),
      [E.TOPIC_ALREADY_EXISTS, E.NONE],
    );
    assert.throws(() => k.endOffset("e", 0), /unknown partition/);
  } finally {
    c.close();
    await k.close();
  }
});

test("an idempotent kafkajs producer follows a leader move", async () => {
  const { Kafka, logLevel } = await import("kafkajs");
  const k = await startEmbeddedKafka({ brokers: 3, topics: [{ name: "t", partitions: 1 }] });
  const kafka = new Kafka({
    brokers: k.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 50 },
  });
  const producer = kafka.producer({ idempotent: true });
  try {
    await producer.connect();
    await producer.send({ topic: "t", acks: -1, messages: [{ value: "before" }] });
    const from = k.leaderOf("t", 0);
    k.moveLeader("t", 0, (from % 3) + 1);
    await producer.send({ topic: "t", acks: -1, messages: [{ value: "after" }] });
    assert.deepEqual(
      k.messages("t").map((m) => m.value!.toString()),
      ["before", "after"],
    );
  } finally {
    await producer.disconnect();
    await k.close();
  }
});

test("the embedded broker offers no version its handlers cannot serve, though the codec decodes newer ones", () => {
  const max = (apiKey: number) => EMBEDDED_API_VERSIONS.find((a) => a.apiKey === apiKey)?.maxVersion;
  // Its Produce, OffsetCommit and OffsetFetch handlers take topic names: the id-only versions (Produce
  // 13, OffsetCommit/OffsetFetch 10) must not be offered. Its Fetch stops before v18's new fields,
  // Metadata before v13's top-level error, DescribeCluster before v2's fenced brokers.
  assert.ok(max(API_KEYS.Produce)! <= 12);
  assert.ok(max(API_KEYS.OffsetCommit)! <= 9);
  assert.ok(max(API_KEYS.OffsetFetch)! <= 9);
  assert.equal(max(API_KEYS.Fetch), 17);
  assert.equal(max(API_KEYS.Metadata), 12);
  assert.equal(max(API_KEYS.DescribeCluster), 1);
});
