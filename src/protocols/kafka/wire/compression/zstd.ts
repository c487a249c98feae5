// zstd (Kafka codec 4), decoded by fzstd (pure JavaScript). Format: RFC 8878.
//
// Size guard: fzstd allocates each frame's declared content size (or, without one, its window) up
// front, so a 20-byte frame claiming 4 GiB would take the process down before decoding a single block.
// The frame and block headers are therefore walked first: raw and RLE blocks state their output size,
// a compressed block produces at most min(window, 128 KiB). Both the output bound and the memory
// fzstd would allocate, summed over the frames, must stay within the limit before fzstd sees the bytes.
//
// Window: a streaming producer (the Java client's zstd-jni) declares no content size and zstd's
// default window (2 MiB at level 3). fzstd would allocate and shift that whole window for every
// 16 KiB batch. A match can never reach further back than the bytes decoded so far, so when a frame's
// output bound is smaller than its window, the window descriptor of a copy is lowered to the bound
// (rounded up to a power of two): same output, a fraction of the memory and time.
import { decompress } from "fzstd";
import { DecompressionError, checkBound, corrupt } from "./errors.js";
import { frameStart } from "./frame-start.js";

const FRAME_MAGIC = 0xfd2fb528;
const MAX_BLOCK = 128 << 10;
const MIN_WINDOW_LOG = 10;

const bad = (why: string) => new DecompressionError("zstd", "corrupt", `not a valid zstd frame (${why})`);

/** The smallest window descriptor byte (mantissa 0) whose window holds `bytes`. */
function windowDescriptorFor(bytes: number): { descriptor: number; window: number } {
  let log = MIN_WINDOW_LOG;
  while (2 ** log < bytes) log++;
  return { descriptor: (log - MIN_WINDOW_LOG) << 3, window: 2 ** log };
}

export interface ZstdPlan {
  /** An upper bound of the bytes the payload decompresses to. */
  bound: number;
  /** The bytes to hand to fzstd: the payload, or a copy with smaller window descriptors. */
  input: Buffer;
}

/** Walks the frames (zstd and skippable) of `payload`, bounding output and allocation by `limit`. */
export function planZstd(payload: Buffer, limit: number): ZstdPlan {
  let pos = 0;
  let bound = 0;
  let allocated = 0;
  const shrink: { at: number; descriptor: number }[] = [];
  while (pos < payload.length) {
    const { magic, next } = frameStart(payload, pos, bad);
    if (next !== undefined) {
      pos = next;
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
    const descriptorAt = pos;
    if (!singleSegment) {
      const wd = payload[pos++]!;
      const windowBase = 2 ** (MIN_WINDOW_LOG + (wd >> 3));
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
    if (contentSize !== undefined) {
      allocated += contentSize; // fzstd allocates the declared content size
      checkBound("zstd", allocated, limit);
    }
    const blockMax = Math.min(window, MAX_BLOCK);
    let frameBound = 0;
    for (let last = false; !last;) {
      if (pos + 3 > payload.length) throw bad("block header cut short");
      const header = payload.readUIntLE(pos, 3);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw bad("reserved block type");
      if (type === 1) {
        frameBound += size; // RLE: one byte repeated `size` times
        pos += 1;
      } else {
        if (size > blockMax) throw bad(`block of ${size} bytes, more than the ${blockMax}-byte maximum`);
        frameBound += type === 0 ? size : blockMax;
        pos += size;
      }
      checkBound("zstd", bound + frameBound, limit);
    }
    pos += checksum ? 4 : 0;
    bound += frameBound;
    if (contentSize === undefined) {
      // fzstd allocates the window: the declared one, or a smaller one that holds the whole output.
      const smaller = windowDescriptorFor(frameBound);
      if (smaller.window < window) {
        shrink.push({ at: descriptorAt, descriptor: smaller.descriptor });
        window = smaller.window;
      }
      allocated += window;
      checkBound("zstd", allocated, limit);
    }
  }
  if (pos > payload.length) throw bad("last frame cut short");
  if (shrink.length === 0) return { bound, input: payload };
  const input = Buffer.from(payload);
  for (const s of shrink) input[s.at] = s.descriptor;
  return { bound, input };
}

export function unzstdRecords(payload: Buffer, limit: number): Buffer {
  const { input } = planZstd(payload, limit);
  let out: Uint8Array;
  try {
    out = decompress(input);
  } catch (err) {
    throw corrupt("zstd", err);
  }
  checkBound("zstd", out.length, limit);
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}
