// One-paragraph descriptions of a verdict: counts, then each kind of anomaly with its first examples.
import { ANOMALY_KINDS, type AnomalyExample, type AnomalyKind, type HistoryVerdict } from "./types.js";

/** How each kind reads in a sentence, singular and plural. */
const KIND_WORDS: Record<AnomalyKind, [string, string]> = {
  lost: ["acknowledged record lost", "acknowledged records lost"],
  duplicated: ["record stored more often than sent", "records stored more often than sent"],
  stored_though_failed: ["record stored though its send failed", "records stored though their sends failed"],
  reordered: ["record stored out of its producer's order", "records stored out of their producer's order"],
  divergent: ["offset holding different records", "offsets holding different records"],
  skipped: ["stored record a consumer group skipped", "stored records a consumer group skipped"],
  rewound: ["consumer rewind", "consumer rewinds"],
  delivered_twice: ["record delivered twice to a group", "records delivered twice to a group"],
};

export function describeExample(e: AnomalyExample): string {
  const where =
    e.partition !== undefined
      ? e.offset !== undefined
        ? ` at ${e.topic}/${e.partition} offset ${e.offset}`
        : ` in ${e.topic}/${e.partition}`
      : ` in ${e.topic}`;
  return `key ${JSON.stringify(e.key)}${where}: ${e.detail}`;
}

export function describeKind(kind: AnomalyKind, list: AnomalyExample[], examples = 3): string {
  const [one, many] = KIND_WORDS[kind];
  const shown = list.slice(0, examples).map(describeExample);
  const rest = list.length - shown.length;
  return `${list.length} ${list.length === 1 ? one : many} (${kind}): ${shown.join("; ")}${rest > 0 ? `; and ${rest} more` : ""}`;
}

/** `history of "orders": 20 sent (17 acked, 3 indeterminate), 17 stored, 5 read; ...` */
export function describeCounts(v: HistoryVerdict): string {
  const c = v.counts;
  const outcomes = [
    `${c.acked} acked`,
    ...(c.failed ? [`${c.failed} failed`] : []),
    ...(c.indeterminate ? [`${c.indeterminate} indeterminate`] : []),
  ];
  const topics = v.topics.length ? v.topics.map((t) => JSON.stringify(t)).join(", ") : "no topic";
  const extra = [
    ...(c.recovered ? [`${c.recovered} indeterminate stored`] : []),
    ...(c.untracked ? [`${c.untracked} stored by unknown producers`] : []),
    ...(c.overwritten ? [`${c.overwritten} overwritten after a truncation`] : []),
  ];
  return `history of ${topics}: ${c.sent} sent (${outcomes.join(", ")}), ${c.stored} stored, ${c.read} read${extra.length ? ` (${extra.join(", ")})` : ""}`;
}

/** The verdict in one paragraph: counts, then every kind found (allowed kinds marked as such). */
export function describeVerdict(v: HistoryVerdict, examples = 3): string {
  const parts = [describeCounts(v)];
  const found = ANOMALY_KINDS.filter((k) => v.anomalies[k].length > 0);
  if (found.length === 0) parts.push("no anomalies");
  for (const k of found) {
    parts.push(describeKind(k, v.anomalies[k], examples) + (v.allowed.includes(k) ? " [allowed]" : ""));
  }
  if (v.unobserved.length) {
    parts.push(
      `not checked against storage (no topic() observer): ${v.unobserved.map((t) => JSON.stringify(t)).join(", ")}`,
    );
  }
  return parts.join("; ");
}

/** Only the failing kinds, for an assertion message. */
export function describeFailures(v: HistoryVerdict, examples = 3): string {
  return ANOMALY_KINDS.filter((k) => v.anomalies[k].length > 0 && !v.allowed.includes(k))
    .map((k) => describeKind(k, v.anomalies[k], examples))
    .join("; ");
}
