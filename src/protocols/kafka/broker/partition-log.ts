// One partition's log: record batches kept exactly as the producer sent them, with only the broker-owned
// header fields (baseOffset, partitionLeaderEpoch, both outside the CRC) rewritten, plus the idempotent
// producer state the real broker keeps per (producer id, partition).
//
// Storage: batches are copied back to back into a few large segments (not one Buffer each: a small Buffer
// comes from Node's shared 8 KiB pool and keeps alive whatever else was allocated beside it, about 2 KB
// per stored one-record batch), and each batch's offsets, timestamp and place are numbers in typed
// arrays (not an object with three bigints). Reads hand out views into the segments.
import { KAFKA_ERRORS, readBatchHeader, readRecords, type RecordBatchHeader } from "../wire/index.js";
import { checkSequence, recordSequence, type ProducerState } from "./idempotence.js";

export interface StoredBatch {
  baseOffset: bigint;
  /** Offset of the batch's last record (baseOffset + lastOffsetDelta). */
  lastOffset: bigint;
  maxTimestamp: bigint;
  /** A view into the log's storage: valid as long as the log lives, never to be written. */
  bytes: Buffer;
}

export type AppendResult =
  { errorCode: 0; baseOffset: bigint; duplicate: boolean } | { errorCode: number; message: string };

export interface PartitionLogPosition {
  logStartOffset: bigint;
  highWatermark: bigint;
}

/** The first segment's size; each next one doubles, up to MAX_SEGMENT (a batch larger gets its own). */
const FIRST_SEGMENT = 4 << 10;
const MAX_SEGMENT = 1 << 20;
const FIRST_INDEX_CAPACITY = 16;

/** Where each stored batch is, and the header fields reads look up, as parallel typed arrays. */
class BatchIndex {
  count = 0;
  baseOffset = new BigInt64Array(FIRST_INDEX_CAPACITY);
  lastOffset = new BigInt64Array(FIRST_INDEX_CAPACITY);
  maxTimestamp = new BigInt64Array(FIRST_INDEX_CAPACITY);
  segment = new Uint32Array(FIRST_INDEX_CAPACITY);
  position = new Uint32Array(FIRST_INDEX_CAPACITY);
  length = new Uint32Array(FIRST_INDEX_CAPACITY);

  add(
    baseOffset: bigint,
    lastOffset: bigint,
    maxTimestamp: bigint,
    segment: number,
    position: number,
    length: number,
  ): void {
    if (this.count === this.baseOffset.length) this.grow();
    const i = this.count++;
    this.baseOffset[i] = baseOffset;
    this.lastOffset[i] = lastOffset;
    this.maxTimestamp[i] = maxTimestamp;
    this.segment[i] = segment;
    this.position[i] = position;
    this.length[i] = length;
  }

  bytes(): number {
    return this.baseOffset.length * (3 * 8 + 3 * 4);
  }

  private grow(): void {
    const size = this.baseOffset.length * 2;
    const bigints = (a: BigInt64Array) => {
      const b = new BigInt64Array(size);
      b.set(a);
      return b;
    };
    const ints = (a: Uint32Array) => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.baseOffset = bigints(this.baseOffset);
    this.lastOffset = bigints(this.lastOffset);
    this.maxTimestamp = bigints(this.maxTimestamp);
    this.segment = ints(this.segment);
    this.position = ints(this.position);
    this.length = ints(this.length);
  }
}

export class PartitionLog {
  private readonly index = new BatchIndex();
  private readonly segments: Buffer[] = [];
  /** Bytes used in the last segment. */
  private segmentUsed = 0;
  /** Bytes of all stored batches. */
  private storedBytes = 0;
  logStartOffset = 0n;
  highWatermark = 0n;
  private readonly producers = new Map<bigint, ProducerState>();
  private readonly appendListeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /**
   * Appends one client batch after the checks the real broker makes (kafka-wire.md §3.4). The batch's
   * CRC has already been verified by the caller. A duplicate of one of the last five batches of the
   * same producer epoch is answered with the original base offset and not stored again.
   */
  append(batch: Buffer, header: RecordBatchHeader = readBatchHeader(batch), leaderEpoch = -1): AppendResult {
    const pid = header.producerId;
    let state: ProducerState | undefined;
    if (pid >= 0n) {
      state = this.producers.get(pid);
      const verdict = checkSequence(state, header, `${this.topic}-${this.partition}`, this.highWatermark);
      if (verdict.kind === "duplicate")
        return { errorCode: 0, baseOffset: verdict.baseOffset, duplicate: true };
      if (verdict.kind === "error") return { errorCode: verdict.errorCode, message: verdict.message };
    }
    const baseOffset = this.highWatermark;
    const lastOffset = baseOffset + BigInt(header.lastOffsetDelta);
    // The request frame's memory is reused once the request is answered: copy the batch into storage.
    const [segment, position] = this.reserve(batch.length);
    const stored = this.segments[segment]!;
    batch.copy(stored, position);
    stored.writeBigInt64BE(baseOffset, position);
    stored.writeInt32BE(leaderEpoch, position + 12);
    this.index.add(baseOffset, lastOffset, header.maxTimestamp, segment, position, batch.length);
    this.storedBytes += batch.length;
    this.highWatermark = lastOffset + 1n;
    if (pid >= 0n) this.producers.set(pid, recordSequence(state, header, baseOffset));
    this.wakeAll();
    return { errorCode: KAFKA_ERRORS.NONE, baseOffset, duplicate: false };
  }

