// Decompression of record batches in every codec, and its size guard: readRecords reads the same
// records whatever the codec and whichever layout the producer used (snappy raw or xerial, LZ4 frames
// with or without checksums and content size, zstd with or without content size), refuses payloads
// that would decompress past the limit without inflating them, and names the codec for corrupt bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { compressFrameSync } from "lz4-napi";
import { compress as snappyCompress } from "snappyjs";
import {
  DecompressionError,
  decompressRecords,
  readRecords,
  type NewRecord,
} from "../../src/protocols/kafka/wire/index.js";
import { planZstd } from "../../src/protocols/kafka/wire/compression/zstd.js";
import { COMPRESSORS, compressedBatch, handZstdFrame, xerialSnappy } from "./compressed-batch.js";
import { tool } from "../support/tools.js";

const RECORDS: NewRecord[] = [
  { key: "k1", value: "first order", headers: [{ key: "trace", value: "abc" }] },
  { key: "k2", value: JSON.stringify({ order: 2, items: ["a".repeat(300)] }) },
  { key: null, value: null },
  { key: "k3", value: "x".repeat(5000) },
];

const text = (b: Buffer | null) => (b === null ? null : b.toString("utf8"));

for (const { name, codec, compress } of COMPRESSORS) {
  test(`readRecords reads a ${name} batch like the uncompressed one`, () => {
    const batch = compressedBatch(RECORDS, codec, compress);
    assert.equal(batch.readInt16BE(21) & 7, codec);
    const got = readRecords(batch);
    assert.deepEqual(
      got.map((r) => [text(r.key), text(r.value), r.headers.map((h) => [h.key, text(h.value)])]),
      RECORDS.map((r) => [r.key ?? null, r.value, (r.headers ?? []).map((h) => [h.key, h.value])]),
    );
    assert.deepEqual(
      got.map((r) => r.offsetDelta),
      [0, 1, 2, 3],
    );
  });
}

test("a large xerial snappy stream in many chunks and several concatenated LZ4 and zstd frames", () => {
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  assert.ok(decompressRecords(2, xerialSnappy(data, 32 * 1024)).equals(data));
  const lz4 = Buffer.concat([
    compressFrameSync(data.subarray(0, 1000)),
    compressFrameSync(data.subarray(1000)),
  ]);
  assert.ok(decompressRecords(3, lz4).equals(data));
  const zstd = Buffer.concat([
    handZstdFrame([{ type: "raw", data: data.subarray(0, 100_000) }]),
    handZstdFrame([
      { type: "raw", data: data.subarray(100_000, 150_000) },
      { type: "rle", data: Buffer.from([7]), size: 3 },
    ]),
  ]);
  const out = decompressRecords(4, zstd);
  assert.equal(out.length, 150_003);
  assert.ok(out.subarray(0, 150_000).equals(data.subarray(0, 150_000)));
  assert.deepEqual([...out.subarray(150_000)], [7, 7, 7]);
});

function assertRefused(fn: () => unknown, failure: string, codec: string, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecompressionError, `expected a DecompressionError, got ${String(err)}`);
    assert.equal(err.failure, failure);
    assert.equal(err.codec, codec);
    assert.match(err.message, pattern);
    return true;
  });
}

test("the size guard refuses a bomb in every codec, with the limit in the message", () => {
  const zeros = Buffer.alloc(8 << 20); // 8 MiB of zeros compress to a few KiB in every codec
  const limit = 1 << 20;
  const cases: [number, string, Buffer][] = [
    [1, "gzip", gzipSync(zeros)],
    [2, "snappy", snappyCompress(zeros)],
    [2, "snappy", xerialSnappy(zeros)],
    [3, "lz4", compressFrameSync(zeros)],
    [4, "zstd", COMPRESSORS.find((c) => c.name.startsWith("zstd with content"))!.compress(zeros)],
    [4, "zstd", COMPRESSORS.find((c) => c.name.startsWith("zstd streamed"))!.compress(zeros)],
  ];
  for (const [codec, name, payload] of cases) {
    assert.ok(payload.length < 512 * 1024, `${name} fixture is a bomb (${payload.length} bytes)`);
    assertRefused(
      () => decompressRecords(codec, payload, limit),
      "too-large",
      name,
      /more than the 1 MiB limit/,
    );
    assert.equal(decompressRecords(codec, payload, 8 << 20).length, zeros.length, `${name} under the limit`);
  }
});

