// One partition's log: record batches kept exactly as the producer sent them, with only the broker-owned
// header fields (baseOffset, partitionLeaderEpoch, both outside the CRC) rewritten, plus the idempotent
// producer state the real broker keeps per (producer id, partition).
import { KAFKA_ERRORS, readBatchHeader, readRecords, type RecordBatchHeader } from "../wire/index.js";
import { checkSequence, recordSequence, type ProducerState } from "./idempotence.js";

export interface StoredBatch {
  baseOffset: bigint;
  /** Offset of the batch's last record (baseOffset + lastOffsetDelta). */
  lastOffset: bigint;
  maxTimestamp: bigint;
  bytes: Buffer;
}

export type AppendResult =
  { errorCode: 0; baseOffset: bigint; duplicate: boolean } | { errorCode: number; message: string };

export interface PartitionLogPosition {
  logStartOffset: bigint;
  highWatermark: bigint;
}

export class PartitionLog {
  readonly batches: StoredBatch[] = [];
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
    const stored = Buffer.from(batch); // the request frame's memory is reused; keep our own copy
    stored.writeBigInt64BE(baseOffset, 0);
    stored.writeInt32BE(leaderEpoch, 12);
    const lastOffset = baseOffset + BigInt(header.lastOffsetDelta);
    this.batches.push({ baseOffset, lastOffset, maxTimestamp: header.maxTimestamp, bytes: stored });
    this.highWatermark = lastOffset + 1n;
    if (pid >= 0n) this.producers.set(pid, recordSequence(state, header, baseOffset));
    this.wakeAll();
    return { errorCode: KAFKA_ERRORS.NONE, baseOffset, duplicate: false };
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
    for (let i = this.indexOfBatchContaining(fromOffset); i < this.batches.length; i++) {
      const b = this.batches[i]!.bytes;
      if (size + b.length > maxBytes && !(out.length === 0 && allowOversizedFirst)) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** The first offset whose record timestamp is >= `timestamp`, with that timestamp; null if none. */
  offsetForTimestamp(timestamp: bigint): { offset: bigint; timestamp: bigint } | null {
    for (const b of this.batches) {
      if (b.maxTimestamp < timestamp) continue;
      const hit = this.recordTimes(b).find((r) => r.timestamp >= timestamp);
      if (hit) return hit;
    }
    return null;
  }

  /** The offset and timestamp of the record with the largest timestamp (ListOffsets -3, KIP-734). */
  maxTimestampOffset(): { offset: bigint; timestamp: bigint } | null {
    let best: { offset: bigint; timestamp: bigint } | null = null;
    for (const b of this.batches) {
      if (best && b.maxTimestamp <= best.timestamp) continue;
      for (const r of this.recordTimes(b)) if (!best || r.timestamp > best.timestamp) best = r;
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
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
