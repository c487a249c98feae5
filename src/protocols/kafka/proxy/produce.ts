// Applies fault rules to a Produce request, partition by partition: drop (fake success + sequence
// translation), duplicate (a copy sent right after the original in its own request: for idempotent and
// transactional producers the producer's own batch at the next sequences, later ones shifted up),
// error (a synthesized error entry, not forwarded), disconnect; and merges the synthesized partition
// entries into the broker's response so the client sees one ack per partition it sent.
import type { ActiveRule, Disposition, MatchTarget } from "../rules/index.js";
import {
  kafkaErrorName,
  readRecords,
  rewriteProducerFields,
  splitBatches,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type RecordBatchView,
} from "../wire/index.js";
import type { FaultEvent } from "./events.js";
import type { SequenceTranslator } from "./sequences.js";

/**
 * How a topic is named on the wire in one Produce version: by name up to v12, by topic id from v13
 * (KIP-516). Local answers are keyed by it so they merge into the broker's entry for the same topic.
 */
export interface WireTopic {
  name?: string;
  topicId?: string;
}
const wireKey = (t: WireTopic): string => (t.name !== undefined ? `n:${t.name}` : `i:${t.topicId}`);

export interface ProducePlan {
  /** The request body to forward (partitions answered locally removed), or null when nothing is left. */
  forward: ProduceRequest | null;
  /** True when `forward` differs from the client's request (it must be re-encoded). */
  changed: boolean;
  /**
   * Body of a proxy-owned request storing a second copy of duplicated batches, sent right after
   * `forward` on the same connection (a broker refuses two batches of one partition in one request).
   */
  duplicate: ProduceRequest | null;
  /** The idempotent copies in `duplicate`, whose outcome the sequence translator must learn. */
  copies: CopyRef[];
  /** Partition entries the proxy answers itself, by wire topic (see WireTopic). */
  local: Map<string, { topic: WireTopic; entries: ProduceResponsePartitionProduceResponse[] }>;
  disconnect: boolean;
  holdMs: number;
  events: Omit<FaultEvent, "connection">[];
  /** Why a key= rule could not look at a batch (it did not match it); emitted as warning events. */
  warnings: string[];
}

/** An idempotent batch whose copy is in flight, by its client-side identity. */
export interface CopyRef {
  topic: WireTopic;
  stateKey: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
}

export interface ProduceContext {
  rules: readonly ActiveRule[];
  clientId: string | null;
  sequences: SequenceTranslator;
  /** Next offset per "topic/partition" learnt from relayed produce responses (for fake acks). */
  offsetHints: Map<string, bigint>;
  /** Batches already duplicated (so a client retry is not stored a third time). */
  duplicated: Set<string>;
  /** Non-idempotent batches dropped, by topic, partition and CRC (so a retry is dropped too). */
  droppedPlain: Set<string>;
  /** Size guard for reading keys of compressed batches (default 64 MiB). */
  maxDecompressedBytes?: number;
  /** The name of a topic id (Produce v13+), or undefined when the proxy has not learnt it. */
  topicName(id: string): string | undefined;
}

/**
 * The real name of a request or response topic entry, whatever the version (undefined: an id the proxy
 * could not resolve, which topic-naming rules then do not match).
 */
export function produceTopicName(
  t: WireTopic,
  topicName: (id: string) => string | undefined,
): string | undefined {
  return t.name ?? (t.topicId !== undefined ? topicName(t.topicId) : undefined);
}

/** The key of a topic in the proxy's shared state: its name, or its id when the name is unknown. */
export function topicStateKey(t: WireTopic, topicName: (id: string) => string | undefined): string {
  return produceTopicName(t, topicName) ?? `id:${t.topicId}`;
}

/**
 * The keys of a batch in any codec, read from a decompressed copy (the batch is forwarded as the
 * client sent it). A batch that cannot be read (corrupt, or past the size guard) has no keys: key=
 * rules do not match it, and the reason comes back as a warning instead of failing the connection.
 */
