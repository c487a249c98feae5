// The JSON result (reference §11.3 shape; events carry `data` as a dict rather than string fields).
import { relative } from "node:path";
import type { SuiteResult, TestResult } from "../core/results.js";
import { NO_ASSERTIONS, replayCommand } from "./replay.js";
import type { InterfaceTraffic } from "../core/traffic.js";

function diagnostics(t: TestResult): object {
  const out = t.warnings.map((w) => ({
    level: "warning",
    code: w.includes("never fired")
      ? "FAULT_NOT_FIRED"
      : w.includes("vacuous")
        ? "VACUOUS_ASSERTION"
        : "WARNING",
    message: w,
  }));
  if (t.result === "pass" && t.assertions === 0) {
    out.push({
      level: "warning",
      code: "TEST_NO_ASSERTIONS",
      message: `the test ${NO_ASSERTIONS}`,
    });
  }
  return out.length ? { diagnostics: out } : {};
}

/** Column by column (one index per request), times in ms from the test's start: compact for 20,000 rows. */
function trafficJson(t: InterfaceTraffic, startedAt: string): object {
  const origin = Date.parse(startedAt);
  const apis: string[] = [];
  const apiIndex = new Map<string, number>();
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const api = t.samples.map((s) => {
    let i = apiIndex.get(s.api);
    if (i === undefined) apiIndex.set(s.api, (i = apis.push(s.api) - 1));
    return i;
  });
  return {
    service: t.service,
    interface: t.iface,
    protocol: t.protocol,
    apis,
    t: t.samples.map((s) => round(s.startedAt - origin)),
    latency_ms: t.samples.map((s) => (s.latencyMs < 0 ? -1 : round(s.latencyMs))),
    api,
    ...(t.samples.some((s) => s.detail) ? { detail: t.samples.map((s) => s.detail ?? "") } : {}),
    ...(t.unlisted ? { unlisted: t.unlisted } : {}),
  };
}

export function toJson(r: SuiteResult, cwd = process.cwd()): object {
  const file = relative(cwd, r.file) || r.file;
  const cells = r.tests
    .filter((t) => t.matrix)
    .map((t) => ({
      scenario: t.matrix!.scenario,
      fault: t.matrix!.fault,
      passed: t.result === "pass",
      outcome:
        t.result === "pass"
          ? "passed"
          : t.expectationViolated
            ? "expectation_violated"
            : t.result === "error"
              ? "errored"
              : "failed",
      duration_ms: t.durationMs,
      ...(t.reason ? { reason: t.reason } : {}),
    }));
  return {
    version: 2,
    star_file: file,
    seed: r.seed,
    duration_ms: r.durationMs,
    pass: r.pass,
    fail: r.fail,
    ...(r.inconclusive ? { inconclusive: r.inconclusive } : {}),
    ...(r.notRun.length ? { not_run: r.notRun } : {}),
    ...(r.warnings.length ? { warnings: r.warnings } : {}),
    ...(r.shard ? { shard: r.shard } : {}),
    ...(r.lanes
      ? {
          lanes: {
            lanes: r.lanes.lanes,
            parallel: r.lanes.parallel,
            pool: r.lanes.pool,
            tests_ms: r.lanes.testsMs,
            saved_ms: r.lanes.savedMs,
          },
        }
      : {}),
    tests: r.tests.map((t) => ({
      name: t.name,
      result: t.result,
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.failureType && t.result !== "pass" ? { failure_type: t.failureType } : {}),
      seed: t.seed,
      duration_ms: t.durationMs,
      ...(t.returnValue !== undefined ? { return_value: t.returnValue } : {}),
      ...(t.result === "fail" || t.result === "error" ? { replay_command: replayCommand(file, t) } : {}),
      ...(t.expectationViolated ? { expectation_violated: true } : {}),
      ...(t.location
        ? { location: { file: relative(cwd, t.location.file) || t.location.file, line: t.location.line } }
        : {}),
      ...(t.faults.length ? { faults: t.faults } : {}),
      ...(t.faultWindows?.length
        ? {
            fault_windows: t.faultWindows.map((w) => ({
              assumption: w.assumption,
              ...(w.target ? { target: w.target } : {}),
              rules: w.rules,
              ...(w.matched !== undefined ? { matched: w.matched } : {}),
              fired: w.fired,
              ...(w.openedAt ? { opened_at: w.openedAt, closed_at: w.closedAt } : {}),
            })),
          }
        : {}),
      ...(t.runs ? { runs: t.runs } : {}),
      ...(t.startedAt ? { started_at: t.startedAt } : {}),
      ...(t.failedAt ? { failed_at: { timestamp: t.failedAt.time, after_seq: t.failedAt.afterSeq } } : {}),
      ...(t.traffic?.length && t.startedAt
        ? { traffic: t.traffic.map((x) => trafficJson(x, t.startedAt!)) }
        : {}),
      ...(t.serviceOutput ? { service_output: t.serviceOutput } : {}),
      assertions: t.assertions,
      ...diagnostics(t),
      events: t.events.length
        ? t.events.map((e) => ({
            seq: e.seq,
            timestamp: e.time,
            type: e.type,
            service: e.service,
            data: e.data,
          }))
        : null,
    })),
    ...(r.matrix
      ? {
          matrix: {
            scenarios: r.matrix.scenarios,
            faults: r.matrix.faults,
            cells,
            ...(r.matrix.excluded.length ? { excluded: r.matrix.excluded } : {}),
            total: cells.length,
            passed: cells.filter((c) => c.passed).length,
            failed: cells.filter((c) => !c.passed).length,
          },
        }
      : {}),
  };
}
