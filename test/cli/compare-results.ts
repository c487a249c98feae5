// What two runs of one spec with one seed must share, for tests that run it two ways (sharded and
// merged, serial and in lanes) and compare the reports.

export type Json = Record<string, unknown>;

/** Wall-clock figures: durations, times of events, tests, fault windows and the failure, the requests the proxies timed. */
const TIMING = [
  "duration_ms",
  "timestamp",
  "seq",
  "conn_id",
  "started_at",
  "opened_at",
  "closed_at",
  "failed_at",
  "traffic",
];

/**
 * What two runs of one spec with one seed share: everything but wall-clock figures, the ports the
 * proxies drew, the connection open/close events (whose moment relative to steps is timing), and the
 * interleaving of events from different sources: each source's events (one type of one service, such
 * as the steps' answers or the topic observer's records) keep their order, but whether a record the
 * observer read comes before or after the next step's answer is timing too.
 */
export function comparable(doc: Json): Json {
  const strip = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(/127\.0\.0\.1:\d+/g, "ADDR");
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") {
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) if (!TIMING.includes(k)) out[k] = strip(x);
      return out;
    }
    return v;
  };
  const tests = (doc.tests as Json[]).map((t) => ({
    ...t,
    events: ((t.events as Json[] | null) ?? [])
      .filter((e) => !String(e.type).startsWith("proxy_conn_"))
      .map((e, i) => ({ e, i, source: `${String(e.type)}\u0000${String(e.service)}` }))
      // Array.prototype.sort is stable: within a source the order stays the order of the run.
      .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.i - b.i))
      .map((x) => x.e),
  }));
  return strip({ ...doc, tests }) as Json;
}

/** JUnit without times, and without the last events (compared above, in the JSON, without timing). */
export const junitComparable = (xml: string) =>
  xml.replace(/ time="[\d.]+"/g, "").replace(/\nlast events:\n[^<]*<\//g, "</");