function recordKeys(
  batch: RecordBatchView,
  maxDecompressedBytes: number | undefined,
): { keys?: (string | null)[]; warning?: string } {
  try {
    const records = readRecords(batch.bytes, { maxDecompressedBytes });
    return { keys: records.map((r) => (r.key === null ? null : r.key.toString("utf8"))) };
  } catch (err) {
    return { warning: `cannot read its keys: ${(err as Error).message}` };
  }
}

function successEntry(index: number, baseOffset: bigint): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: 0,
    baseOffset,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: null,
  };
}

function errorEntry(index: number, code: number): ProduceResponsePartitionProduceResponse {
  return { ...successEntry(index, -1n), errorCode: code };
}

const batchKey = (topic: string, partition: number, b: RecordBatchView): string =>
  b.header.producerId >= 0n
    ? `${b.header.producerId}:${b.header.producerEpoch}:${topic}:${partition}:${b.header.baseSequence}`
    : `${topic}:${partition}:crc${b.header.crc}`;

/** Whether any rule could apply to Produce at all (so the common no-fault path stays cheap). */
export function produceNeedsInspection(
  ctx: Pick<ProduceContext, "rules" | "sequences" | "droppedPlain">,
): boolean {
  return ctx.rules.length > 0 || ctx.sequences.size > 0 || ctx.droppedPlain.size > 0;
}

/** One partition of a Produce request, as the rules see it. */
export interface ProducePartition {
  p: ProduceRequest["topicData"][number]["partitionData"][number];
  /** The partition's batch when it carries exactly one (what every client sends). */
  batch: RecordBatchView | undefined;
  /** Records in that batch. */
  count: number | undefined;
  /** The match target for a rule; keys are read (decompressing if need be) once, and only for key= rules. */
  target(rule: ActiveRule): MatchTarget;
}

/** The topics of a Produce request with their partitions, as the rules see them. */
export interface ProduceTopic {
  topic: ProduceRequest["topicData"][number];
  wire: WireTopic;
  name: string | undefined;
  stateKey: string;
  partitions: ProducePartition[];
}

/**
 * The partitions of a request for the rules: the request-level pass (lose_response, blackhole, ...)
 * and planProduce share them, so a batch's keys are read at most once. `warnings` receives why a key=
 * rule could not read a batch.
 */
export function producePartitions(
  req: ProduceRequest,
  ctx: ProduceContext,
  warnings: string[],
): ProduceTopic[] {
  return req.topicData.map((topic) => {
    const wire: WireTopic = topic.name !== undefined ? { name: topic.name } : { topicId: topic.topicId };
    const name = produceTopicName(topic, ctx.topicName);
    const stateKey = topicStateKey(topic, ctx.topicName);
    const partitions = topic.partitionData.map((p): ProducePartition => {
      const { batches } = p.records ? splitBatches(p.records) : { batches: [] };
      const batch = batches.length === 1 ? batches[0] : undefined;
      const count = batch ? batch.header.lastOffsetDelta + 1 : undefined;
      let keys: (string | null)[] | undefined;
      let keysRead = false;
      const target = (rule: ActiveRule): MatchTarget => {
        if (!keysRead && batch && rule.rule.match.key !== undefined) {
          const read = recordKeys(batch, ctx.maxDecompressedBytes);
          keys = read.keys;
          keysRead = true;
          if (read.warning)
            warnings.push(
              `key= rules (${rule.rule.description}) do not match ${stateKey}/${p.index}: ${read.warning}`,
            );
        }
        return { api: "produce", topic: name, partition: p.index, keys, clientId: ctx.clientId };
      };
      return { p, batch, count, target };
    });
    return { topic, wire, name, stateKey, partitions };
  });
}

