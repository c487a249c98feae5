// Sequence translation for idempotent and transactional producers (kafka-wire.md §3.7): the broker must
// see each producer-partition's sequence numbers with no gap and no repeat. A dropped batch leaves a
// gap, so every batch after it gets its baseSequence lowered by the dropped count; a duplicated batch is
// followed by a proxy-made copy that takes the sequences right after the original's, so every batch
// after it gets its baseSequence raised by the copied count. State is global to the proxy because
// retries may arrive on another connection.

const SEQ_MOD = 2 ** 31;
const MEMO_LIMIT = 256;

/** What happened to a batch the proxy duplicated, as far as its copy is concerned. */
type CopyState = "pending" | "stored" | "failed";

type Fate = "dropped" | "forwarded" | { duplicated: number; copy: CopyState };

interface ProducerPartitionState {
  /**
   * Sequence shifts, in order: a drop of `count` records at client sequence `base` lowers the batches
   * after it by `count`; a duplicate raises them by `count` (delta < 0 for drops, > 0 for copies).
   */
  shifts: { base: number; delta: number }[];
  /** Decisions by client baseSequence, so a retried batch gets the same fate. */
  memo: Map<number, Fate>;
  lastForwarded: number;
}

export interface SequenceDecision {
  drop: boolean;
  /** The baseSequence to send instead of the client's, when it must change. */
  rewrittenBaseSequence?: number;
  /** Send a copy of the batch with this baseSequence, right after the original. */
  copyBaseSequence?: number;
}

export type WantedFate = "forward" | "drop" | "duplicate";

const wrap = (seq: number): number => ((seq % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;

export class SequenceTranslator {
  private readonly states = new Map<string, ProducerPartitionState>();
  private readonly epochs = new Map<bigint, number>();

  get size(): number {
    return this.states.size;
  }

  /**
   * Decides the fate of one idempotent batch. `want`: what a rule chose. A batch already decided (a
   * retry) keeps its earlier fate; a retried duplicated batch gets a fresh copy unless its earlier copy
   * was stored.
   */
  decide(
    pid: bigint,
    epoch: number,
    topic: string,
    partition: number,
    baseSeq: number,
    count: number,
    want: WantedFate | boolean,
  ): SequenceDecision {
    if (typeof want === "boolean") want = want ? "drop" : "forward";
    this.forgetOlderEpochs(pid, epoch);
    const key = `${pid}:${epoch}:${topic}:${partition}`;
    let st = this.states.get(key);
    const earlier = st?.memo.get(baseSeq);
    if (st && earlier === undefined && baseSeq < st.lastForwarded && st.shifts.length > 0) {
      // The producer restarted its sequences without a new epoch: old translation no longer applies.
      this.states.delete(key);
      st = undefined;
    }
    if (earlier === "dropped") return { drop: true };
    if (want === "drop" && earlier === undefined) {
      st = this.stateFor(key, st);
      st.shifts.push({ base: baseSeq, delta: -count });
      this.remember(st, baseSeq, "dropped");
      return { drop: true };
    }
    if (!st && want !== "duplicate") return { drop: false };
    st = this.stateFor(key, st);
    let delta = 0;
    for (const s of st.shifts) if (s.base < baseSeq) delta += s.delta;
    const sent = wrap(baseSeq + delta);
    const decision: SequenceDecision =
      delta === 0 ? { drop: false } : { drop: false, rewrittenBaseSequence: sent };
    if (typeof earlier === "object") {
      // A retry of a duplicated batch: the copy goes again unless the broker is known to have it.
      if (earlier.copy !== "stored") {
        earlier.copy = "pending";
        decision.copyBaseSequence = wrap(sent + count);
      }
    } else if (want === "duplicate" && earlier === undefined) {
      st.shifts.push({ base: baseSeq, delta: count });
      this.remember(st, baseSeq, { duplicated: count, copy: "pending" });
      decision.copyBaseSequence = wrap(sent + count);
    } else if (earlier === undefined) this.remember(st, baseSeq, "forwarded");
    st.lastForwarded = baseSeq;
    return decision;
  }

  /** Records the broker's answer to the copy of the batch at client sequence `baseSeq`. */
  copyOutcome(
    pid: bigint,
    epoch: number,
    topic: string,
    partition: number,
    baseSeq: number,
    stored: boolean,
  ): void {
    const fate = this.states.get(`${pid}:${epoch}:${topic}:${partition}`)?.memo.get(baseSeq);
    if (typeof fate === "object") fate.copy = stored ? "stored" : "failed";
  }

  private stateFor(key: string, st: ProducerPartitionState | undefined): ProducerPartitionState {
    if (!st) this.states.set(key, (st = { shifts: [], memo: new Map(), lastForwarded: -1 }));
    return st;
  }

  private remember(st: ProducerPartitionState, seq: number, fate: Fate): void {
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
