// zstd (Kafka codec 4), decoded by fzstd (pure JavaScript). Format: RFC 8878.
//
// Size guard: fzstd allocates each frame's declared content size (or, without one, its window) up
// front, so a 20-byte frame claiming 4 GiB would take the process down before decoding a single block.
// The frame and block headers are therefore walked first: raw and RLE blocks state their output size,
// a compressed block produces at most min(window, 128 KiB). Both the output bound and the memory
// fzstd would allocate, summed over the frames, must stay within the limit before fzstd sees the bytes.
// (Kafka's Java client streams with zstd's default window of at most 8 MiB; a limit below the
// producer's window refuses its batches.)
import { decompress } from "fzstd";
import { DecompressionError, checkBound, corrupt } from "./errors.js";

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK = 128 << 10;

const bad = (why: string) => new DecompressionError("zstd", "corrupt", `not a valid zstd frame (${why})`);

/** An upper bound of the bytes `payload` (zstd and skippable frames) decompresses to. */
export function zstdOutputBound(payload: Buffer, limit: number): number {
  let pos = 0;
  let bound = 0;
  let allocated = 0;
  while (pos < payload.length) {
    if (pos + 4 > payload.length) throw bad(`${payload.length - pos} stray bytes after a frame`);
    const magic = payload.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > payload.length) throw bad("skippable frame cut short");
      pos += 8 + payload.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw bad(`magic 0x${magic.toString(16)} at byte ${pos}`);
    if (pos + 5 > payload.length) throw bad("frame header cut short");
    const fhd = payload[pos + 4]!;
    if (fhd & 0x08) throw bad("reserved header bit set");
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsFlag = fhd >> 6;
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    pos += 5;
    let window = 0;
    if (!singleSegment) {
      const wd = payload[pos++]!;
      const windowBase = 2 ** (10 + (wd >> 3));
      window = windowBase + (windowBase / 8) * (wd & 7);
    }
    pos += dictIdBytes;
    if (pos + fcsBytes > payload.length) throw bad("frame header cut short");
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = payload[pos]!;
    else if (fcsBytes === 2) contentSize = payload.readUInt16LE(pos) + 256;
    else if (fcsBytes === 4) contentSize = payload.readUInt32LE(pos);
    else if (fcsBytes === 8) contentSize = Number(payload.readBigUInt64LE(pos));
    pos += fcsBytes;
    if (singleSegment) window = contentSize!;
    allocated += contentSize || window;
    checkBound("zstd", allocated, limit);
    const blockMax = Math.min(window, MAX_BLOCK);
    for (let last = false; !last;) {
      if (pos + 3 > payload.length) throw bad("block header cut short");
      const header = payload.readUIntLE(pos, 3);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw bad("reserved block type");
      if (type === 1) {
        bound += size; // RLE: one byte repeated `size` times
        pos += 1;
      } else {
        if (size > blockMax) throw bad(`block of ${size} bytes, more than the ${blockMax}-byte maximum`);
        bound += type === 0 ? size : blockMax;
        pos += size;
      }
      checkBound("zstd", bound, limit);
    }
    pos += checksum ? 4 : 0;
  }
  if (pos > payload.length) throw bad("last frame cut short");
  return bound;
}

export function unzstdRecords(payload: Buffer, limit: number): Buffer {
  checkBound("zstd", zstdOutputBound(payload, limit), limit);
  let out: Uint8Array;
  try {
    out = decompress(payload);
  } catch (err) {
    throw corrupt("zstd", err);
  }
  checkBound("zstd", out.length, limit);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