/** Applies the per-partition rules; request-level rules (lose_response, ...) are decided elsewhere. */
export function planProduce(
  req: ProduceRequest,
  ctx: ProduceContext,
  topics: ProduceTopic[] = producePartitions(req, ctx, []),
  warnings: string[] = [],
): ProducePlan {
  const plan: ProducePlan = {
    forward: null,
    changed: false,
    duplicate: null,
    copies: [],
    local: new Map(),
    disconnect: false,
    holdMs: 0,
    events: [],
    warnings,
  };
  const forwardTopics: ProduceRequest["topicData"] = [];
  const dupTopics: ProduceRequest["topicData"] = [];

  for (const { topic, wire, name, stateKey, partitions } of topics) {
    const keep: typeof topic.partitionData = [];
    const dup: typeof topic.partitionData = [];
    for (const { p, batch, count, target } of partitions) {
      let disposition: Disposition = { kind: "forward" };
      for (const r of ctx.rules) {
        if (r.rule.requestAction) continue;
        if (r.rule.kind === "delay") {
          if (r.tryFire(target(r))) {
            plan.holdMs = Math.max(plan.holdMs, r.rule.holdMs!);
            plan.events.push({
              type: "fault",
              rule: r.rule.description,
              ruleId: r.id,
              kind: "delay",
              api: "produce",
              topic: name,
              partition: p.index,
              records: count,
              delayMs: r.rule.holdMs,
            });
          }
          continue;
        }
        if (disposition.kind !== "forward") continue;
        if (r.tryFire(target(r))) {
          disposition = r.rule.disposition!;
          plan.events.push({
            type: "fault",
            rule: r.rule.description,
            ruleId: r.id,
            kind: r.rule.kind,
            api: "produce",
            topic: name,
            partition: p.index,
            records: count,
            idempotent: batch ? batch.header.producerId >= 0n : undefined,
            ...(disposition.kind === "error" ? { code: disposition.code } : {}),
          });
        }
      }

      if (disposition.kind === "disconnect") {
        plan.disconnect = true;
        return plan;
      }
      if (disposition.kind === "error") {
        pushLocal(plan.local, wire, errorEntry(p.index, disposition.code));
        plan.changed = true;
        continue;
      }

      // Idempotent batches go through sequence translation, whatever the rule said.
      let records = p.records;
      let drop = disposition.kind === "drop";
      let copy: Buffer | undefined;
      if (batch && batch.header.producerId >= 0n && batch.header.baseSequence >= 0) {
        const d = ctx.sequences.decide(
          batch.header.producerId,
          batch.header.producerEpoch,
          stateKey,
          p.index,
          batch.header.baseSequence,
          count!,
          drop ? "drop" : disposition.kind === "duplicate" ? "duplicate" : "forward",
        );
        drop = d.drop;
        if (d.rewrittenBaseSequence !== undefined) {
          records = rewriteProducerFields(batch.bytes, { baseSequence: d.rewrittenBaseSequence });
          plan.changed = true;
        }
        if (d.copyBaseSequence !== undefined) {
          // The copy stays the producer's: same id, epoch and transactional flag, the sequences right
          // after the original's (later batches are shifted up to make room), so it is deduplicated,
          // ordered, committed and aborted exactly like the original.
          copy = rewriteProducerFields(batch.bytes, { baseSequence: d.copyBaseSequence });
          plan.copies.push({
            topic: wire,
            stateKey,
            partition: p.index,
            producerId: batch.header.producerId,
            producerEpoch: batch.header.producerEpoch,
            baseSequence: batch.header.baseSequence,
          });
        }
      } else if (batch) {
        // Without sequences, a retry is recognised by its bytes: it gets the same fate.
        const k = batchKey(stateKey, p.index, batch);
        if (drop) remember(ctx.droppedPlain, k);
        else drop = ctx.droppedPlain.has(k);
      }
      if (drop) {
        const hint = ctx.offsetHints.get(`${stateKey}/${p.index}`) ?? -1n;
        pushLocal(plan.local, wire, successEntry(p.index, hint));
        plan.changed = true;
        continue;
      }
      keep.push(records === p.records ? p : { ...p, records });
      if (copy) dup.push({ index: p.index, records: copy });
      else if (disposition.kind === "duplicate" && batch && batch.header.producerId < 0n) {
        // Without sequences, a retry is recognised by its bytes and not copied a second time.
        const k = batchKey(stateKey, p.index, batch);
        if (!ctx.duplicated.has(k)) {
          remember(ctx.duplicated, k);
          const copy = rewriteProducerFields(batch.bytes, {
            producerId: -1n,
            producerEpoch: -1,
            baseSequence: -1,
            transactional: false,
          });
          dup.push({ index: p.index, records: copy });
        }
      }
    }
    const unchanged =
      keep.length === topic.partitionData.length && keep.every((p, i) => p === topic.partitionData[i]);
    if (keep.length) forwardTopics.push(unchanged ? topic : { ...topic, partitionData: keep });
    if (dup.length) dupTopics.push({ ...wire, partitionData: dup });
  }
  plan.forward = forwardTopics.length ? { ...req, topicData: forwardTopics } : null;
  if (dupTopics.length)
    plan.duplicate = {
      // A transactional copy must name its transaction (the broker checks the producer id against it).
      transactionalId: req.transactionalId ?? null,
      acks: req.acks,
      timeoutMs: req.timeoutMs,
      topicData: dupTopics,
    };
  return plan;
}

