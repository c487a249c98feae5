// The model behind a test's timeline in the HTML report: lanes (the test driver, each service, Kafka
// clients the proxy saw), marks (events), arrows (steps, requests through the proxy, topic records),
// fault-window bands with their firings, and the failure's moment. A pure function of the JSON result,
// so it is tested here and the page's script only draws it.
import type { JsonEvent, JsonFaultWindow, JsonTest, JsonTraffic } from "./doc.js";

export type Category =
  "lifecycle" | "step" | "fault" | "topic" | "check" | "output" | "connection" | "warning" | "other";

export interface Lane {
  id: string;
  label: string;
  kind: "driver" | "service" | "client";
}

export interface Mark {
  /** Index into the test's events. */
  event: number;
  lane: number;
  /** ms from the timeline's origin. */
  t: number;
  category: Category;
  /** A fault firing (proxy action or syscall decision) inside a window: drawn as the window's tick. */
  firing?: boolean;
}

export interface Arrow {
  from: number;
  to: number;
  t1: number;
  t2: number;
  kind: "call" | "return" | "request" | "response" | "record" | "read";
  /** Events the arrow stands for (indexes), for hover and click. */
  events: number[];
  label: string;
  failed?: boolean;
}

export interface Band {
  assumption: string;
  target?: string;
  lane: number | null;
  t1: number;
  t2: number;
  rules: { rule: string; fired: number }[];
  fired: number;
  /** Firing marks (indexes into marks). */
  firings: number[];
}

export interface Span {
  lane: number;
  t1: number;
  t2: number;
  label: string;
}

/** An anomaly a history check found, with the events that show it (indexes): ringed on the timeline. */
export interface Anomaly {
  kind: string;
  detail: string;
  events: number[];
}

export interface TimelineModel {
  /** Epoch ms of t = 0 (the test's start, else its first event). */
  origin: number;
  /** ms covered: the last thing drawn, at least 1. */
  end: number;
  lanes: Lane[];
  marks: Mark[];
  arrows: Arrow[];
  spans: Span[];
  bands: Band[];
  failure?: { t: number; afterSeq: number; text: string };
  anomalies: Anomaly[];
  /** Request arrows left out because there were too many to read (the plots show them all). */
  requestsNotDrawn: number;
  types: string[];
}

/** Above this many Produce/Fetch requests in a test, the timeline draws none (the plots show them). */
export const MAX_REQUEST_ARROWS = 400;
/** The step client's id: its requests are the steps' own, already drawn as call arrows. */
const STEP_CLIENT = "faultbox-step";
const DATA_APIS = new Set(["Produce", "Fetch"]);

export function categoryOf(e: JsonEvent): Category {
  const t = e.type;
  if (t === "step_send" || t === "step_recv") return "step";
  if (t === "topic") return "topic";
  if (t === "history_check") return "check";
  if (t === "stdout" || t === "stderr") return "output";
  if (t === "proxy_conn_open" || t === "proxy_conn_close") return "connection";
  if (t === "proxy" || t === "syscall" || t.includes("fault")) return "fault";
  if (t.startsWith("service_") || t === "proxy_started" || t === "proxy_active") return "lifecycle";
  if (t.includes("warning") || t.includes("error") || t.includes("malformed") || t === "vacuous_property")
    return "warning";
  return "other";
}

const isFiring = (e: JsonEvent) =>
  (e.type === "proxy" && e.data?.action !== undefined) || e.type === "syscall";

function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v);
}

function short(s: string, n = 60): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