  /** Room for `length` bytes: the last segment if they fit, else a new one. Returns [segment, position]. */
  private reserve(length: number): [number, number] {
    const last = this.segments.length - 1;
    if (last >= 0 && this.segments[last]!.length - this.segmentUsed >= length) {
      const position = this.segmentUsed;
      this.segmentUsed += length;
      return [last, position];
    }
    const previous = last >= 0 ? this.segments[last]!.length : FIRST_SEGMENT / 2;
    const size = Math.max(length, Math.min(MAX_SEGMENT, previous * 2));
    // allocUnsafeSlow: a segment of its own, never a slice of Node's shared pool.
    this.segments.push(Buffer.allocUnsafeSlow(size));
    this.segmentUsed = length;
    return [this.segments.length - 1, 0];
  }

  /** The number of stored batches. */
  get batchCount(): number {
    return this.index.count;
  }

  /** Stored batch i (0-based, in offset order). */
  batch(i: number): StoredBatch {
    const x = this.index;
    const position = x.position[i]!;
    return {
      baseOffset: x.baseOffset[i]!,
      lastOffset: x.lastOffset[i]!,
      maxTimestamp: x.maxTimestamp[i]!,
      bytes: this.segments[x.segment[i]!]!.subarray(position, position + x.length[i]!),
    };
  }

  /** Every stored batch, in offset order. */
  *batches(): IterableIterator<StoredBatch> {
    for (let i = 0; i < this.index.count; i++) yield this.batch(i);
  }

  /** Bytes the log holds: its segments (allocated), the batches in them, and the index. */
  storageBytes(): { segments: number; used: number; index: number } {
    const segments = this.segments.reduce((n, b) => n + b.length, 0);
    return { segments, used: this.storedBytes, index: this.index.bytes() };
  }

  /** Wakes every long poll waiting on this partition. */
  wakeAll(): void {
    for (const wake of [...this.appendListeners]) wake();
  }

  /** Calls `listener` after every append until the returned function is called. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * Whole stored batches from the one holding `fromOffset`, up to `maxBytes` (the first batch is
   * returned even when larger, as KIP-74 requires so a consumer can always make progress).
   */
  read(fromOffset: bigint, maxBytes: number, allowOversizedFirst: boolean): Buffer[] {
    const out: Buffer[] = [];
    let size = 0;
    for (let i = this.indexOfBatchContaining(fromOffset); i < this.index.count; i++) {
      const b = this.batch(i).bytes;
      if (size + b.length > maxBytes && !(out.length === 0 && allowOversizedFirst)) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** The first offset whose record timestamp is >= `timestamp`, with that timestamp; null if none. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    for (let i = 0; i < this.index.count; i++) {
      if (this.index.maxTimestamp[i]! < timestamp) continue;
      const hit = this.recordTimes(this.batch(i)).find((r) => r.timestamp >= timestamp);
      if (hit) return hit;
    }
    return null;
  }

  /** The offset and timestamp of the record with the largest timestamp (ListOffsets -3, KIP-734). */
  maxTimestampOffset(): { offset: bigint; timestamp: bigint } | null {
    let best: { offset: bigint; timestamp: bigint } | null = null;
    for (let i = 0; i < this.index.count; i++) {
      if (best && this.index.maxTimestamp[i]! <= best.timestamp) continue;
      for (const r of this.recordTimes(this.batch(i))) if (!best || r.timestamp > best.timestamp) best = r;
    }
    return best;
  }

  private recordTimes(b: StoredBatch): { offset: bigint; timestamp: bigint }[] {
    const h = readBatchHeader(b.bytes);
    try {
      return readRecords(b.bytes).map((r) => ({
        offset: b.baseOffset + BigInt(r.offsetDelta),
        timestamp: h.baseTimestamp + r.timestampDelta,
      }));
    } catch {
      // Records that cannot be read (corrupt, or past the decompression size guard): the batch's own
      // bounds are the best we know.
      return [{ offset: b.lastOffset, timestamp: b.maxTimestamp }];
    }
  }

  private indexOfBatchContaining(offset: bigint): number {
    let lo = 0;
    let hi = this.index.count;
    const lastOffsets = this.index.lastOffset;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lastOffsets[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
