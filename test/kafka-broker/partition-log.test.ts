// How the embedded broker stores batches: back to back in a few large segments it owns, so a small
// stored batch does not keep alive a slab of Node's shared Buffer pool (with whatever else was allocated
// beside it: about 1.5 KB per one-record batch), and reads see exactly the bytes stored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PartitionLog } from "../../src/protocols/kafka/broker/partition-log.js";
import { encodeRecordBatch, readBatchHeader, readRecords } from "../../src/protocols/kafka/wire/index.js";

const N = 20_000;

function fill(log: PartitionLog): Buffer[] {
  const sent: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    const batch = encodeRecordBatch([{ value: Buffer.from(`value-${i}`), timestamp: BigInt(1000 + i) }]);
    sent.push(batch);
    // Interleave other small allocations, as a request's decoding and answer do between two appends.
    Buffer.from(`answer-${i}`);
    const r = log.append(batch, readBatchHeader(batch), 3);
    assert.equal(r.errorCode, 0);
  }
  return sent;
}

test("partition log: 20,000 one-record batches live in a few segments of the log's own, not in Node's pool", () => {
  const log = new PartitionLog("t", 0);
  fill(log);
  const batches = [...log.batches()];
  const stores = new Set(batches.map((b) => b.bytes.buffer));
  // One Buffer per batch (the old layout) puts them in hundreds of pool slabs shared with other data.
  assert.ok(stores.size <= 16, `${stores.size} separate allocations hold the batches`);
  const held = [...stores].reduce((n, s) => n + s.byteLength, 0);
  const stored = batches.reduce((n, b) => n + b.bytes.length, 0);
  assert.ok(held <= 2 * stored + (1 << 20), `${held} B allocated for ${stored} B of batches`);
  assert.deepEqual(log.storageBytes().used, stored);
});

test("partition log: reads give back each batch as stored, offsets and leader epoch rewritten", () => {
  const log = new PartitionLog("t", 0);
  const sent = fill(log);
  assert.equal(log.highWatermark, BigInt(N));
  assert.equal(log.batchCount, N);
  for (const i of [0, 1, 4095, N - 1]) {
    const b = log.batch(i);
    assert.equal(b.baseOffset, BigInt(i));
    const h = readBatchHeader(b.bytes);
    assert.deepEqual([h.baseOffset, h.partitionLeaderEpoch], [BigInt(i), 3]);
    assert.deepEqual(b.bytes.subarray(16), sent[i]!.subarray(16), "everything past the broker's fields");
    assert.equal(readRecords(b.bytes)[0]!.value!.toString(), `value-${i}`);
  }
  // A read from the middle starts at the batch holding the offset and stops at the byte limit.
  const chunk = log.read(12_345n, 1000, true);
  assert.equal(readBatchHeader(chunk[0]!).baseOffset, 12_345n);
  assert.ok(chunk.reduce((n, b) => n + b.length, 0) <= 1000);
  assert.deepEqual(log.offsetForTimestamp(1000n + 777n), { offset: 777n, timestamp: 1777n });
  assert.deepEqual(log.maxTimestampOffset(), { offset: BigInt(N - 1), timestamp: BigInt(1000 + N - 1) });
});

test("partition log: a batch larger than a segment gets one of its own", () => {
  const log = new PartitionLog("t", 0);
  const big = encodeRecordBatch([{ value: Buffer.alloc(3 << 20, 7) }]);
  const small = encodeRecordBatch([{ value: Buffer.from("x") }]);
  for (const b of [small, big, small]) assert.equal(log.append(b).errorCode, 0);
  assert.deepEqual(
    [...log.batches()].map((b) => [b.baseOffset, b.bytes.length]),
    [
      [0n, small.length],
      [1n, big.length],
      [2n, small.length],
    ],
  );
  assert.equal(readRecords(log.batch(1).bytes)[0]!.value!.length, 3 << 20);
});
