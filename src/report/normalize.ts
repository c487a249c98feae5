// The normalized trace (`faultbox test --normalize FILE`): a stable, timing-free text form of each
// test's events, the format golden tests keep and `faultbox diff` compares.
//
// Stable means: the same spec with the same seed gives the same text on any machine, in any directory,
// however loaded the machine is. So the trace keeps what the spec decides and drops what timing decides:
// - events are grouped per lane (the test driver, then each service, sorted by name) because the
//   interleaving of different services' events is a race; within a lane the emission order is kept;
// - topic records are listed per lane sorted by topic, partition and offset (the observer's read order
//   across partitions is a race, the log's order is not);
// - fault firings are summarised per rule as "fired" or "never fired" (how often a rule fires follows
//   client retries and background traffic such as fetch polls and heartbeats);
// - connection events, proxy warnings and service output (stdout/stderr) are left out;
// - in every string that remains: timestamps, addresses with ports, UUIDs, hex ids (run nonces, random
//   names), temporary paths, pids, Unix times and measured durations are replaced by placeholders, and fields that
//   measure time (`*_ms`) are dropped.
import type { JsonDoc, JsonEvent, JsonTest } from "./doc.js";

export const NORMALIZED_HEADER = "# faultbox normalized trace v1";

/** Event types left out of the trace: their presence or number depends on timing. */
const TIMING_TYPES = new Set([
  "proxy_conn_open",
  "proxy_conn_close",
  "proxy_warning",
  "stdout",
  "stderr",
  // Firings: summarised per rule in the test's fault-window block.
  "proxy",
  "syscall",
]);

/** Data keys that are timing, or an address that changes per run, whatever the event. */
const DROPPED_KEYS = new Set(["addr", "listen", "conn_id", "pid", "elapsed"]);

const REPLACEMENTS: [RegExp, string][] = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/\b(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}\b/g, "<addr>"],
  [/\[[0-9a-f:]*\]:\d{1,5}\b/gi, "<addr>"],
  [/\blocalhost:\d{1,5}\b/g, "<addr>"],
  // Names made from a run's nonce (consumer groups): 8 hex digits that may all be decimal ones.
  [/\bfaultbox-[0-9a-f]{8}-/g, "faultbox-<hex>-"],
  // Temporary files and directories (mkdtemp names are random).
  [/(?:\/tmp|\/var\/tmp|\/dev\/shm)\/[^\s"'`,;:)\]}]+/g, "<tmp>"],
  [/\bpid[=: ]\s*\d+/gi, "pid=<pid>"],
  // Unix times in seconds and milliseconds from 2017 to 2033 (time.time() in a topic name, say).
  [/\b1[5-9]\d{8}(?:\d{3})?\b/g, "<epoch>"],
  // Measured durations; whole seconds are left alone (they are almost always the spec's own timeouts).
  [/\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns)\b/g, "<duration>"],
  [/\b\d+\.\d+\s?s\b/g, "<duration>"],
];

/** Hex tokens of 8+ characters with both a digit and a letter: run nonces, random ids, hashes. */
const HEX_ID = /\b[0-9a-f]{8,}\b/gi;

export function normalizeText(s: string): string {
  let out = s;
  for (const [re, to] of REPLACEMENTS) out = out.replace(re, to);
  return out.replace(HEX_ID, (m) => (/[0-9]/.test(m) && /[a-f]/i.test(m) ? "<hex>" : m));
}

/** JSON with sorted keys, so the order a producer wrote keys in never shows. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function value(v: unknown): string {
  const text = typeof v === "string" ? v : stableJson(v);
  // Quoted only when it would otherwise run into the next field or line.
  const flat = normalizeText(text);
  return /\s/.test(flat) || flat === "" ? JSON.stringify(flat) : flat;
}

function fields(data: Record<string, unknown> | undefined, skip: string[] = []): string {
  if (!data) return "";
  const keys = Object.keys(data)
    .filter((k) => !skip.includes(k) && !DROPPED_KEYS.has(k) && !k.endsWith("_ms"))
    .sort();
  return keys.map((k) => ` ${k}=${value(data[k])}`).join("");
}

function str(v: unknown): string {
  return typeof v === "string" ? v : stableJson(v);
}

/** One event as a trace line, or undefined when it is left out. */
function eventLine(e: JsonEvent): string | undefined {
  const d = e.data ?? {};
  switch (e.type) {
    case "step_send":
      return `step_send ${str(d.target)}.${str(d.interface)} ${str(d.method)}${fields(d, ["target", "interface", "method", "protocol"])}`;
    case "step_recv":
      return `step_recv ${str(d.target)}.${str(d.interface)} ${str(d.method)} ${d.ok ? "ok" : "failed"}${fields(d, ["target", "interface", "method", "ok"])}`;
    case "proxy_fault_applied":
      return `window ${str(d.assumption)} on ${str(d.interface)}: ${normalizeText(str(d.rules))}`;
    case "proxy_fault_removed":
      return `window end ${str(d.assumption)}`;
    case "fault_applied":
      return `syscall faults${fields(d)}`;
    case "fault_removed":
      return `syscall faults end`;
    case "proxy_started":
    case "proxy_active":
      return `${e.type}${fields(d, ["target"])}`;
    case "history_check":
      return historyLines(d);
    default:
      return `${e.type}${fields(d)}`;
  }
}