export function buildTimeline(test: JsonTest): TimelineModel {
  const events = test.events ?? [];
  const times = events.map((e) => Date.parse(e.timestamp));
  const started = test.started_at ? Date.parse(test.started_at) : NaN;
  const origin = Number.isFinite(started) ? started : Number.isFinite(times[0]!) ? times[0]! : 0;
  const at = (epochMs: number) => (Number.isFinite(epochMs) ? epochMs - origin : 0);

  // Lanes: the driver, then services in order of first appearance (window targets and traffic too).
  const lanes: Lane[] = [{ id: "test", label: "test driver", kind: "driver" }];
  const laneOf = new Map<string, number>([["test", 0]]);
  const serviceLane = (name: string): number => {
    const id = name || "test";
    let i = laneOf.get(id);
    if (i === undefined) {
      i = lanes.push({ id, label: id, kind: "service" }) - 1;
      laneOf.set(id, i);
    }
    return i;
  };
  for (const e of events) serviceLane(e.service ?? "");
  for (const e of events) if (e.type === "step_send") serviceLane(str(e.data?.target));
  for (const w of test.fault_windows ?? []) if (w.target) serviceLane(w.target.split(".")[0]!);
  for (const tr of test.traffic ?? []) serviceLane(tr.service);

  const marks: Mark[] = events.map((e, i) => ({
    event: i,
    lane: serviceLane(e.service ?? ""),
    t: at(times[i]!),
    category: categoryOf(e),
  }));

  const arrows: Arrow[] = [];
  const spans: Span[] = [];

  // Steps: a call arrow from the driver to the target, a return arrow back, the call's span on the target.
  const open: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === "step_send") open.push(i);
    if (e.type !== "step_recv") continue;
    const key = (x: JsonEvent) => `${str(x.data?.target)}.${str(x.data?.interface)}.${str(x.data?.method)}`;
    const k = open.map((j) => key(events[j]!)).lastIndexOf(key(e));
    if (k < 0) continue;
    const s = open.splice(k, 1)[0]!;
    const target = serviceLane(str(e.data?.target));
    const method = str(e.data?.method);
    const failed = e.data?.ok === false;
    arrows.push(
      { from: 0, to: target, t1: marks[s]!.t, t2: marks[s]!.t, kind: "call", events: [s], label: method },
      {
        from: target,
        to: 0,
        t1: marks[i]!.t,
        t2: marks[i]!.t,
        kind: "return",
        events: [i],
        label: `${method} ${failed ? "failed" : "ok"}`,
        ...(failed ? { failed: true } : {}),
      },
    );
    spans.push({
      lane: target,
      t1: marks[s]!.t,
      t2: marks[i]!.t,
      label: `${str(e.data?.interface)}.${method}`,
    });
  }

  // Topic records: from the publish step that sent the value to each record holding it (a duplicate
  // shows as two arrows), and from a record to the consume step that read it.
  const sends = events
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.type === "step_send" && e.data?.method === "publish");
  for (let i = 0; i < events.length; i++) {
    const r = events[i]!;
    if (r.type !== "topic") continue;
    const value = str(r.data?.value);
    const send = [...sends]
      .reverse()
      .find(
        ({ e, i: j }) =>
          j < i &&
          str(e.data?.topic) === str(r.data?.topic) &&
          (str(e.data?.data) === value ||
            (str(e.data?.data).endsWith("…") && value.startsWith(str(e.data?.data).slice(0, -1)))),
      );
    if (send)
      arrows.push({
        from: 0,
        to: marks[i]!.lane,
        t1: marks[send.i]!.t,
        t2: marks[i]!.t,
        kind: "record",
        events: [send.i, i],
        label: `${str(r.data?.topic)}[${str(r.data?.partition)}]@${str(r.data?.offset)}`,
      });
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== "step_recv" || e.data?.method !== "consume" || e.data?.offset === undefined) continue;
    const j = events.findIndex(
      (r) =>
        r.type === "topic" &&
        str(r.data?.topic) === str(e.data?.topic) &&
        str(r.data?.partition) === str(e.data?.partition) &&
        str(r.data?.offset) === str(e.data?.offset),
    );
    if (j >= 0)
      arrows.push({
        from: marks[j]!.lane,
        to: 0,
        t1: marks[j]!.t,
        t2: marks[i]!.t,
        kind: "read",
        events: [j, i],
        label: `read ${str(e.data?.topic)}[${str(e.data?.partition)}]@${str(e.data?.offset)}`,
      });
  }

  // Produce and Fetch through a Kafka proxy by clients other than the steps: client lanes by client id
  // (a service whose name is in the id gets the arrows itself).
  let requestsNotDrawn = 0;
  const kafka = (test.traffic ?? []).filter((tr) => tr.protocol === "kafka");
  const dataRequests = (tr: JsonTraffic) =>
    tr.t
      .map((_, i) => i)
      .filter((i) => DATA_APIS.has(tr.apis[tr.api[i]!]!) && tr.detail?.[i] !== STEP_CLIENT);
  const total = kafka.reduce((n, tr) => n + dataRequests(tr).length, 0);
  if (total > MAX_REQUEST_ARROWS) requestsNotDrawn = total;
  else
    for (const tr of kafka) {
      const server = serviceLane(tr.service);
      for (const i of dataRequests(tr)) {
        const client = tr.detail?.[i] ?? "";
        const lane = clientLane(client, lanes, laneOf);
        const api = tr.apis[tr.api[i]!]!;
        const t1 = tr.t[i]!;
        const latency = tr.latency_ms[i]!;
        arrows.push({
          from: lane,
          to: server,
          t1,
          t2: t1,
          kind: "request",
          events: [],
          label: `${api} from ${client || "a client"}${latency < 0 ? ", no response" : `, ${latency} ms`}`,
        });
        if (latency >= 0)
          arrows.push({
            from: server,
            to: lane,
            t1: t1 + latency,
            t2: t1 + latency,
            kind: "response",
            events: [],
            label: `${api} response to ${client || "a client"} after ${latency} ms`,
          });
      }
    }

  const bands = (test.fault_windows ?? []).map((w) => band(w, events, marks, at, laneOf));
  const anomalies = historyAnomalies(events);

  let failure: TimelineModel["failure"];
  if (test.failed_at) {
    const where = test.location ? ` (${test.location.file}:${test.location.line})` : "";
    failure = {
      t: at(Date.parse(test.failed_at.timestamp)),
      afterSeq: test.failed_at.after_seq,
      text: short(`${test.reason ?? test.result}`.split("\n")[0]!, 120) + where,
    };
  }

  const end = Math.max(
    1,
    test.duration_ms,
    ...marks.map((m) => m.t),
    ...arrows.map((a) => Math.max(a.t1, a.t2)),
    ...bands.map((b) => b.t2),
    failure?.t ?? 0,
  );
  return {
    origin,
    end,
    lanes,
    marks,
    arrows,
    spans,
    bands,
    ...(failure ? { failure } : {}),
    anomalies,
    requestsNotDrawn,
    types: [...new Set(events.map((e) => e.type))].sort(),
  };
}

