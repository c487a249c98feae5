// Known byte vectors: hand-assembled frames from the protocol guide, and frames written or read by an
// independent implementation (kafkajs' protocol encoders and decoders).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import {
  API_KEYS,
  FrameReader,
  KafkaDecodeError,
  batchCrcValid,
  crc32c,
  decodeRequest,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
  peekRequestHeader,
  readBatchHeader,
  readRecords,
  rewriteProducerFields,
  splitBatches,
  Reader,
  Writer,
} from "../../src/protocols/kafka/wire/index.js";

const require = createRequire(import.meta.url);
const kafkajsRequest = require("kafkajs/src/protocol/request.js");
const produceV3 = require("kafkajs/src/protocol/requests/produce/v3/request.js");
const produceV7 = require("kafkajs/src/protocol/requests/produce/v7/request.js");
const metadataV6 = require("kafkajs/src/protocol/requests/metadata/v6/request.js");
const metadataV6Response = require("kafkajs/src/protocol/requests/metadata/v6/response.js");
const fetchV11 = require("kafkajs/src/protocol/requests/fetch/v11/request.js");
const { Types: CompressionTypes } = require("kafkajs/src/protocol/message/compression/index.js");

async function kafkajsFrame(request: unknown, correlationId = 42, clientId = "kjs"): Promise<Buffer> {
  const enc = await kafkajsRequest({ correlationId, clientId, request });
  return enc.buffer as Buffer;
}

test("CRC-32C check value and incremental use", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(Buffer.from("56789"), crc32c(Buffer.from("1234"))), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  // 32 zero bytes: RFC 3720 (iSCSI) test vector.
  assert.equal(crc32c(Buffer.alloc(32)), 0x8a9136aa);
});

test("unsigned and zig-zag varints match the protocol guide's encodings", () => {
  const w = new Writer(2);
  w.uvarint(0);
  w.uvarint(300);
  w.varint(-1);
  w.varint(1);
  w.varlong(-2n);
  assert.deepEqual([...w.result()], [0x00, 0xac, 0x02, 0x01, 0x02, 0x03]);
  const r = new Reader(w.result());
  assert.deepEqual([r.uvarint(), r.uvarint(), r.varint(), r.varint(), r.varlong()], [0, 300, -1, 1, -2n]);
});

test("ApiVersions v3 request: header v2 keeps an int16 client id, body uses compact strings", () => {
  const frame = Buffer.from([
    0,
    0,
    0,
    17, // size
    0,
    18,
    0,
    3,
    0,
    0,
    0,
    7, // api key 18, version 3, correlation id 7
    0,
    1,
    0x63,
    0, // client id "c" (int16 length), no header tags
    2,
    0x6e,
    2,
    0x31,
    0, // software name "n", version "1" (uvarint length+1), no tags
  ]);
  const req = decodeRequest(frame.subarray(4));
  assert.equal(req.apiKey, API_KEYS.ApiVersions);
  assert.equal(req.header.clientId, "c");
  assert.deepEqual(req.body, { clientSoftwareName: "n", clientSoftwareVersion: "1" });
  assert.ok(encodeRequest(18, 3, 7, "c", req.body as never).equals(frame));
});

test("ApiVersions v3 response uses response header v0 even though the body is flexible", () => {
  const body = { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }], throttleTimeMs: 0 };
  const frame = encodeResponse(18, 3, 9, body);
  assert.deepEqual(
    [...frame],
    // size, correlation id 9 (no header tags), error 0, 1 api key {0, 0, 11, no tags}, throttle 0, no tags
    [0, 0, 0, 19, 0, 0, 0, 9, 0, 0, 2, 0, 0, 0, 0, 0, 11, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(decodeResponse(18, 3, frame.subarray(4)).body, body);
});

