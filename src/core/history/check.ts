// The history checker: a pure function from a history (what producers were told, what the brokers
// stored, what consumers read) to a verdict that names every anomaly with its record. The semantics
// follow Jepsen's queue and Kafka checkers, adapted to what Faultbox sees: the topic observer reads
// every partition to its high watermark, so "stored" is known exactly instead of inferred from polls.
import {
  ANOMALY_KINDS,
  type AnomalyExample,
  type AnomalyKind,
  type History,
  type HistoryVerdict,
  type Read,
  type Send,
  type StoredObservation,
} from "./types.js";

type StoredRecord = Extract<StoredObservation, { kind: "record" }>;

export interface CheckOptions {
  /** Anomaly kinds that are reported but do not fail the verdict (e.g. at-least-once consumers). */
  allow?: readonly AnomalyKind[];
}

const tp = (topic: string, partition: number) => `${topic}/${partition}`;
const recordKey = (topic: string, id: string) => `${topic}\u0000${id}`;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s);
}

/** The final log of every partition: what was observed, minus what a truncation took back. */
function finalLogs(stored: StoredObservation[]): {
  logs: Map<string, Map<number, StoredRecord>>;
  overwritten: StoredRecord[];
} {
  const logs = new Map<string, Map<number, StoredRecord>>();
  const overwritten: StoredRecord[] = [];
  for (const o of stored) {
    const key = tp(o.topic, o.partition);
    let log = logs.get(key);
    if (!log) logs.set(key, (log = new Map()));
    if (o.kind === "record") {
      const old = log.get(o.offset);
      if (old && old.id !== o.id) overwritten.push(old);
      log.set(o.offset, o);
      continue;
    }
    for (const [offset, rec] of log) {
      if (offset >= o.offset) {
        overwritten.push(rec);
        log.delete(offset);
      }
    }
  }
  return { logs, overwritten };
}

function byPosition(a: AnomalyExample, b: AnomalyExample): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  // Examples without a position (an acknowledgement that named none) come after the placed ones.
  const pa = a.partition ?? Infinity;
  const pb = b.partition ?? Infinity;
  if (pa !== pb) return pa < pb ? -1 : 1;
  const oa = a.offset ?? Infinity;
  const ob = b.offset ?? Infinity;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return (a.events[0] ?? 0) - (b.events[0] ?? 0);
}

