// snappy (Kafka codec 2). Two layouts reach a broker:
// - Kafka's Java client writes snappy-java's "xerial" stream: an 8-byte magic (0x82 "SNAPPY" 0x00),
//   two int32 versions, then chunks of [int32 big-endian length][raw snappy block];
// - librdkafka (kcat, confluent-kafka-*) writes one raw snappy block.
// Both begin each raw block with its uncompressed length as a varint, so the size guard adds those up
// before decompressing anything. The blocks are decoded by snappyjs (pure JavaScript).
import { DecompressionError, checkBound, corrupt } from "./errors.js";
import { lazyCodec } from "./load-codec.js";

const snappy = lazyCodec<typeof import("snappyjs")>("snappyjs");

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = 16;

const bad = (why: string) =>
  new DecompressionError("snappy", "corrupt", `not a valid snappy stream (${why})`);

/** The uncompressed length a raw snappy block declares (a little-endian base-128 varint). */
export function snappyDeclaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return result;
  }
  throw bad("bad length header");
}

export const isXerialSnappy = (payload: Buffer): boolean =>
  payload.length >= XERIAL_MAGIC.length && payload.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);

/** The raw snappy blocks of a payload: one for raw snappy, the chunks of a xerial stream. */
function snappyBlocks(payload: Buffer): Buffer[] {
  if (!isXerialSnappy(payload)) return [payload];
  if (payload.length < XERIAL_HEADER) throw bad("xerial stream shorter than its 16-byte header");
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER;
  while (pos < payload.length) {
    if (pos + 4 > payload.length) throw bad(`xerial chunk header cut at byte ${pos}`);
    const len = payload.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > payload.length) throw bad(`xerial chunk of ${len} bytes runs past the batch`);
    blocks.push(payload.subarray(pos, pos + len));
    pos += len;
  }
  return blocks;
}

export function unsnappyRecords(payload: Buffer, limit: number): Buffer {
  const blocks = snappyBlocks(payload);
  const lengths = blocks.map(snappyDeclaredLength);
  checkBound(
    "snappy",
    lengths.reduce((a, b) => a + b, 0),
    limit,
  );
  try {
    const out = blocks.map((b, i) => snappy().uncompress(b, lengths[i]));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  } catch (err) {
    throw corrupt("snappy", err);
  }
}