/**
 * A history check: its verdict, counts and every anomaly's description; not the event numbers the
 * anomalies cite (numbering follows the interleaving of lanes, a race).
 */
function historyLines(d: Record<string, unknown>): string {
  const lines = [
    `history_check ${str(d.check)}: ${d.ok ? "ok" : "violation"}${fields(d, ["check", "ok", "summary", "anomalies", "counts", "allowed"])}`,
  ];
  const counts = (d.counts ?? {}) as Record<string, unknown>;
  lines.push(`  counts${fields(counts)}`);
  if (Array.isArray(d.allowed) && d.allowed.length) lines.push(`  allowed ${d.allowed.join(", ")}`);
  const anomalies = (d.anomalies ?? {}) as Record<string, Record<string, unknown>[]>;
  for (const kind of Object.keys(anomalies).sort())
    for (const a of anomalies[kind] ?? [])
      lines.push(
        `  ${kind}: ${str(a.key)} at ${str(a.topic)}[${str(a.partition ?? "?")}]@${str(a.offset ?? "?")}: ${str(a.detail)}`,
      );
  return lines.join("\n");
}

function isTopicRecord(e: JsonEvent): boolean {
  return e.type === "topic" && typeof e.data?.topic === "string";
}

function recordLine(e: JsonEvent): string {
  const d = e.data!;
  return `topic ${str(d.topic)}[${str(d.partition)}]@${str(d.offset)} key=${value(d.key ?? null)} value=${value(d.value ?? null)}`;
}

function compareRecords(a: JsonEvent, b: JsonEvent): number {
  const da = a.data!;
  const db = b.data!;
  if (da.topic !== db.topic) return String(da.topic) < String(db.topic) ? -1 : 1;
  const pa = Number(da.partition ?? 0);
  const pb = Number(db.partition ?? 0);
  if (pa !== pb) return pa - pb;
  const oa = BigInt(String(da.offset ?? 0));
  const ob = BigInt(String(db.offset ?? 0));
  return oa < ob ? -1 : oa > ob ? 1 : a.seq - b.seq;
}

function testBlock(t: JsonTest, specDir: string | undefined): string[] {
  const out = [`=== ${t.name}: ${t.result} ===`];
  const strip = (s: string) => (specDir ? s.split(specDir + "/").join("") : s);
  if (t.reason) for (const line of t.reason.split("\n")) out.push(`reason: ${normalizeText(strip(line))}`);
  if (t.location) out.push(`at: ${t.location.file.split("/").pop()}:${t.location.line}`);
  if (t.faults?.length) out.push(`faults: ${t.faults.join(", ")}`);
  const lanes = new Map<string, { lines: string[]; records: JsonEvent[] }>();
  for (const e of t.events ?? []) {
    if (TIMING_TYPES.has(e.type)) continue;
    const lane = e.service || "test";
    let l = lanes.get(lane);
    if (!l) lanes.set(lane, (l = { lines: [], records: [] }));
    if (isTopicRecord(e)) l.records.push(e);
    else {
      const line = eventLine(e);
      if (line !== undefined) l.lines.push(normalizeText(strip(line)));
    }
  }
  // The test driver first, then services by name.
  const names = [...lanes.keys()].sort((a, b) =>
    a === "test" ? -1 : b === "test" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  for (const name of names) {
    const l = lanes.get(name)!;
    out.push(`--- ${name} ---`, ...l.lines, ...l.records.sort(compareRecords).map(recordLine));
  }
  if (t.fault_windows?.length) {
    out.push("--- fault windows ---");
    for (const w of t.fault_windows) {
      out.push(`${w.assumption}${w.target ? ` on ${w.target}` : ""}`);
      for (const r of w.rules)
        out.push(`  ${normalizeText(r.rule)}: ${r.fired > 0 ? "fired" : "never fired"}`);
    }
  }
  return out;
}

/**
 * The normalized trace of a result document. `specDir` (absolute) is cut from messages that name
 * files under it, so the trace does not depend on where the spec was checked out.
 */
export function normalizeDoc(doc: JsonDoc, specDir?: string): string {
  const lines = [NORMALIZED_HEADER];
  for (const t of doc.tests) lines.push("", ...testBlock(t, specDir));
  return lines.join("\n") + "\n";
}
