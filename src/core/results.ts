// Results of a run, shaped after Faultbox's JSON trace (reference §11.3).
import type { SourceLocation } from "./errors.js";
import type { Event } from "./events.js";
import type { FaultAssumption, MatrixCell, Suite } from "./model.js";
import type { InterfaceTraffic } from "./traffic.js";

export type Verdict = "pass" | "fail" | "error" | "inconclusive";

/** One fault window a test ran under (inline fault(), fault_scenario or a fault_matrix cell). */
export interface FaultWindowRecord {
  assumption: string;
  /** `svc.iface` for proxy rules, the service for syscall rules; absent for an assumption with neither. */
  target?: string;
  /**
   * Each rule as written, how often traffic matched it (requests, syscalls) and how often it acted
   * (fired) while the window was open. A rule fires on a subset of its matches (probability=,
   * max_fires=, times=/after=). `matched` is absent where the proxy of a protocol does not count matches.
   */
  rules: { rule: string; matched?: number; fired: number }[];
  /** Sums over the rules; fired 0 means the window's faults never fired. */
  matched?: number;
  fired: number;
  /** When the window opened and closed (ISO 8601), for timelines. */
  openedAt?: string;
  closedAt?: string;
}

/** The moment a test failed: when its failing assertion (or error) was raised. */
export interface FailureMoment {
  /** ISO 8601. */
  time: string;
  /** Events logged by then: the failure comes after event #afterSeq. */
  afterSeq: number;
}

export interface TestResult {
  name: string;
  result: Verdict;
  reason?: string;
  failureType?: "assertion" | "timeout" | "service_start" | "service_exited" | "monitor" | "error";
  /** Spec line of the failing assertion. */
  location?: SourceLocation;
  seed: string;
  durationMs: number;
  returnValue?: string;
  assertions: number;
  warnings: string[];
  events: Event[];
  matrix?: MatrixCell;
  faults: string[];
  /** Every fault window opened during the test, in order, with per-rule firing counts. */
  faultWindows?: FaultWindowRecord[];
  expectationViolated?: boolean;
  /** Last output lines of a service that failed to start. */
  serviceOutput?: { service: string; lines: string[] };
  runs?: { total: number; passed: number };
  /** Lanes: how long the test, its services up, waited for a body slot (not part of durationMs). */
  queuedMs?: number;
  /** When the test started (ISO 8601). */
  startedAt?: string;
  failedAt?: FailureMoment;
  /** Requests each proxy relayed during the test (latency and throughput plots). */
  traffic?: InterfaceTraffic[];
}

export interface SuiteResult {
  file: string;
  seed: string;
  durationMs: number;
  pass: number;
  fail: number;
  inconclusive: number;
  tests: TestResult[];
  matrix?: { scenarios: string[]; faults: string[]; excluded: MatrixCell[] };
  warnings: string[];
  /** Tests not run because the run was interrupted. */
  notRun: string[];
  /** Set when tests ran in lanes (--parallel, --pool): how, and the time it saved. */
  lanes?: LaneSummary;
  /** Set with --shard: which share of how many tests this run was. */
  shard?: { index: number; count: number; selected: number };
}

export interface LaneSummary {
  /** Lanes, each with its own copy of every service, proxy and Starlark worker. */
  lanes: number;
  /** Test bodies that ran at once (--parallel). */
  parallel: number;
  /** Whether lanes beyond the running bodies start the next tests' services ahead (--pool). */
  pool: boolean;
  /** The tests' own durations added up: about what a serial run takes. */
  testsMs: number;
  /** testsMs minus the run's wall time: what running in lanes saved. */
  savedMs: number;
}

export function exitCode(r: SuiteResult): number {
  if (r.fail > 0) return 2;
  if (r.inconclusive > 0 || r.notRun.length > 0) return 3;
  return 0;
}

/**
 * The fault_assumption()s the spec declared while loading that no test of a run applied: a fault that
 * was declared but never tested must not go unnoticed. An assumption counts as applied when a window
 * of it, or of one holding it in faults=, opened in some test. Meaningful only for a run of every test
 * (no --test, no --shard, not interrupted).
 */
export function unappliedAssumptions(suite: Suite, result: SuiteResult): FaultAssumption[] {
  const opened = new Set(result.tests.flatMap((t) => (t.faultWindows ?? []).map((w) => w.assumption)));
  const applied = new Set<FaultAssumption>();
  const mark = (a: FaultAssumption): void => {
    if (applied.has(a)) return;
    applied.add(a);
    a.children.forEach(mark);
  };
  for (const a of suite.assumptions ?? []) if (opened.has(a.name)) mark(a);
  return (suite.assumptions ?? []).filter((a) => !applied.has(a));
}
