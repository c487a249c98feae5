// Record batch v2 (magic 2): read the 61-byte header, iterate batches in a `records` field, iterate the
// records of a batch in any codec (decompressing a copy; the batch itself is never re-encoded), and
// rewrite producer fields with a fresh CRC-32C without touching the records. Offsets follow
// kafka-wire.md §4.3.
import { KafkaDecodeError, Reader, Writer } from "./buffers.js";
import { Compression, DEFAULT_MAX_DECOMPRESSED_BYTES, decompressRecords } from "./compression/index.js";
import { crc32c } from "./crc32c.js";

export {
  Compression,
  compressionName,
  DecompressionError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
  type DecompressionFailure,
} from "./compression/index.js";

export const BATCH_HEADER_SIZE = 61;
const OFF = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
} as const;

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field: the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: Compression;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** One batch inside a records buffer; `bytes` is a view of the whole batch. */
export interface RecordBatchView {
  header: RecordBatchHeader;
  bytes: Buffer;
}

export function readBatchHeader(batch: Buffer): RecordBatchHeader {
  if (batch.length < BATCH_HEADER_SIZE)
    throw new KafkaDecodeError(`record batch of ${batch.length} bytes is shorter than its 61-byte header`);
  const attributes = batch.readInt16BE(OFF.attributes);
  return {
    baseOffset: batch.readBigInt64BE(OFF.baseOffset),
    batchLength: batch.readInt32BE(OFF.batchLength),
    partitionLeaderEpoch: batch.readInt32BE(OFF.partitionLeaderEpoch),
    magic: batch.readInt8(OFF.magic),
    crc: batch.readUInt32BE(OFF.crc),
    attributes,
    compression: (attributes & 0x07) as Compression,
    isTransactional: (attributes & 0x10) !== 0,
    isControl: (attributes & 0x20) !== 0,
    lastOffsetDelta: batch.readInt32BE(OFF.lastOffsetDelta),
    baseTimestamp: batch.readBigInt64BE(OFF.baseTimestamp),
    maxTimestamp: batch.readBigInt64BE(OFF.maxTimestamp),
    producerId: batch.readBigInt64BE(OFF.producerId),
    producerEpoch: batch.readInt16BE(OFF.producerEpoch),
    baseSequence: batch.readInt32BE(OFF.baseSequence),
    recordsCount: batch.readInt32BE(OFF.recordsCount),
  };
}

/**
 * The complete magic-2 batches of a `records` field, in order. A truncated trailing batch (brokers cut
 * fetch responses at a size limit) and anything that is not magic 2 end the iteration: callers pass
 * such bytes through untouched (`rest` is where the unparsed tail starts).
 */
export function splitBatches(records: Buffer): { batches: RecordBatchView[]; rest: number } {
  const batches: RecordBatchView[] = [];
  let pos = 0;
  while (records.length - pos >= BATCH_HEADER_SIZE) {
    const len = records.readInt32BE(pos + OFF.batchLength);
    const total = len + 12;
    if (len < BATCH_HEADER_SIZE - 12 || pos + total > records.length) break;
    if (records.readInt8(pos + OFF.magic) !== 2) break;
    const bytes = records.subarray(pos, pos + total);
    batches.push({ header: readBatchHeader(bytes), bytes });
    pos += total;
  }
  return { batches, rest: pos };
}

export const computeBatchCrc = (batch: Buffer): number => crc32c(batch.subarray(OFF.attributes));
export const batchCrcValid = (batch: Buffer): boolean =>
  computeBatchCrc(batch) === batch.readUInt32BE(OFF.crc);

export interface ProducerFields {
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Clears or sets the transactional attribute bit. */
  transactional?: boolean;
}

