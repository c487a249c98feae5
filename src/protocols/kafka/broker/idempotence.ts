// Idempotent producer checks, per (producer id, partition), as Kafka's ProducerAppendInfo makes them
// (kafka-wire.md §3.4): the broker remembers the producer epoch, the last sequence and the last five
// batches; an exact repeat of one of those batches is a duplicate (acknowledged with its original
// offset, not stored), any other gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
import { KAFKA_ERRORS, type RecordBatchHeader } from "../wire/index.js";

/** How many recent batches per producer and partition are kept for duplicate detection. */
const DEDUP_WINDOW = 5;
const INT32_MAX = 2147483647;

interface RecentBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
}

export interface ProducerState {
  epoch: number;
  lastSeq: number;
  recent: RecentBatch[];
}

export type SequenceVerdict =
  | { kind: "append" }
  | { kind: "duplicate"; baseOffset: bigint }
  | { kind: "error"; errorCode: number; message: string };

/** Sequences wrap to 0 after Int32.MAX. */
const seqAfter = (seq: number, delta: number): number =>
  seq > INT32_MAX - delta ? seq - INT32_MAX - 1 + delta : seq + delta;

export function checkSequence(
  state: ProducerState | undefined,
  h: RecordBatchHeader,
  partitionName: string,
  nextOffset: bigint,
): SequenceVerdict {
  const firstSeq = h.baseSequence;
  const lastSeq = seqAfter(firstSeq, h.lastOffsetDelta);
  // No state for this producer here (first write, or state lost): any sequence is accepted.
  if (!state) return { kind: "append" };
  if (h.producerEpoch < state.epoch) {
    return {
      kind: "error",
      errorCode: KAFKA_ERRORS.INVALID_PRODUCER_EPOCH,
      message: `Epoch of producer ${h.producerId} at offset ${nextOffset} in ${partitionName} is ${h.producerEpoch}, which is smaller than the last seen epoch ${state.epoch}`,
    };
  }
  if (h.producerEpoch > state.epoch) {
    if (firstSeq === 0) return { kind: "append" };
    return outOfOrder(h, partitionName, nextOffset, firstSeq, -1);
  }
  const dup = state.recent.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  if (dup) return { kind: "duplicate", baseOffset: dup.baseOffset };
  if (firstSeq !== seqAfter(state.lastSeq, 1)) {
    return outOfOrder(h, partitionName, nextOffset, firstSeq, state.lastSeq);
  }
  return { kind: "append" };
}

function outOfOrder(
  h: RecordBatchHeader,
  partitionName: string,
  nextOffset: bigint,
  firstSeq: number,
  lastSeq: number,
): SequenceVerdict {
  return {
    kind: "error",
    errorCode: KAFKA_ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER,
    message: `Out of order sequence number for producer ${h.producerId} at offset ${nextOffset} in partition ${partitionName}: ${firstSeq} (incoming seq. number), ${lastSeq} (current end sequence number)`,
  };
}

/** The producer state after appending `h` at `baseOffset`. */
export function recordSequence(
  state: ProducerState | undefined,
  h: RecordBatchHeader,
  baseOffset: bigint,
): ProducerState {
  const lastSeq = seqAfter(h.baseSequence, h.lastOffsetDelta);
  const sameEpoch = state !== undefined && state.epoch === h.producerEpoch;
  const recent = sameEpoch ? [...state.recent] : [];
  recent.push({ firstSeq: h.baseSequence, lastSeq, baseOffset });
  if (recent.length > DEDUP_WINDOW) recent.shift();
  return { epoch: h.producerEpoch, lastSeq, recent };
}
