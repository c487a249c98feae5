// From the event log to a history: which events are sends, stored records and reads.
//
//   sends   the kafka publish step (step_recv, method "publish"), and any event whose data has
//           history: "send" (a user's service printing JSON lines, decoded by stdout(json_decoder()))
//   stored  topic events of the topic() observer, and its topic_truncated events (a send that ended
//           before the observer's topic_observed event is left out: its record is before what is read;
//           so is an acknowledged send at an offset below where the observer began, whenever its
//           event came: a service running from before the test can report a record it wrote just
//           before the observer noted the end offsets after the test began)
//   reads   the kafka consume step (step_recv, method "consume", ok), and any event whose data has
//           history: "read"
//
// A record's identity is its key and value, or, with `id`, one field of its JSON payload (a user's
// event may then carry that id directly instead of the value).
import { globMatch, type Event } from "../events.js";
import type { History, Read, Send, SendOutcome, StoredObservation } from "./types.js";

export interface ExtractOptions {
  /** Topics to check (`*` globs); default every topic the history names. */
  topics?: string[];
  /** Payload field that identifies a record (e.g. "order_id"); default key and value together. */
  id?: string;
  /** Topics a topic() observer reads. */
  observedTopics: string[];
}

export interface Extracted {
  history: History;
  /** Events that say they are history but cannot be used, each with the reason (shown to the user). */
  problems: string[];
}

/** Event types the checker reads besides `history:` events. */
export const HISTORY_EVENT_TYPES = ["step_recv", "topic", "topic_truncated", "topic_observed"];

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function truthy(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === 1 || v === "1") return true;
  if (v === "false" || v === 0 || v === "0") return false;
  return undefined;
}