/** A copy of `batch` with producer fields replaced and the CRC recomputed (records are not touched). */
export function rewriteProducerFields(batch: Buffer, fields: ProducerFields): Buffer {
  const out = Buffer.from(batch);
  if (fields.producerId !== undefined) out.writeBigInt64BE(fields.producerId, OFF.producerId);
  if (fields.producerEpoch !== undefined) out.writeInt16BE(fields.producerEpoch, OFF.producerEpoch);
  if (fields.baseSequence !== undefined) out.writeInt32BE(fields.baseSequence, OFF.baseSequence);
  if (fields.transactional !== undefined) {
    const a = out.readInt16BE(OFF.attributes);
    out.writeInt16BE(fields.transactional ? a | 0x10 : a & ~0x10, OFF.attributes);
  }
  out.writeUInt32BE(computeBatchCrc(out), OFF.crc);
  return out;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface ReadRecordsOptions {
  /** Refuse (DecompressionError) a compressed batch whose records would pass this size. */
  maxDecompressedBytes?: number;
}

/**
 * The records of a batch in any codec (none, gzip, snappy raw or xerial, lz4, zstd). Throws
 * DecompressionError (a KafkaDecodeError) when the payload cannot be decompressed or would pass
 * `maxDecompressedBytes` (default 64 MiB), KafkaDecodeError when the records are malformed.
 */
export function readRecords(batch: Buffer, options: ReadRecordsOptions = {}): KafkaRecord[] {
  const h = readBatchHeader(batch);
  const body = decompressRecords(
    h.compression,
    batch.subarray(BATCH_HEADER_SIZE),
    options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  const r = new Reader(body);
  const out: KafkaRecord[] = [];
  for (let i = 0; i < h.recordsCount; i++) {
    const len = r.varint();
    const end = r.pos + len;
    if (len < 0 || end > r.end) throw new KafkaDecodeError(`record ${i} length ${len} runs past its batch`);
    r.int8(); // record attributes, unused
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    const klen = r.varint();
    const key = klen < 0 ? null : r.bytes(klen);
    const vlen = r.varint();
    const value = vlen < 0 ? null : r.bytes(vlen);
    const headers: RecordHeader[] = [];
    const hcount = r.varint();
    for (let j = 0; j < hcount; j++) {
      const hk = r.bytes(r.varint()).toString("utf8");
      const hvlen = r.varint();
      headers.push({ key: hk, value: hvlen < 0 ? null : r.bytes(hvlen) });
    }
    if (r.pos !== end) throw new KafkaDecodeError(`record ${i} length ${len} disagrees with its fields`);
    out.push({ offsetDelta, timestampDelta, key, value, headers });
  }
  return out;
}

export interface NewRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  timestamp?: bigint;
}

export interface NewBatchOptions {
  baseOffset?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
}

const asBytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v == null ? null : typeof v === "string" ? Buffer.from(v, "utf8") : v;

/** An uncompressed magic-2 batch with a valid CRC (for tests, the embedded broker and rebuilt batches). */
export function encodeRecordBatch(records: NewRecord[], opts: NewBatchOptions = {}): Buffer {
  const now = BigInt(Date.now());
  const baseTs = records[0]?.timestamp ?? now;
  let maxTs = baseTs;
  const body = new Writer(256);
  records.forEach((rec, i) => {
    const ts = rec.timestamp ?? now;
    if (ts > maxTs) maxTs = ts;
    const r = new Writer(64);
    r.int8(0);
    r.varlong(ts - baseTs);
    r.varint(i);
    const key = asBytes(rec.key);
    r.varint(key ? key.length : -1);
    if (key) r.bytes(key);
    const value = asBytes(rec.value);
    r.varint(value ? value.length : -1);
    if (value) r.bytes(value);
    r.varint(rec.headers?.length ?? 0);
    for (const h of rec.headers ?? []) {
      const hk = Buffer.from(h.key, "utf8");
      r.varint(hk.length);
      r.bytes(hk);
      const hv = asBytes(h.value);
      r.varint(hv ? hv.length : -1);
      if (hv) r.bytes(hv);
    }
    const bytes = r.result();
    body.varint(bytes.length);
    body.bytes(bytes);
  });
  const recordsBytes = body.result();
  const out = Buffer.alloc(BATCH_HEADER_SIZE + recordsBytes.length);
  out.writeBigInt64BE(opts.baseOffset ?? 0n, OFF.baseOffset);
  out.writeInt32BE(out.length - 12, OFF.batchLength);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, OFF.partitionLeaderEpoch);
  out.writeInt8(2, OFF.magic);
  out.writeInt16BE(opts.transactional ? 0x10 : 0, OFF.attributes);
  out.writeInt32BE(records.length - 1, OFF.lastOffsetDelta);
  out.writeBigInt64BE(records.length ? baseTs : -1n, OFF.baseTimestamp);
  out.writeBigInt64BE(records.length ? maxTs : -1n, OFF.maxTimestamp);
  out.writeBigInt64BE(opts.producerId ?? -1n, OFF.producerId);
  out.writeInt16BE(opts.producerEpoch ?? -1, OFF.producerEpoch);
  out.writeInt32BE(opts.baseSequence ?? -1, OFF.baseSequence);
  out.writeInt32BE(records.length, OFF.recordsCount);
  recordsBytes.copy(out, BATCH_HEADER_SIZE);
  out.writeUInt32BE(computeBatchCrc(out), OFF.crc);
  return out;
}