/** The most anomalies ringed on one timeline (the history panel lists them all by count). */
const MAX_ANOMALIES = 500;

function historyAnomalies(events: JsonEvent[]): Anomaly[] {
  const index = new Map(events.map((e, i) => [e.seq, i]));
  const out: Anomaly[] = [];
  for (const e of events) {
    if (e.type !== "history_check") continue;
    const allowed = new Set((e.data?.allowed as string[] | undefined) ?? []);
    const byKind = (e.data?.anomalies ?? {}) as Record<string, { detail?: unknown; events?: unknown }[]>;
    for (const [kind, list] of Object.entries(byKind)) {
      if (allowed.has(kind) || !Array.isArray(list)) continue;
      for (const a of list) {
        if (out.length >= MAX_ANOMALIES) return out;
        const seqs = Array.isArray(a.events) ? (a.events as number[]) : [];
        const idx = seqs.map((q) => index.get(q)).filter((i): i is number => i !== undefined);
        if (idx.length) out.push({ kind, detail: str(a.detail), events: idx });
      }
    }
  }
  return out;
}

function clientLane(client: string, lanes: Lane[], laneOf: Map<string, number>): number {
  const lower = client.toLowerCase();
  const service = lanes.find((l) => l.kind === "service" && lower && lower.includes(l.id.toLowerCase()));
  if (service) return lanes.indexOf(service);
  const id = `client:${client}`;
  let i = laneOf.get(id);
  if (i === undefined) {
    i = lanes.push({ id, label: client ? `client ${client}` : "a client", kind: "client" }) - 1;
    laneOf.set(id, i);
  }
  return i;
}

/**
 * A fault window's band. Its times come from the window record; results written before those were
 * recorded fall back to the window's applied/removed events. Firings are the proxy actions and syscall
 * decisions on the target's service while the window was open.
 */
function band(
  w: JsonFaultWindow,
  events: JsonEvent[],
  marks: Mark[],
  at: (epochMs: number) => number,
  laneOf: Map<string, number>,
): Band {
  const [service, iface] = (w.target ?? "").split(".");
  const lane = service ? (laneOf.get(service) ?? null) : null;
  let t1 = w.opened_at ? at(Date.parse(w.opened_at)) : NaN;
  let t2 = w.closed_at ? at(Date.parse(w.closed_at)) : NaN;
  if (!Number.isFinite(t1) || !Number.isFinite(t2)) {
    const applied = events.findIndex(
      (e) => e.type === "proxy_fault_applied" && e.data?.assumption === w.assumption,
    );
    const removed = events.findIndex(
      (e) => e.type === "proxy_fault_removed" && e.data?.assumption === w.assumption,
    );
    t1 = applied >= 0 ? marks[applied]!.t : 0;
    t2 = removed >= 0 ? marks[removed]!.t : Math.max(t1, ...marks.map((m) => m.t));
  }
  const firings: number[] = [];
  events.forEach((e, i) => {
    if (!isFiring(e) || (service && e.service !== service)) return;
    if (iface && e.type === "proxy" && e.data?.interface !== undefined && e.data.interface !== iface) return;
    const m = marks[i]!;
    if (m.t < t1 - 1 || m.t > t2 + 1) return;
    if (e.type === "proxy" && !w.rules.some((r) => r.rule === e.data?.rule) && w.rules.length > 1) return;
    m.firing = true;
    firings.push(i);
  });
  return {
    assumption: w.assumption,
    ...(w.target ? { target: w.target } : {}),
    lane,
    t1,
    t2: Math.max(t1, t2),
    rules: w.rules.map((r) => ({ rule: r.rule, fired: r.fired })),
    fired: w.fired,
    firings,
  };
}
