// The topic observer: observe=[topic("order-events", decoder=json_decoder())].
//
// It reads the broker directly (bypassing the proxy and its rules) from the end offsets recorded when
// the test started, and turns every stored record into an event of type "topic" whose data is the
// decoded payload merged with topic, partition, offset, key and value (the envelope wins on a name
// clash). drain() reads up to the high watermark each partition has when it is called, so verdicts
// never depend on how far the background polling got.
//
// A partition's log can lose records the observer already reported: an unclean leader election makes a
// replica that lagged the leader, and the new leader's log ends before what was read. The observer checks
// its position against each new leader epoch (OffsetForLeaderEpoch, as consumers do since KIP-320) and
// emits a topic_truncated event at the offset where the logs diverge, then reads on from there.
import type { Decoder } from "../../../../core/decoders.js";
import type { ObserveSource } from "../../../../core/model.js";
import type { Observer, ObserverContext } from "../../../../core/observer.js";
import type { Address } from "../../../../core/protocol.js";
import { saslFromEnv, type KafkaSaslCredentials } from "../sasl.js";
import {
  KafkaDecodeError,
  kafkaErrorName,
  readRecords,
  splitBatches,
  type KafkaRecord,
  type ResponseBody,
} from "../../wire/index.js";
import { API_KEYS, WireConnection } from "./wire-client.js";

// Versions every Kafka from 3.x to 4.x serves (4.0 removed the oldest ones): topic names, not ids.
const METADATA_V = 12;
const LIST_OFFSETS_V = 7;
const FETCH_V = 12;
const OFFSET_FOR_LEADER_EPOCH_V = 4;
const CONSUMER_REPLICA_ID = -1;
const POLL_MS = 100;
/** How long a pass waits for the other brokers' Metadata (they answer in milliseconds when up). */
const OTHER_BROKERS_WAIT_MS = 2000;
const UNKNOWN_TOPIC = 3;
const LATEST = -1n;

export interface TopicOptions {
  decoder?: Decoder;
  /** "host:port" to read instead of the owning service's kafka interface. */
  broker?: string;
}

export function topicSource(name: string, options: TopicOptions = {}): ObserveSource {
  if (typeof name !== "string" || name === "") throw new Error("topic() requires a topic name");
  return {
    kind: "observer",
    name: `topic(${JSON.stringify(name)})`,
    protocol: "kafka",
    start: (ctx) => startTopicObserver(name, options, ctx),
  };
}

interface PartitionState {
  leader: number;
  position: bigint;
  /** Where reading started (the end offset at test start, or 0 for a partition created later). */
  start: bigint;
  /** The leader's epoch in the latest metadata. */
  leaderEpoch: number;
  /** Epoch of the last batch read (-1 before any). */
  readEpoch: number;
  /** Leader epoch the position was last checked against. */
  checkedEpoch: number;
}

function parseAddr(s: string): Address {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i) === "localhost" ? "127.0.0.1" : s.slice(0, i), port: Number(s.slice(i + 1)) };
}