test("Metadata v9 response: header v1 tagged fields, compact arrays and nullable rack", () => {
  const body = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "h", port: 9092, rack: null }],
    clusterId: null,
    controllerId: 1,
    topics: [],
    clusterAuthorizedOperations: -2147483648,
  };
  const frame = encodeResponse(3, 9, 5, body);
  const expected = Buffer.concat([
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([0, 0, 0, 5, 0]), // correlation id, header tags
    Buffer.from([0, 0, 0, 0]), // throttle
    Buffer.from([2, 0, 0, 0, 1, 2, 0x68, 0, 0, 0x23, 0x84, 0, 0]), // brokers: 1 x {1, "h", 9092, null, tags}
    Buffer.from([0, 0, 0, 0, 1, 1, 0x80, 0, 0, 0, 0]), // cluster id null, controller 1, topics [], ops, tags
  ]);
  expected.writeInt32BE(expected.length - 4, 0);
  assert.deepEqual([...frame], [...expected]);
});

test("Produce v3 and v7 written by kafkajs decode, re-encode byte for byte, and carry valid batches", async () => {
  for (const [encoder, version] of [
    [produceV3, 3],
    [produceV7, 7],
  ] as const) {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      const frame = await kafkajsFrame(
        encoder({
          acks: -1,
          timeout: 30000,
          transactionalId: null,
          producerId: 77,
          producerEpoch: 2,
          compression,
          topicData: [
            {
              topic: "orders",
              partitions: [
                {
                  partition: 1,
                  firstSequence: 5,
                  messages: [
                    { key: "k1", value: "v1", headers: { h: "x" } },
                    { key: null, value: "v2" },
                  ],
                },
              ],
            },
          ],
        }),
      );
      const req = decodeRequest(frame.subarray(4));
      assert.ok(req.apiKey === API_KEYS.Produce);
      assert.equal(req.apiVersion, version);
      assert.equal(req.header.clientId, "kjs");
      assert.equal(req.body.acks, -1);
      assert.equal(req.body.transactionalId, null);
      const topic = req.body.topicData[0]!;
      assert.equal(topic.name, "orders");
      assert.equal(topic.partitionData[0]!.index, 1);
      const { batches } = splitBatches(topic.partitionData[0]!.records!);
      assert.equal(batches.length, 1);
      const b = batches[0]!;
      assert.ok(batchCrcValid(b.bytes));
      assert.equal(b.header.producerId, 77n);
      assert.equal(b.header.producerEpoch, 2);
      assert.equal(b.header.baseSequence, 5);
      assert.equal(b.header.lastOffsetDelta, 1);
      assert.equal(b.header.compression, compression);
      const records = readRecords(b.bytes);
      assert.deepEqual(
        records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.headers.map((h) => h.key)]),
        [
          ["k1", "v1", ["h"]],
          [null, "v2", []],
        ],
      );
      assert.ok(encodeRequest(0, version, 42, "kjs", req.body).equals(frame));
    }
  }
});

test("Metadata v6 and Fetch v11 written by kafkajs decode and re-encode byte for byte", async () => {
  const meta = await kafkajsFrame(metadataV6({ topics: ["a", "b"], allowAutoTopicCreation: false }));
  const m = decodeRequest(meta.subarray(4));
  assert.ok(m.apiKey === API_KEYS.Metadata);
  assert.deepEqual(m.body.topics, [{ name: "a" }, { name: "b" }]);
  assert.equal(m.body.allowAutoTopicCreation, false);
  assert.ok(encodeRequest(3, 6, 42, "kjs", m.body).equals(meta));

  const fetch = await kafkajsFrame(
    fetchV11({
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1000,
      topics: [{ topic: "orders", partitions: [{ partition: 0, fetchOffset: "12", maxBytes: 100 }] }],
      rackId: "r1",
    }),
  );
  const f = decodeRequest(fetch.subarray(4));
  assert.ok(f.apiKey === API_KEYS.Fetch);
  assert.equal(f.body.maxWaitMs, 500);
  assert.equal(f.body.topics[0]!.topic, "orders");
  assert.equal(f.body.topics[0]!.partitions[0]!.fetchOffset, 12n);
  assert.equal(f.body.rackId, "r1");
  assert.ok(encodeRequest(1, 11, 42, "kjs", f.body).equals(fetch));
});

