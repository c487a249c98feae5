// lz4 (Kafka codec 3). Record batches v2 carry one or more LZ4 frames (the standard frame format,
// https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md; the Java client's old broken header
// checksum only affected magic 0). The frames are decoded by lz4-napi (lz4_flex, prebuilt binaries).
//
// Size guard: a frame says nothing reliable about its output (the content size is optional), but every
// block declares its compressed length and a compressed block expands to at most the frame's block
// maximum size (64 KiB to 4 MiB). Walking the block headers gives a bound before decoding anything.
import { DecompressionError, checkBound, corrupt } from "./errors.js";
import { lazyCodec } from "./load-codec.js";
import { frameStart } from "./frame-start.js";

const lz4 = lazyCodec<typeof import("lz4-napi")>("lz4-napi");
const FRAME_MAGIC = 0x184d2204;
const BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

const bad = (why: string) => new DecompressionError("lz4", "corrupt", `not a valid LZ4 frame (${why})`);

/**
 * The LZ4 frames of `payload` (skippable frames left out) and an upper bound of the bytes they
 * decompress to, from the block headers alone.
 */
export function lz4Frames(payload: Buffer): { frames: Buffer[]; bound: number } {
  let pos = 0;
  let bound = 0;
  const frames: Buffer[] = [];
  while (pos < payload.length) {
    const start = pos;
    const { magic, next } = frameStart(payload, pos, bad);
    if (next !== undefined) {
      pos = next;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw bad(`magic 0x${magic.toString(16)} at byte ${pos}`);
    if (pos + 7 > payload.length) throw bad("frame header cut short");
    const flg = payload[pos + 4]!;
    const bd = payload[pos + 5]!;
    if (flg >> 6 !== 1) throw bad(`frame version ${flg >> 6}`);
    const blockMax = BLOCK_MAX[(bd >> 4) & 7];
    if (blockMax === undefined) throw bad(`block size code ${(bd >> 4) & 7}`);
    const blockChecksums = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    pos += 4 + 2 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1;
    for (;;) {
      if (pos + 4 > payload.length) throw bad("block header cut short (no end mark)");
      const word = payload.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const stored = (word & 0x80000000) !== 0;
      if (size > blockMax) throw bad(`block of ${size} bytes in a frame of ${blockMax}-byte blocks`);
      bound += stored ? size : blockMax;
      pos += size + (blockChecksums ? 4 : 0);
    }
    pos += contentChecksum ? 4 : 0;
    if (pos > payload.length) throw bad("frame cut short");
    frames.push(payload.subarray(start, pos));
  }
  return { frames, bound };
}

export function unlz4Records(payload: Buffer, limit: number): Buffer {
  const { frames, bound } = lz4Frames(payload);
  checkBound("lz4", bound, limit);
  try {
    const out = frames.map((f) => lz4().decompressFrameSync(f));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  } catch (err) {
    throw corrupt("lz4", err);
  }
}
