// The history of a test as the checker sees it: what producers were told, what the brokers stored and
// what consumers read. Built from the event log by extract.ts; checked by check.ts, a pure function.

/** How a send ended, as its producer was told. */
export type SendOutcome =
  /** Acknowledged by the broker: the record must be stored. */
  | "acked"
  /** Definitely not written (e.g. RECORD_TOO_LARGE on the first attempt): it must not be stored. */
  | "failed"
  /** Failed in a way that leaves the write unknown (timeout, lost connection, retries exhausted). */
  | "indeterminate";

/** A record a producer sent. */
export interface Send {
  /** Event number in the log (for references in reports). */
  seq: number;
  /** Who sent it: sends of one producer are ordered. */
  producer: string;
  /** Position in the producer's own order (the producer's `seq` when it reports one, else log order). */
  order: number;
  topic: string;
  key: string;
  /** Undefined when the reporter gave only an `id`. */
  value?: string;
  /** The record's identity (see extract.ts: key and value, or one payload field). */
  id: string;
  outcome: SendOutcome;
  /** Where the broker said it stored the record, when the producer was told. */
  partition?: number;
  offset?: number;
  error?: string;
}

/** A record the topic observer read from the broker, or a truncation of what it read before. */
export type StoredObservation =
  | {
      kind: "record";
      seq: number;
      topic: string;
      partition: number;
      offset: number;
      key: string;
      value: string;
      id: string;
    }
  | {
      /** The partition's log no longer holds what was read at `offset` and beyond (an unclean leader election). */
      kind: "truncated";
      seq: number;
      topic: string;
      partition: number;
      offset: number;
    };

/** A record a consumer read. */
export interface Read {
  seq: number;
  /** One consumer (a reader's offsets move forward unless something rewinds it). */
  reader: string;
  /** The consumer group sharing the work (a reader on its own is its own group). */
  group: string;
  /** Position in the reader's own order (its `seq` when reported, else log order). */
  order: number;
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value?: string;
  id: string;
}

export interface History {
  sends: Send[];
  /** In log order: a truncation applies to the records observed before it. */
  stored: StoredObservation[];
  reads: Read[];
  /** Topics a topic() observer reads: only for those is "stored" known. */
  observedTopics: string[];
}

/** Kinds of anomaly, in the order reports list them. */
export const ANOMALY_KINDS = [
  "lost",
  "duplicated",
  "stored_though_failed",
  "reordered",
  "divergent",
  "skipped",
  "rewound",
  "delivered_twice",
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** What an anomaly example names: the record, where it is (or was said to be), and what went wrong. */
export interface AnomalyExample {
  topic: string;
  key: string;
  id: string;
  partition?: number;
  offset?: number;
  /** One line: what was seen, e.g. `acknowledged at orders/0 offset 5, not stored`. */
  detail: string;
  /** Numbers of the events that show it. */
  events: number[];
  /** Kind-specific facts (offsets of the copies, the reader, the error...). */
  [extra: string]: unknown;
}

export interface HistoryCounts {
  sent: number;
  acked: number;
  failed: number;
  indeterminate: number;
  /** Records the brokers hold at the end (after truncations). */
  stored: number;
  read: number;
  /** Stored records that no known producer sent (another producer, or a changed payload). */
  untracked: number;
  /** Indeterminate sends whose record is stored (allowed: the write happened). */
  recovered: number;
  /** Records the observer read that a truncation later took back (an unclean leader election). */
  overwritten: number;
}

export interface HistoryVerdict {
  /** No anomaly outside `allowed`. */
  ok: boolean;
  topics: string[];
  counts: HistoryCounts;
  /** Every anomaly found, by kind (kinds with none are present with an empty list). */
  anomalies: Record<AnomalyKind, AnomalyExample[]>;
  /** Kinds the caller accepts: present in `anomalies` but not failing the verdict. */
  allowed: AnomalyKind[];
  /** Topics with sends or reads but no topic() observer: lost/duplicates/skips were not checked there. */
  unobserved: string[];
}
