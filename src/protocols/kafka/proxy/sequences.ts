// Sequence translation for dropped idempotent batches (kafka-wire.md §3.7): the broker must never see
// a gap in a producer's sequence numbers, so every batch forwarded after a drop gets its baseSequence
// lowered by the number of records dropped before it. State is global to the proxy because retries
// may arrive on another connection.

const SEQ_MOD = 2 ** 31;
const MEMO_LIMIT = 256;

interface ProducerPartitionState {
  /** Dropped client sequence ranges, in order. */
  dropped: { base: number; count: number }[];
  /** Decisions by client baseSequence, so a retried batch gets the same fate. */
  memo: Map<number, "dropped" | "forwarded">;
  lastForwarded: number;
}

export interface SequenceDecision {
  drop: boolean;
  /** The baseSequence to send instead of the client's, when it must change. */
  rewrittenBaseSequence?: number;
}

export class SequenceTranslator {
  private readonly states = new Map<string, ProducerPartitionState>();
  private readonly epochs = new Map<bigint, number>();

  get size(): number {
    return this.states.size;
  }

  /**
   * Decides the fate of one idempotent batch. `wantDrop`: a rule chose to drop it. A batch already
   * decided (a retry) keeps its earlier fate.
   */
  decide(
    pid: bigint,
    epoch: number,
    topic: string,
    partition: number,
    baseSeq: number,
    count: number,
    wantDrop: boolean,
  ): SequenceDecision {
    this.forgetOlderEpochs(pid, epoch);
    const key = `${pid}:${epoch}:${topic}:${partition}`;
    let st = this.states.get(key);
    const earlier = st?.memo.get(baseSeq);
    if (st && earlier === undefined && baseSeq < st.lastForwarded && st.dropped.length > 0) {
      // The producer restarted its sequences without a new epoch: old translation no longer applies.
      this.states.delete(key);
      st = undefined;
    }
    if (earlier === "dropped") return { drop: true };
    if (wantDrop && earlier === undefined) {
      if (!st) this.states.set(key, (st = { dropped: [], memo: new Map(), lastForwarded: -1 }));
      st.dropped.push({ base: baseSeq, count });
      this.remember(st, baseSeq, "dropped");
      return { drop: true };
    }
    if (!st) return { drop: false };
    let delta = 0;
    for (const d of st.dropped) if (d.base < baseSeq) delta += d.count;
    this.remember(st, baseSeq, "forwarded");
    st.lastForwarded = baseSeq;
    return delta === 0
      ? { drop: false }
      : { drop: false, rewrittenBaseSequence: (((baseSeq - delta) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD };
  }

  private remember(st: ProducerPartitionState, seq: number, fate: "dropped" | "forwarded"): void {
    st.memo.set(seq, fate);
    if (st.memo.size > MEMO_LIMIT) st.memo.delete(st.memo.keys().next().value!);
  }

  private forgetOlderEpochs(pid: bigint, epoch: number): void {
    const known = this.epochs.get(pid);
    if (known === undefined || epoch > known) {
      this.epochs.set(pid, epoch);
      if (known !== undefined) {
        const prefix = `${pid}:`;
        for (const k of this.states.keys())
          if (k.startsWith(prefix) && !k.startsWith(`${prefix}${epoch}:`)) this.states.delete(k);
      }
    }
  }
}