test("a zstd frame declaring 4 GiB or a 1 GiB run of RLE blocks is refused before fzstd allocates", () => {
  const lying = Buffer.alloc(4 + 1 + 8 + 3 + 1);
  lying.writeUInt32LE(0xfd2fb528, 0);
  lying[4] = 0xe0; // single segment, 8-byte content size
  lying.writeBigUInt64LE(4n << 30n, 5);
  lying.writeUIntLE(1 | (0 << 1) | (1 << 3), 13, 3); // last raw block of 1 byte
  assertRefused(() => decompressRecords(4, lying), "too-large", "zstd", /4 GiB.*64 MiB limit/);

  // 8192 RLE blocks of 128 KiB: 32 KiB of input for 1 GiB of output, no content size.
  const head = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]); // window 128 KiB
  const blocks = Array.from({ length: 8192 }, (_, i) => {
    const b = Buffer.alloc(4);
    b.writeUIntLE((i === 8191 ? 1 : 0) | (1 << 1) | ((128 << 10) << 3), 0, 3);
    return b;
  });
  const bomb = Buffer.concat([head, ...blocks]);
  assertRefused(() => decompressRecords(4, bomb), "too-large", "zstd", /64 MiB limit/);
  const batch = compressedBatch([{ key: "k", value: "v" }], 4, () => bomb);
  assert.throws(() => readRecords(batch), DecompressionError);
});

test("corrupt payloads and unknown codecs fail with a DecompressionError naming the codec", () => {
  const data = Buffer.from("some records ".repeat(100));
  const truncated: [number, string, Buffer][] = [
    [1, "gzip", gzipSync(data)],
    [2, "snappy", snappyCompress(data)],
    [2, "snappy", xerialSnappy(data)],
    [3, "lz4", compressFrameSync(data)],
    [4, "zstd", handZstdFrame([{ type: "raw", data }])],
  ];
  for (const [codec, name, payload] of truncated) {
    const cut = payload.subarray(0, payload.length - 7);
    assertRefused(
      () => decompressRecords(codec, cut),
      "corrupt",
      name,
      new RegExp(`not a valid ${name}`, "i"),
    );
    const garbage = Buffer.from("definitely not compressed data");
    assertRefused(() => decompressRecords(codec, garbage), "corrupt", name, /not a valid/);
  }
  for (const codec of [5, 6, 7]) {
    assertRefused(() => decompressRecords(codec, data), "unknown-codec", `codec ${codec}`, /codecs 0 to 4/);
  }
});

test("a streamed zstd frame gets a window no larger than its output, and long matches still decode", () => {
  // 600 KiB of noise twice: the second half is one match 600 KiB back, inside an 8 MiB window.
  const noise = randomBytes(600 << 10);
  const data = Buffer.concat([noise, noise]);
  const streamed = execFileSync(tool("zstd"), ["-c", "-q", "--zstd=wlog=23"], {
    input: data,
    maxBuffer: 64 << 20,
  });
  assert.equal(streamed[5], (23 - 10) << 3, "the producer declared an 8 MiB window");
  const plan = planZstd(streamed, 64 << 20);
  assert.equal(plan.input[5], (21 - 10) << 3, "fzstd gets a 2 MiB window (output bound 1.2 MiB)");
  assert.ok(streamed.length < data.length / 1.5, "the second half was compressed as a match");
  assert.ok(decompressRecords(4, streamed).equals(data));
  assert.equal(streamed[5], (23 - 10) << 3, "the payload itself is not modified");
  // With a 1 MiB limit the 8 MiB window no longer matters, only the 1.2 MiB output does.
  assert.throws(() => decompressRecords(4, streamed, 1 << 20), /1 MiB limit/);
  assert.ok(decompressRecords(4, streamed, 2 << 20).equals(data));
});