const MEMO_LIMIT = 10000;
function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > MEMO_LIMIT) set.delete(set.values().next().value!);
}

function pushLocal(
  local: ProducePlan["local"],
  topic: WireTopic,
  e: ProduceResponsePartitionProduceResponse,
): void {
  const k = wireKey(topic);
  const t = local.get(k);
  if (t) t.entries.push(e);
  else local.set(k, { topic, entries: [e] });
}

/**
 * Tells the sequence translator which copies the broker stored (the broker's answer to a proxy-made
 * duplicate request; null when the connection failed first). A refused copy is sent again when the
 * client retries its batch. Returns a message per refused copy.
 */
export function recordCopyOutcomes(
  body: ProduceResponse | null,
  copies: readonly CopyRef[],
  sequences: SequenceTranslator,
): string[] {
  const refused: string[] = [];
  for (const c of copies) {
    const entry = body?.responses
      .find((t) => wireKey(t) === wireKey(c.topic))
      ?.partitionResponses.find((p) => p.index === c.partition);
    // DUPLICATE_SEQUENCE_NUMBER (46): the broker already had this copy (a resent one).
    const stored = entry !== undefined && (entry.errorCode === 0 || entry.errorCode === 46);
    sequences.copyOutcome(c.producerId, c.producerEpoch, c.stateKey, c.partition, c.baseSequence, stored);
    if (!stored)
      refused.push(
        `the broker refused the duplicate copy of ${c.stateKey}/${c.partition} (producer ${c.producerId}, ` +
          `sequence ${c.baseSequence}) with error ${entry ? kafkaErrorName(entry.errorCode) : "(no answer)"}; ` +
          `it is sent again if the client retries the batch`,
      );
  }
  return refused;
}

/** Adds the proxy's own partition entries to a broker response (or builds a whole response). */
export function mergeProduceResponse(
  body: ProduceResponse | null,
  local: ProducePlan["local"],
): ProduceResponse {
  const out: ProduceResponse = body ?? { responses: [], throttleTimeMs: 0 };
  for (const [k, { topic, entries }] of local) {
    const t = out.responses.find((r) => wireKey(r) === k);
    if (t) t.partitionResponses.push(...entries);
    else out.responses.push({ ...topic, partitionResponses: entries });
  }
  return out;
}

/** Learns the next offset of each partition from a relayed response (used as the fake ack's offset). */
export function learnOffsets(
  body: ProduceResponse,
  req: ProduceRequest | null,
  hints: Map<string, bigint>,
  topicName: (id: string) => string | undefined,
): void {
  for (const t of body.responses) {
    if (t.name === undefined && t.topicId === undefined) continue;
    const stateKey = topicStateKey(t, topicName);
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0 || p.baseOffset < 0n) continue;
      const sent = req?.topicData
        .find((x) => wireKey(x) === wireKey(t))
        ?.partitionData.find((x) => x.index === p.index);
      const batch = sent?.records ? splitBatches(sent.records).batches[0] : undefined;
      const count = batch ? BigInt(batch.header.lastOffsetDelta + 1) : 1n;
      hints.set(`${stateKey}/${p.index}`, p.baseOffset + count);
    }
  }
}
