// The history check inside a running test: settle the observers until they have read every partition to
// its high watermark, extract the history from the log, check it, and record the full verdict as a
// `history_check` event (so `--format json` carries every anomaly, not only the examples).
import { SpecError, type SourceLocation } from "../errors.js";
import type { MonitorDef } from "../model.js";
import type { TestRun } from "../run.js";
import { checkHistory } from "./check.js";
import { historyFromEvents } from "./extract.js";
import { describeCounts, describeFailures, describeVerdict } from "./summary.js";
import { ANOMALY_KINDS, type AnomalyKind, type HistoryVerdict } from "./types.js";

export interface HistoryCheckOptions {
  /** Topics to check (`*` globs); default every topic the history names. */
  topics?: string[];
  /** Payload field identifying a record; default key and value. */
  id?: string;
  /** Anomaly kinds reported but not failing. */
  allow?: string[];
  /** How long to wait for observers that cannot reach the brokers (a leader election). Default 60 s. */
  settleTimeoutMs?: number;
}

const RETRY_MS = 500;

export function validAllow(caller: string, allow: string[] = []): AnomalyKind[] {
  for (const a of allow) {
    if (!(ANOMALY_KINDS as readonly string[]).includes(a))
      throw new SpecError(`${caller}: unknown anomaly "${a}" in allow=; valid: ${ANOMALY_KINDS.join(", ")}`);
  }
  return allow as AnomalyKind[];
}

/** Drains the observers until every one of them reached its source's end, or the time is up. */
async function settleFully(run: TestRun, caller: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await run.settle();
    const failing = run.observers
      .map((o) => [o, o.lastDrainError?.()] as const)
      .filter(([, err]) => err !== undefined);
    if (failing.length === 0) return;
    if (Date.now() >= deadline || run.abort.signal.aborted) {
      const [o, err] = failing[0]!;
      throw new Error(
        `${caller}: ${o.name} could not read the broker to its high watermark within ${Math.round(timeoutMs / 1000)} s (${err}); what the brokers stored is unknown, so the history cannot be checked`,
      );
    }
    await new Promise((r) => setTimeout(r, RETRY_MS));
  }
}

export async function runHistoryCheck(
  run: TestRun,
  options: HistoryCheckOptions,
  caller = "check_history()",
): Promise<HistoryVerdict> {
  const allow = validAllow(caller, options.allow);
  await settleFully(run, caller, options.settleTimeoutMs ?? 60_000);
  const observedTopics = [...new Set(run.observers.flatMap((o) => (o.topic ? [o.topic] : [])))];
  const { history, problems } = historyFromEvents(run.log.all(), {
    observedTopics,
    ...(options.topics ? { topics: options.topics } : {}),
    ...(options.id ? { id: options.id } : {}),
  });
  if (problems.length) {
    const shown = problems.slice(0, 5).join("; ");
    throw new SpecError(
      `${caller}: ${problems.length} history event${problems.length === 1 ? "" : "s"} cannot be used: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""} (docs/history.md lists the fields)`,
      { code: "SPEC_RUNTIME" },
    );
  }
  const verdict = checkHistory(history, { allow });
  if (verdict.unobserved.length) {
    const t = verdict.unobserved[0]!;
    throw new SpecError(
      `${caller}: topic "${t}" has sends or reads but no topic() observer, so what the broker stored there is unknown; declare observe=[topic("${t}")] on the Kafka service${verdict.unobserved.length > 1 ? ` (also: ${verdict.unobserved.slice(1).join(", ")})` : ""}`,
      { code: "SPEC_RUNTIME" },
    );
  }
  if (history.sends.length === 0 && history.reads.length === 0) {
    run.warn(
      `${caller} found no sends and no reads${options.topics ? ` on ${options.topics.join(", ")}` : ""}: the check is vacuous`,
    );
  }
  run.log.append("history_check", "test", {
    check: caller,
    ok: verdict.ok,
    summary: describeVerdict(verdict),
    topics: verdict.topics,
    counts: verdict.counts,
    allowed: verdict.allowed,
    anomalies: verdict.anomalies,
  });
  return verdict;
}

/** The assertion message for a failing verdict (undefined when it passes). */
export function historyFailure(verdict: HistoryVerdict, caller = "assert_history"): string | undefined {
  if (verdict.ok) return undefined;
  return `${caller}: ${describeFailures(verdict)} (${describeCounts(verdict)})`;
}

/**
 * The verdict as a spec sees it: ok, the summary, counts, the number of each anomaly and the first
 * examples of each (the full lists are in the history_check event).
 */
export function verdictForSpec(v: HistoryVerdict, examples = 10): Record<string, unknown> {
  return {
    ok: v.ok,
    summary: describeVerdict(v),
    failures: v.ok ? "" : describeFailures(v),
    topics: v.topics,
    ...v.counts,
    ...Object.fromEntries(ANOMALY_KINDS.map((k) => [k, v.anomalies[k].length])),
    examples: Object.fromEntries(
      ANOMALY_KINDS.map((k) => [
        k,
        v.anomalies[k].slice(0, examples).map((e) => ({
          topic: e.topic,
          key: e.key,
          ...(e.partition !== undefined ? { partition: e.partition } : {}),
          ...(e.offset !== undefined ? { offset: e.offset } : {}),
          detail: e.detail,
        })),
      ]),
    ),
  };
}

/**
 * history_monitor(): a final monitor that runs the check when its verdict is due (validates allow= now,
 * when the spec declares it).
 */
export function historyMonitorDef(
  currentRun: () => TestRun,
  options: HistoryCheckOptions,
  caller: string,
  location?: SourceLocation,
): MonitorDef {
  validAllow(caller, options.allow);
  return {
    kind: "monitor",
    form: "final",
    name: "history_monitor",
    check: async () =>
      historyFailure(await runHistoryCheck(currentRun(), options, caller), "history_monitor"),
    ...(location ? { location } : {}),
  };
}
