// The JSON result document (toJson) as the reports that read it back see it: the HTML page, the
// normalized trace, bundles and `faultbox diff` all work from this shape, never from live objects, so a
// report made later from a saved result (or a bundle) is the same as one made at the end of the run.

export interface JsonEvent {
  seq: number;
  timestamp: string;
  type: string;
  service?: string;
  data?: Record<string, unknown>;
}

export interface JsonFaultWindow {
  assumption: string;
  target?: string;
  rules: { rule: string; matched?: number; fired: number }[];
  matched?: number;
  fired: number;
  /** When the window opened and closed (ISO 8601); absent in results written before they were recorded. */
  opened_at?: string;
  closed_at?: string;
}

/** Requests one proxy relayed during a test, column by column (one index = one request). */
export interface JsonTraffic {
  service: string;
  interface: string;
  protocol: string;
  /** Request kinds (Kafka API names, HTTP methods); `api` holds indexes into it. */
  apis: string[];
  /** Milliseconds from the test's start to the request's arrival at the proxy. */
  t: number[];
  /** Milliseconds until the response left the proxy; -1 when no response was sent (dropped, closed). */
  latency_ms: number[];
  api: number[];
  /** What the protocol says about each request (Kafka: client id, HTTP: path; "" when nothing). */
  detail?: string[];
  /** Requests beyond the per-test sample limit: counted, not listed. */
  unlisted?: number;
}

/** A history check's verdict, as the `history_check` event carries it (src/core/history). */
export interface JsonHistoryCheck {
  check?: string;
  ok?: boolean;
  summary?: string;
  topics?: string[];
  counts?: Record<string, number>;
  allowed?: string[];
  /** Per anomaly kind, every example; `events` are the seq numbers of the events that show it. */
  anomalies?: Record<
    string,
    {
      topic?: string;
      key?: string;
      partition?: number;
      offset?: number;
      detail?: string;
      events?: number[];
    }[]
  >;
}

export interface JsonTest {
  name: string;
  result: string;
  reason?: string;
  failure_type?: string;
  seed: string;
  duration_ms: number;
  /** When the test started (ISO 8601). */
  started_at?: string;
  /** When the failing assertion (or error) happened, and how many events were logged by then. */
  failed_at?: { timestamp: string; after_seq: number };
  replay_command?: string;
  expectation_violated?: boolean;
  location?: { file: string; line: number };
  faults?: string[];
  fault_windows?: JsonFaultWindow[];
  runs?: { total: number; passed: number };
  service_output?: { service: string; lines: string[] };
  assertions: number;
  diagnostics?: { level: string; code: string; message: string }[];
  traffic?: JsonTraffic[];
  events: JsonEvent[] | null;
}

export interface JsonCell {
  scenario: string;
  fault: string;
  passed: boolean;
  outcome: string;
  reason?: string;
}

export interface JsonDoc {
  version?: number;
  star_file: string;
  seed: string;
  duration_ms: number;
  pass: number;
  fail: number;
  inconclusive?: number;
  not_run?: string[];
  warnings?: string[];
  tests: JsonTest[];
  matrix?: { scenarios: string[]; faults: string[]; cells: JsonCell[]; excluded?: unknown[] };
}

/** Whether a parsed JSON value looks like a faultbox result document (for files given by users). */
export function isResultDoc(v: unknown): v is JsonDoc {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as JsonDoc).star_file === "string" &&
    Array.isArray((v as JsonDoc).tests)
  );
}