class TopicObserver implements Observer {
  readonly name: string;
  readonly source: string | undefined;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly brokers = new Map<number, Address>();
  private readonly conns = new Map<string, WireConnection>();
  /** Metadata questions to other brokers still unanswered, by address. */
  private readonly asking = new Map<string, Promise<ResponseBody<typeof API_KEYS.Metadata> | undefined>>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    readonly topic: string,
    private readonly bootstrap: Address,
    private readonly decoder: Decoder | undefined,
    private readonly ctx: ObserverContext,
    private readonly sasl: KafkaSaslCredentials | undefined,
    readsOwnService: boolean,
  ) {
    this.name = `topic(${JSON.stringify(topic)})`;
    // It reads its own service's broker unless broker= names another.
    this.source = readsOwnService ? ctx.service : undefined;
  }

  private conn(a: Address): WireConnection {
    const key = `${a.host}:${a.port}`;
    let c = this.conns.get(key);
    if (!c || c.closed) {
      c = new WireConnection(a, this.sasl);
      c.ready.catch(() => undefined);
      this.conns.set(key, c);
    }
    return c;
  }

  /**
   * Metadata from the bootstrap broker, or from any broker it named when that one is gone (killed).
   * In a cluster the other brokers are asked too, and each partition takes the answer with the
   * highest leader epoch: a broker cut off from the others (a network partition) still answers, with
   * its stale view, and would send the observer to a leader that is no longer one.
   */
  private async metadata(): Promise<ResponseBody<typeof API_KEYS.Metadata>> {
    const candidates = [this.bootstrap, ...(this.bootstrap.alternates ?? []), ...this.brokers.values()];
    let firstError: unknown;
    let first: ResponseBody<typeof API_KEYS.Metadata> | undefined;
    let from: Address | undefined;
    for (const a of candidates) {
      try {
        first = await this.askMetadata(a);
        from = a;
        break;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (!first || !from) throw firstError;
    const others = first.brokers
      .map((b) => ({ host: b.host === "localhost" ? "127.0.0.1" : b.host, port: b.port }))
      .filter((a) => a.host !== from.host || a.port !== from.port);
    if (others.length === 0) return first;
    const answers = await Promise.all(others.map((a) => this.askOnce(a)));
    const topic = first.topics.find((x) => x.name === this.topic);
    if (!topic || topic.errorCode !== 0) return first;
    const newest = new Map(topic.partitions.map((p) => [p.partitionIndex, p]));
    for (const md of answers) {
      const t = md?.topics.find((x) => x.name === this.topic && x.errorCode === 0);
      for (const p of t?.partitions ?? []) {
        const known = newest.get(p.partitionIndex);
        if (!known || (p.leaderEpoch ?? -1) > (known.leaderEpoch ?? -1)) newest.set(p.partitionIndex, p);
      }
    }
    return {
      ...first,
      topics: first.topics.map((t) => (t === topic ? { ...t, partitions: [...newest.values()] } : t)),
    };
  }

  private askMetadata(a: Address): Promise<ResponseBody<typeof API_KEYS.Metadata>> {
    return this.conn(a).request(API_KEYS.Metadata, METADATA_V, {
      topics: [{ name: this.topic }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
  }

  /**
   * Another broker's view, if it comes within a moment: one question per broker at a time, so a
   * paused broker holds no pass (its answer, or its connection's timeout, comes later).
   */
  private askOnce(a: Address): Promise<ResponseBody<typeof API_KEYS.Metadata> | undefined> {
    const key = `${a.host}:${a.port}`;
    let asked = this.asking.get(key);
    if (!asked) {
      asked = this.askMetadata(a)
        .catch(() => undefined)
        .finally(() => this.asking.delete(key));
      this.asking.set(key, asked);
    }
    return Promise.race([
      asked,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), OTHER_BROKERS_WAIT_MS).unref()),
    ]);
  }

  /** Partitions and their leaders; new partitions start at offset 0 (all their records are new). */
  private async refreshMetadata(): Promise<void> {
    const md = await this.metadata();
    for (const b of md.brokers) {
      this.brokers.set(b.nodeId, { host: b.host === "localhost" ? "127.0.0.1" : b.host, port: b.port });
    }
    const t = md.topics.find((x) => x.name === this.topic);
    if (!t || t.errorCode === UNKNOWN_TOPIC) return;
    if (t.errorCode !== 0) throw new Error(`metadata for "${this.topic}": ${kafkaErrorName(t.errorCode)}`);
    for (const p of t.partitions) {
      const st = this.partitions.get(p.partitionIndex);
      const leaderEpoch = p.leaderEpoch ?? -1;
      if (st) {
        st.leader = p.leaderId;
        st.leaderEpoch = leaderEpoch;
      } else
        this.partitions.set(p.partitionIndex, {
          leader: p.leaderId,
          position: 0n,
          start: 0n,
          leaderEpoch,
          readEpoch: -1,
          checkedEpoch: leaderEpoch,
        });
    }
  }

  /**
   * After a leader change, asks the new leader where the epoch of the last record read ends there. If
   * that is before the position, the logs diverged: what was read from that offset on is gone.
   */
  private async checkDivergence(): Promise<void> {
    await Promise.all(
      [...this.partitions].map(async ([p, st]) => {
        if (st.readEpoch < 0 || st.checkedEpoch === st.leaderEpoch) return;
        const epoch = st.leaderEpoch;
        const res = await this.leaderConn(st).request(
          API_KEYS.OffsetForLeaderEpoch,
          OFFSET_FOR_LEADER_EPOCH_V,
          {
            replicaId: CONSUMER_REPLICA_ID,
            topics: [
              {
                topic: this.topic,
                partitions: [{ partition: p, currentLeaderEpoch: epoch, leaderEpoch: st.readEpoch }],
              },
            ],
          },
        );
        const r = res.topics[0]?.partitions[0];
        if (!r || r.errorCode !== 0)
          throw new Error(`leader epoch check of ${this.topic}/${p}: ${kafkaErrorName(r?.errorCode ?? -1)}`);
        // -1: the leader knows no epoch that old; everything read since the start may be gone.
        const end = r.endOffset < 0n ? st.start : r.endOffset;
        if (end < st.position) {
          const n = Number(end);
          this.ctx.emit("topic_truncated", {
            topic: this.topic,
            partition: p,
            offset: Number.isSafeInteger(n) ? n : end.toString(),
            previous_end: Number(st.position),
            leader_epoch: epoch,
          });
          st.position = end < st.start ? st.start : end;
          st.readEpoch = r.leaderEpoch ?? -1;
        }
        st.checkedEpoch = epoch;
      }),
    );
  }

  private leaderConn(st: PartitionState): WireConnection {
    const a = this.brokers.get(st.leader);
    return this.conn(a ?? this.bootstrap);
  }

  /** Latest offsets (the high watermark for read_uncommitted) of every known partition. */
  private async endOffsets(): Promise<Map<number, bigint>> {
    const out = new Map<number, bigint>();
    await Promise.all(
      [...this.partitions].map(async ([p, st]) => {
        const res = await this.leaderConn(st).request(API_KEYS.ListOffsets, LIST_OFFSETS_V, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            {
              name: this.topic,
              partitions: [{ partitionIndex: p, currentLeaderEpoch: -1, timestamp: LATEST }],
            },
          ],
        });
        const r = res.topics[0]?.partitions[0];
        if (!r || r.errorCode !== 0) {
          throw new Error(`end offset of ${this.topic}/${p}: ${kafkaErrorName(r?.errorCode ?? -1)}`);
        }
        out.set(p, r.offset ?? 0n);
      }),
    );
    return out;
  }

  /** Records the end offsets at test start: earlier records belong to earlier tests. */
  async begin(): Promise<void> {
    await this.refreshMetadata();
    const from: Record<string, number> = {};
    for (const [p, end] of await this.endOffsets()) {
      const st = this.partitions.get(p)!;
      st.position = end;
      st.start = end;
      from[p] = Number(end);
    }
    // Where observing starts: records before it (and sends acknowledged before this event) belong to
    // the time before the test, which the history checker leaves out.
    this.ctx.emit("topic_observed", { observer: this.name, topic: this.topic, from });
    this.loop = this.poll();
  }

  private async fetchUpTo(p: number, st: PartitionState, target: bigint): Promise<void> {
    while (st.position < target && !this.stopped) {
      const res = await this.leaderConn(st).request(API_KEYS.Fetch, FETCH_V, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 8 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: this.topic,
            partitions: [
              {
                partition: p,
                currentLeaderEpoch: -1,
                fetchOffset: st.position,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: 4 * 1024 * 1024,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: "",
      });
      const data = res.responses[0]?.partitions[0];
      if (!data) throw new Error(`fetch ${this.topic}/${p}: empty response`);
      if (data.errorCode !== 0)
        throw new Error(`fetch ${this.topic}/${p}: ${kafkaErrorName(data.errorCode)}`);
      const before = st.position;
      for (const { header, bytes } of splitBatches(data.records ?? Buffer.alloc(0)).batches) {
        const next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        if (next > st.position) st.readEpoch = header.partitionLeaderEpoch;
        if (!header.isControl) {
          for (const rec of this.recordsOf(p, header.baseOffset, next, bytes)) {
            const offset = header.baseOffset + BigInt(rec.offsetDelta);
            if (offset < st.position) continue;
            this.emit(p, offset, rec.key, rec.value);
            st.position = offset + 1n;
          }
        }
        if (next > st.position) st.position = next;
      }
      // No progress below the target means the records are not readable yet; the next round retries.
      if (st.position === before) return;
    }
  }

  /**
   * The records of one batch, in any codec. A batch that cannot be decompressed (corrupt, or past the
   * size guard) is reported as an observer_error event and skipped: stopping there would hide every
   * later record of the partition from the test's assertions too.
   */
  private recordsOf(partition: number, base: bigint, next: bigint, batch: Buffer): KafkaRecord[] {
    try {
      return readRecords(batch);
    } catch (err) {
      if (!(err instanceof KafkaDecodeError)) throw err;
      this.ctx.emit("observer_error", {
        observer: this.name,
        error: `records ${base}..${next - 1n} of ${this.topic}/${partition} skipped: ${err.message}`,
      });
      return [];
    }
  }

  private emit(partition: number, offset: bigint, key: Buffer | null, value: Buffer | null): void {
    const k = key ? key.toString("utf8") : "";
    const v = value ? value.toString("utf8") : "";
    let decoded: Record<string, unknown> = {};
    if (this.decoder && v !== "") {
      try {
        decoded = this.decoder.decode(v);
      } catch {
        decoded = {};
      }
    }
    const n = Number(offset);
    this.ctx.emit("topic", {
      ...decoded,
      topic: this.topic,
      partition,
      offset: Number.isSafeInteger(n) ? n : offset.toString(),
      key: k,
      value: v,
    });
  }

  /** One pass: everything each partition held when the pass started. Serialised with other passes. */
  private pass(): Promise<void> {
    const run = async () => {
      if (this.stopped) return;
      await this.refreshMetadata();
      await this.checkDivergence();
      const ends = await this.endOffsets();
      await Promise.all([...ends].map(([p, end]) => this.fetchUpTo(p, this.partitions.get(p)!, end)));
    };
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  lastDrainError(): string | undefined {
    return this.lastError;
  }

  async drain(): Promise<void> {
    try {
      await this.pass();
      this.lastError = undefined;
    } catch (err) {
      // A broker that is gone (stopped by the test) has nothing more to give; say why in the log once.
      const msg = (err as Error).message;
      if (msg !== this.lastError) {
        this.lastError = msg;
        this.ctx.emit("observer_error", { observer: this.name, error: msg });
      }
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      await this.pass().catch(() => undefined);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    await this.loop;
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

async function startTopicObserver(
  topic: string,
  options: TopicOptions,
  ctx: ObserverContext,
): Promise<Observer> {
  const broker = options.broker ? parseAddr(options.broker) : ctx.upstream;
  if (!broker)
    throw new Error(`topic(${JSON.stringify(topic)}) needs a kafka interface on its service or broker=`);
  const o = new TopicObserver(
    topic,
    broker,
    options.decoder,
    ctx,
    saslFromEnv(ctx.serviceEnv, ctx.service),
    !options.broker,
  );
  try {
    await o.begin();
  } catch (err) {
    await o.stop();
    throw new Error(
      `cannot read topic "${topic}" at ${broker.host}:${broker.port}: ${(err as Error).message}`,
    );
  }
  return o;
}
