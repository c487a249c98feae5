// Builds compressed record batches for tests: an uncompressed batch from encodeRecordBatch, its records
// section run through a compressor, the codec written into the attributes, length and CRC fixed up.
// Compressors come from the libraries or the zstd/lz4 command-line tools (Debian packages zstd, lz4).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { compressFrameSync } from "lz4-napi";
import { compress as snappyCompress } from "snappyjs";
import { crc32c, encodeRecordBatch, type NewRecord } from "../../src/protocols/kafka/wire/index.js";
import { tool } from "../support/tools.js";

export const HEADER = 61;

export type Compressor = (records: Buffer) => Buffer;

/** `batch` (uncompressed) with its records section replaced by `payload` and attributes codec `codec`. */
export function withPayload(batch: Buffer, codec: number, payload: Buffer): Buffer {
  const out = Buffer.concat([batch.subarray(0, HEADER), payload]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE((out.readInt16BE(21) & ~0x07) | codec, 21);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

export function compressedBatch(records: NewRecord[], codec: number, compress: Compressor): Buffer {
  const plain = encodeRecordBatch(records);
  return withPayload(plain, codec, compress(plain.subarray(HEADER)));
}

/** snappy-java's stream layout: magic, version 1, compatible version 1, then [int32 length][block]. */
export function xerialSnappy(data: Buffer, chunkSize = 32 * 1024): Buffer {
  const parts: Buffer[] = [
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]),
  ];
  for (let i = 0; i < data.length || i === 0; i += chunkSize) {
    const block = snappyCompress(data.subarray(i, i + chunkSize));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    parts.push(len, block);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

/** A command-line compressor reading a file (so it knows the size) or, with `stdin`, a pipe. */
const viaTool =
  (name: "lz4" | "zstd", args: string[], stdin = false): Compressor =>
  (input) => {
    const cmd = tool(name);
    if (stdin) return execFileSync(cmd, args, { input, maxBuffer: 256 << 20 });
    const dir = mkdtempSync(join(tmpdir(), "faultbox-compress-"));
    try {
      writeFileSync(join(dir, "in"), input);
      return execFileSync(cmd, [...args, join(dir, "in")], { maxBuffer: 256 << 20 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

/** A zstd frame built by hand (RFC 8878): single segment, 4-byte content size, the given blocks. */
export function handZstdFrame(blocks: { type: "raw" | "rle"; data: Buffer; size?: number }[]): Buffer {
  const size = blocks.reduce((n, b) => n + (b.type === "raw" ? b.data.length : b.size!), 0);
  const head = Buffer.alloc(9);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = 0xa0; // content size field of 4 bytes, single segment
  head.writeUInt32LE(size, 5);
  const parts: Buffer[] = [head];
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const n = b.type === "raw" ? b.data.length : b.size!;
    const h = Buffer.alloc(3);
    h.writeUIntLE(last | ((b.type === "raw" ? 0 : 1) << 1) | (n << 3), 0, 3);
    parts.push(h, b.type === "raw" ? b.data : b.data.subarray(0, 1));
  });
  return Buffer.concat(parts);
}

/** One compressor per way a real producer lays out a codec's payload. */
export const COMPRESSORS: { name: string; codec: number; compress: Compressor }[] = [
  { name: "gzip (zlib)", codec: 1, compress: (b) => gzipSync(b) },
  { name: "snappy raw (librdkafka)", codec: 2, compress: (b) => snappyCompress(b) },
  { name: "snappy xerial (Java client, 32 KiB blocks)", codec: 2, compress: (b) => xerialSnappy(b) },
  { name: "snappy xerial in 100-byte blocks", codec: 2, compress: (b) => xerialSnappy(b, 100) },
  { name: "lz4 frame (lz4-napi)", codec: 3, compress: (b) => compressFrameSync(b) },
  {
    name: "lz4 frame with content size, block and content checksums (lz4 tool)",
    codec: 3,
    compress: viaTool("lz4", ["-c", "-q", "--content-size", "-BX", "-B4"]),
  },
  {
    name: "lz4 frame streamed from a pipe (lz4 tool)",
    codec: 3,
    compress: viaTool("lz4", ["-c", "-q"], true),
  },
  { name: "zstd with content size (zstd tool)", codec: 4, compress: viaTool("zstd", ["-c", "-q", "-19"]) },
  {
    name: "zstd streamed, no content size (zstd tool, as zstd-jni streams)",
    codec: 4,
    compress: viaTool("zstd", ["-c", "-q"], true),
  },
  {
    name: "zstd of raw blocks (built by hand)",
    codec: 4,
    // A 10-byte block, then blocks of at most 128 KiB (the format's maximum).
    compress: (b) =>
      handZstdFrame(
        [
          0,
          ...Array.from({ length: Math.ceil((b.length - 10) / (128 << 10)) }, (_, i) => 10 + i * (128 << 10)),
        ].map((start, i, starts) => ({
          type: "raw" as const,
          data: b.subarray(start, starts[i + 1] ?? b.length),
        })),
      ),
  },
];