test("a Metadata v6 response we encode is read correctly by kafkajs' decoder", async () => {
  const frame = encodeResponse(3, 6, 1, {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 3, host: "127.0.0.1", port: 40001, rack: null }],
    clusterId: "abc",
    controllerId: 3,
    topics: [
      {
        errorCode: 0,
        name: "orders",
        isInternal: false,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 3,
            replicaNodes: [3],
            isrNodes: [3],
            offlineReplicas: [],
          },
        ],
      },
    ],
  });
  const decoded = await metadataV6Response.decode(frame.subarray(8));
  assert.deepEqual(decoded.brokers, [{ nodeId: 3, host: "127.0.0.1", port: 40001, rack: null }]);
  assert.equal(decoded.topicMetadata[0].topic, "orders");
  assert.equal(decoded.topicMetadata[0].partitionMetadata[0].leader, 3);
});

test("malformed frames throw KafkaDecodeError naming the API, version and field", () => {
  const good = encodeRequest(3, 12, 1, "c", {
    topics: [{ name: "orders", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }],
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });
  assert.throws(
    () => decodeRequest(good.subarray(4, good.length - 3)),
    (e: unknown) => e instanceof KafkaDecodeError && /Metadata v12 request/.test(e.message),
  );
  const unknownVersion = Buffer.from(good.subarray(4));
  unknownVersion.writeInt16BE(99, 2);
  assert.throws(() => decodeRequest(unknownVersion), /Metadata version 99 is not supported/);
  assert.throws(() => decodeRequest(Buffer.concat([good.subarray(4), Buffer.from([1])])), /1 trailing bytes/);
  assert.equal(peekRequestHeader(good.subarray(4)).clientId, "c");
});

test("record batches: build, read, rewrite producer fields with a fresh CRC, split with a truncated tail", () => {
  const a = encodeRecordBatch(
    [{ key: "k", value: "v", headers: [{ key: "h", value: null }] }, { value: null }],
    {
      producerId: 9n,
      producerEpoch: 1,
      baseSequence: 10,
    },
  );
  assert.ok(batchCrcValid(a));
  const h = readBatchHeader(a);
  assert.equal(h.recordsCount, 2);
  assert.equal(h.lastOffsetDelta, 1);
  assert.equal(h.batchLength, a.length - 12);
  const recs = readRecords(a);
  assert.equal(recs[0]!.key!.toString(), "k");
  assert.equal(recs[0]!.headers[0]!.value, null);
  assert.equal(recs[1]!.value, null);

  const b = rewriteProducerFields(a, {
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
  });
  assert.ok(batchCrcValid(b));
  assert.notEqual(b.readUInt32BE(17), a.readUInt32BE(17));
  assert.equal(readBatchHeader(b).baseSequence, -1);
  assert.deepEqual(readRecords(b), recs);
  const corrupted = Buffer.from(a);
  corrupted[a.length - 1] ^= 1;
  assert.equal(batchCrcValid(corrupted), false);

  const records = Buffer.concat([a, b, b.subarray(0, 30)]);
  const { batches, rest } = splitBatches(records);
  assert.equal(batches.length, 2);
  assert.equal(rest, a.length + b.length);
});

test("FrameReader splits frames across arbitrary chunk boundaries and rejects absurd sizes", () => {
  const frames = [
    encodeResponse(12, 0, 1, { errorCode: 0 }),
    encodeResponse(12, 4, 2, { throttleTimeMs: 0, errorCode: 27 }),
  ];
  const stream = Buffer.concat(frames);
  for (let cut = 1; cut < stream.length; cut++) {
    const fr = new FrameReader();
    const got = [...fr.push(stream.subarray(0, cut)), ...fr.push(stream.subarray(cut))];
    assert.equal(got.length, 2);
    assert.equal(decodeResponse(12, 4, got[1]!).body.errorCode, 27);
  }
  const bytewise = new FrameReader();
  const got: Buffer[] = [];
  for (const byte of stream) got.push(...bytewise.push(Buffer.from([byte])));
  assert.equal(got.length, 2);
  assert.throws(() => new FrameReader().push(Buffer.from([0x7f, 0, 0, 0])), /frame size/);
});