export function historyFromEvents(events: readonly Event[], options: ExtractOptions): Extracted {
  const problems: string[] = [];
  const sends: Send[] = [];
  const stored: StoredObservation[] = [];
  const reads: Read[] = [];
  const wanted = (topic: string) => !options.topics || options.topics.some((p) => globMatch(p, topic));
  const field = options.id;

  const keyValue = (key: string, value: string) => JSON.stringify([key, value]);
  /** The id field's value: given by the event, in its decoded payload, or in its value as JSON. */
  const fieldOf = (value: string | undefined, given: unknown, decoded?: Record<string, unknown>) => {
    let v = given ?? decoded?.[field!];
    if (v === undefined && value !== undefined) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (parsed && typeof parsed === "object") v = (parsed as Record<string, unknown>)[field!];
      } catch {
        // not JSON: no field to read
      }
    }
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : JSON.stringify(v);
  };
  /** Identity of a sent or read record; undefined (with the reason in `problems`) when it cannot be told. */
  const identify = (what: string, key: string, value: string | undefined, given: unknown) => {
    if (field) {
      const id = fieldOf(value, given);
      if (id === undefined) problems.push(`${what} has no "id" and its value has no "${field}" field`);
      return id;
    }
    if (value === undefined) {
      problems.push(
        `${what} has no "value"${given !== undefined ? ' (it gives "id": pass id="FIELD" to the check to match records by a payload field)' : ""}`,
      );
      return undefined;
    }
    return keyValue(key, value);
  };
  /** Stored records without the id field (other traffic on the topic) keep key and value as identity. */
  const storedIdentity = (key: string, value: string, decoded: Record<string, unknown>) =>
    (field ? fieldOf(value, undefined, decoded) : undefined) ?? keyValue(key, value);

  const producerOrder = new Map<string, number>();
  const readerOrder = new Map<string, number>();
  const next = (m: Map<string, number>, who: string) => {
    const n = (m.get(who) ?? 0) + 1;
    m.set(who, n);
    return n;
  };

  // Topics whose observer has started (a send that ended before that is not checked against storage).
  const observing = new Set<string>();
  const unobservedYet = new Set<string>();
  const beforeObserving = (topic: string) => unobservedYet.has(topic) && !observing.has(topic);
  // Where each observed topic's partitions were read from (the topic_observed event's `from`).
  const observedFrom = new Map<string, Record<string, unknown>>();
  for (const e of events)
    if (e.type === "topic_observed" && typeof e.data.topic === "string") {
      unobservedYet.add(e.data.topic);
      if (e.data.from && typeof e.data.from === "object")
        observedFrom.set(e.data.topic, e.data.from as Record<string, unknown>);
    }
  /** An acknowledged send stored below the offset where the observer of its topic began reading. */
  const belowObserved = (s: Send) => {
    const start = s.offset === undefined ? undefined : num(observedFrom.get(s.topic)?.[String(s.partition)]);
    return start !== undefined && s.offset! < start;
  };

  for (const e of events) {
    const d = e.data;
    if (e.type === "topic_observed") {
      if (typeof d.topic === "string") observing.add(d.topic);
      continue;
    }
    if (e.type === "topic") {
      const topic = str(d.topic);
      const partition = num(d.partition);
      const offset = num(d.offset);
      if (topic === undefined || partition === undefined || offset === undefined || !wanted(topic)) continue;
      const key = str(d.key) ?? "";
      const value = str(d.value) ?? "";
      stored.push({
        kind: "record",
        seq: e.seq,
        topic,
        partition,
        offset,
        key,
        value,
        id: storedIdentity(key, value, d),
      });
      continue;
    }
    if (e.type === "topic_truncated") {
      const topic = str(d.topic);
      const partition = num(d.partition);
      const offset = num(d.offset);
      if (topic === undefined || partition === undefined || offset === undefined || !wanted(topic)) continue;
      stored.push({ kind: "truncated", seq: e.seq, topic, partition, offset });
      continue;
    }
    if (e.type === "step_recv" && d.method === "publish") {
      const topic = str(d.topic);
      if (topic === undefined || !wanted(topic) || beforeObserving(topic)) continue;
      const key = str(d.key) ?? "";
      const value = str(d.value);
      const id = identify(`publish step #${e.seq} to "${topic}"`, key, value, undefined);
      if (id === undefined) continue;
      const producer = `${str(d.target) ?? "?"}.${str(d.interface) ?? "?"}`;
      const outcome = outcomeOf(d.ok === true, d);
      const send = sendOf(e, producer, next(producerOrder, producer), topic, key, value, id, outcome, d);
      if (!belowObserved(send)) sends.push(send);
      continue;
    }
    if (e.type === "step_recv" && d.method === "consume") {
      if (d.ok !== true) continue;
      const topic = str(d.topic);
      const partition = num(d.partition);
      const offset = num(d.offset);
      if (topic === undefined || partition === undefined || offset === undefined || !wanted(topic)) continue;
      const key = str(d.key) ?? "";
      const value = str(d.value);
      const id = identify(`consume step #${e.seq} from "${topic}"`, key, value, undefined);
      if (id === undefined) continue;
      // Each consume step is a fresh consumer that resumes from the group's committed offset: the
      // group's steps together are one reader.
      const group = str(d.group) ?? "?";
      const where = { topic, partition, offset, key, ...(value !== undefined ? { value } : {}), id };
      reads.push({ seq: e.seq, reader: group, group, order: next(readerOrder, group), ...where });
      continue;
    }
    const kind = d.history;
    if (kind !== "send" && kind !== "read") {
      if (kind !== undefined)
        problems.push(
          `event #${e.seq} (${e.type} on ${e.service || "-"}): "history" must be "send" or "read", got ${JSON.stringify(kind)}`,
        );
      continue;
    }
    const where = `${kind} event #${e.seq} (${e.type} on ${e.service || "-"})`;
    const topic = str(d.topic);
    if (!topic) {
      problems.push(`${where} has no "topic"`);
      continue;
    }
    if (!wanted(topic)) continue;
    const key = str(d.key) ?? "";
    const value = str(d.value);
    const id = identify(where, key, value, d.id);
    if (id === undefined) continue;
    const order = num(d.seq);
    if (kind === "send") {
      if (beforeObserving(topic)) continue;
      const ok = truthy(d.ok);
      if (ok === undefined) {
        problems.push(`${where} has no "ok" (true when the broker acknowledged the record)`);
        continue;
      }
      const outcome = outcomeOf(ok, d);
      const producer = str(d.producer) ?? e.service;
      const send = sendOf(
        e,
        producer,
        order ?? next(producerOrder, producer),
        topic,
        key,
        value,
        id,
        outcome,
        d,
      );
      if (!belowObserved(send)) sends.push(send);
      continue;
    }
    const partition = num(d.partition);
    const offset = num(d.offset);
    if (partition === undefined || offset === undefined || offset < 0) {
      problems.push(`${where} needs "partition" and "offset" (where the record was read)`);
      continue;
    }
    const group = str(d.group) ?? str(d.consumer) ?? e.service;
    const reader = str(d.consumer) ?? group;
    const at = { topic, partition, offset, key, ...(value !== undefined ? { value } : {}), id };
    reads.push({ seq: e.seq, reader, group, order: order ?? next(readerOrder, reader), ...at });
  }
  return { history: { sends, stored, reads, observedTopics: options.observedTopics }, problems };
}

/**
 * Acknowledged, definitely failed, or unknown: a failure is definite only when the reporter says so
 * (`definite`), and a "success" with acks=0 is no acknowledgement at all.
 */
function outcomeOf(ok: boolean, d: Record<string, unknown>): SendOutcome {
  if (ok) return num(d.acks) === 0 ? "indeterminate" : "acked";
  return truthy(d.definite) === true ? "failed" : "indeterminate";
}

function sendOf(
  e: Event,
  producer: string,
  order: number,
  topic: string,
  key: string,
  value: string | undefined,
  id: string,
  outcome: SendOutcome,
  d: Record<string, unknown>,
): Send {
  const partition = num(d.partition);
  const offset = num(d.offset);
  const error = str(d.error);
  return {
    seq: e.seq,
    producer,
    order,
    topic,
    key,
    ...(value !== undefined ? { value } : {}),
    id,
    outcome,
    // Where it went only matters (and is only trustworthy) for an acknowledged send.
    ...(outcome === "acked" && partition !== undefined && partition >= 0 ? { partition } : {}),
    ...(outcome === "acked" &&
    partition !== undefined &&
    partition >= 0 &&
    offset !== undefined &&
    offset >= 0
      ? { offset }
      : {}),
    ...(error ? { error } : {}),
  };
}