export function checkHistory(h: History, options: CheckOptions = {}): HistoryVerdict {
  const anomalies = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, [] as AnomalyExample[]])) as Record<
    AnomalyKind,
    AnomalyExample[]
  >;
  const observed = new Set(h.observedTopics);
  const topics = [
    ...new Set([
      ...h.sends.map((s) => s.topic),
      ...h.reads.map((r) => r.topic),
      ...h.stored.map((s) => s.topic),
    ]),
  ].sort();

  const { logs, overwritten } = finalLogs(h.stored);
  const survivors: StoredRecord[] = [...logs.values()].flatMap((l) => [...l.values()]);
  const copies = new Map<string, StoredRecord[]>();
  for (const r of survivors) push(copies, recordKey(r.topic, r.id), r);
  for (const list of copies.values()) list.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const sendsOf = new Map<string, Send[]>();
  for (const s of h.sends) push(sendsOf, recordKey(s.topic, s.id), s);

  let recovered = 0;
  // ---- producers against storage: lost, duplicated, stored though failed ----
  for (const [key, sends] of sendsOf) {
    const topic = sends[0]!.topic;
    if (!observed.has(topic)) continue;
    const held = copies.get(key) ?? [];
    const acked = sends.filter((s) => s.outcome === "acked");
    const failed = sends.filter((s) => s.outcome === "failed");
    const unknown = sends.filter((s) => s.outcome === "indeterminate");
    // An acknowledgement that names its offset is matched to the copy at that offset first.
    const free = [...held];
    const unmatched: Send[] = [];
    for (const s of acked) {
      const i = free.findIndex((c) => c.partition === s.partition && c.offset === s.offset);
      if (i >= 0) free.splice(i, 1);
      else unmatched.push(s);
    }
    for (const s of unmatched) {
      if (free.length > 0) {
        free.shift();
        continue;
      }
      const at =
        s.partition !== undefined && s.offset !== undefined ? logs.get(tp(topic, s.partition)) : undefined;
      const there = at?.get(s.offset!);
      anomalies.lost.push({
        topic,
        key: s.key,
        id: s.id,
        ...(s.partition !== undefined ? { partition: s.partition } : {}),
        ...(s.offset !== undefined ? { offset: s.offset } : {}),
        detail:
          s.offset === undefined
            ? "acknowledged, not stored at any offset"
            : there
              ? `acknowledged here, not stored; the broker holds key ${quote(there.key)} (another record) here`
              : "acknowledged here, not stored at any offset",
        events: [s.seq],
        producer: s.producer,
      });
    }
    const excess = held.length - acked.length - unknown.length;
    recovered += Math.min(unknown.length, Math.max(0, held.length - acked.length));
    if (excess <= 0) continue;
    const offsets = held.map((c) => ({ partition: c.partition, offset: c.offset }));
    const first = held[0]!;
    const storedAfterFailure = Math.min(excess, failed.length);
    for (const s of failed.slice(0, storedAfterFailure)) {
      anomalies.stored_though_failed.push({
        topic,
        key: s.key,
        id: s.id,
        partition: first.partition,
        offset: first.offset,
        detail: `stored although the producer was told it failed (${s.error ?? "no reason given"})`,
        events: [s.seq, ...held.map((c) => c.seq)],
        error: s.error ?? "",
        producer: s.producer,
      });
    }
    if (excess > storedAfterFailure) {
      anomalies.duplicated.push({
        topic,
        key: first.key,
        id: first.id,
        partition: first.partition,
        offset: first.offset,
        detail: `stored ${held.length} times (${held.map((c) => `${tp(topic, c.partition)} offset ${c.offset}`).join(", ")}), sent ${sends.length === 1 ? "once" : `${sends.length} times`}`,
        events: [...sends.map((s) => s.seq), ...held.map((c) => c.seq)],
        copies: held.length,
        sends: sends.length,
        offsets,
      });
    }
  }

  // ---- stored records nobody we know sent ----
  let untracked = 0;
  for (const r of survivors) if (!sendsOf.has(recordKey(r.topic, r.id))) untracked++;

  // ---- a producer's order against the stored order, per partition ----
  const byProducer = new Map<string, Send[]>();
  for (const s of h.sends) push(byProducer, `${s.producer}\u0000${s.topic}`, s);
  for (const sends of byProducer.values()) {
    const count = new Map<string, number>();
    for (const s of sends) count.set(s.id, (count.get(s.id) ?? 0) + 1);
    const ordered = [...sends].sort((a, b) => a.order - b.order || a.seq - b.seq);
    const highest = new Map<number, { send: Send; at: StoredRecord }>();
    for (const s of ordered) {
      // A record sent more than once by this producer has no single place in its order.
      if (count.get(s.id) !== 1) continue;
      const at = copies.get(recordKey(s.topic, s.id))?.[0];
      if (!at) continue;
      const top = highest.get(at.partition);
      if (top && at.offset < top.at.offset) {
        anomalies.reordered.push({
          topic: s.topic,
          key: s.key,
          id: s.id,
          partition: at.partition,
          offset: at.offset,
          detail: `sent by ${s.producer} after key ${quote(top.send.key)}, stored before it (at offset ${top.at.offset})`,
          events: [top.send.seq, s.seq, top.at.seq, at.seq],
          producer: s.producer,
          after: { key: top.send.key, id: top.send.id, offset: top.at.offset },
        });
      } else if (!top || at.offset > top.at.offset) highest.set(at.partition, { send: s, at });
    }
  }

  // ---- one position, two records ----
  const seenAt = new Map<string, Map<string, { key: string; how: Set<string>; events: number[] }>>();
  const see = (
    topic: string,
    partition: number,
    offset: number,
    id: string,
    key: string,
    how: string,
    seq: number,
  ) => {
    const pos = `${tp(topic, partition)}@${offset}`;
    let ids = seenAt.get(pos);
    if (!ids) seenAt.set(pos, (ids = new Map()));
    let entry = ids.get(id);
    if (!entry) ids.set(id, (entry = { key, how: new Set(), events: [] }));
    entry.how.add(how);
    entry.events.push(seq);
  };
  for (const o of h.stored)
    if (o.kind === "record") see(o.topic, o.partition, o.offset, o.id, o.key, "stored", o.seq);
  for (const s of h.sends)
    if (s.outcome === "acked" && s.partition !== undefined && s.offset !== undefined)
      see(s.topic, s.partition, s.offset, s.id, s.key, "acknowledged", s.seq);
  for (const r of h.reads) see(r.topic, r.partition, r.offset, r.id, r.key, `read by ${r.reader}`, r.seq);
  for (const [pos, ids] of seenAt) {
    if (ids.size < 2) continue;
    const at = pos.lastIndexOf("@");
    const slash = pos.lastIndexOf("/", at);
    const topic = pos.slice(0, slash);
    const partition = Number(pos.slice(slash + 1, at));
    const offset = Number(pos.slice(at + 1));
    const final = logs.get(tp(topic, partition))?.get(offset);
    // In the order they were first seen.
    const entries = [...ids].sort((x, y) => Math.min(...x[1].events) - Math.min(...y[1].events));
    anomalies.divergent.push({
      topic,
      key: entries[0]![1].key,
      id: entries[0]![0],
      partition,
      offset,
      detail: `${entries.length} different records here: ${entries
        .map(
          ([id, e]) =>
            `key ${quote(e.key)} (${[...e.how].join(", ")}${final?.id === id ? ", held now" : ""})`,
        )
        .join("; ")}`,
      events: entries.flatMap(([, e]) => e.events),
      records: entries.map(([id, e]) => ({ id, key: e.key, seen: [...e.how] })),
    });
  }

  // ---- consumers ----
  checkReads(h.reads, logs, observed, anomalies);

  for (const list of Object.values(anomalies)) list.sort(byPosition);
  const allowed = [...new Set(options.allow ?? [])];
  const unobserved = topics.filter(
    (t) => !observed.has(t) && (h.sends.some((s) => s.topic === t) || h.reads.some((r) => r.topic === t)),
  );
  return {
    ok: ANOMALY_KINDS.every((k) => allowed.includes(k) || anomalies[k].length === 0),
    topics,
    counts: {
      sent: h.sends.length,
      acked: h.sends.filter((s) => s.outcome === "acked").length,
      failed: h.sends.filter((s) => s.outcome === "failed").length,
      indeterminate: h.sends.filter((s) => s.outcome === "indeterminate").length,
      stored: survivors.length,
      read: h.reads.length,
      untracked,
      recovered,
      overwritten: overwritten.length,
    },
    anomalies,
    allowed,
    unobserved,
  };
}

/** Rewinds per reader; repeated deliveries and skipped records per group. */
function checkReads(
  reads: Read[],
  logs: Map<string, Map<number, StoredRecord>>,
  observed: Set<string>,
  anomalies: Record<AnomalyKind, AnomalyExample[]>,
): void {
  const byReader = new Map<string, Read[]>();
  const byGroup = new Map<string, Read[]>();
  for (const r of reads) {
    push(byReader, `${r.reader}\u0000${tp(r.topic, r.partition)}`, r);
    push(byGroup, `${r.group}\u0000${tp(r.topic, r.partition)}`, r);
  }
  for (const list of byReader.values()) {
    const ordered = [...list].sort((a, b) => a.order - b.order || a.seq - b.seq);
    for (let i = 1; i < ordered.length; i++) {
      const prev = ordered[i - 1]!;
      const cur = ordered[i]!;
      if (cur.offset >= prev.offset) continue;
      anomalies.rewound.push({
        topic: cur.topic,
        key: cur.key,
        id: cur.id,
        partition: cur.partition,
        offset: cur.offset,
        detail: `${quote(cur.reader)} read it after offset ${prev.offset}`,
        events: [prev.seq, cur.seq],
        reader: cur.reader,
        group: cur.group,
        from: prev.offset,
      });
    }
  }
  for (const list of byGroup.values()) {
    const { topic, partition, group } = list[0]!;
    const deliveries = new Map<string, Read[]>();
    for (const r of list) push(deliveries, `${r.offset}\u0000${r.id}`, r);
    for (const same of deliveries.values()) {
      if (same.length < 2) continue;
      const r = same[0]!;
      const readers = [...new Set(same.map((x) => x.reader))];
      anomalies.delivered_twice.push({
        topic,
        key: r.key,
        id: r.id,
        partition,
        offset: r.offset,
        detail: `group ${quote(group)} read it ${same.length} times${readers.length > 1 || readers[0] !== group ? ` (by ${readers.join(", ")})` : ""}`,
        events: same.map((x) => x.seq),
        group,
        times: same.length,
      });
    }
    if (!observed.has(topic)) continue;
    const log = logs.get(tp(topic, partition));
    if (!log) continue;
    const readOffsets = new Set(list.map((r) => r.offset));
    const lo = Math.min(...readOffsets);
    const hi = Math.max(...readOffsets);
    for (const [offset, rec] of log) {
      if (offset <= lo || offset >= hi || readOffsets.has(offset)) continue;
      anomalies.skipped.push({
        topic,
        key: rec.key,
        id: rec.id,
        partition,
        offset,
        detail: `group ${quote(group)} read offsets ${lo}..${hi} of the partition but never this one`,
        events: [rec.seq],
        group,
      });
    }
  }
}
