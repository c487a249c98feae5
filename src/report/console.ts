// Human output: live progress per test, failure details (spec line, last events), a test x fault matrix,
// and the summary line.
import { relative } from "node:path";
import { locationText } from "../core/errors.js";
import type { Event } from "../core/events.js";
import type { LaneSummary, SuiteResult, TestResult } from "../core/results.js";
import { NO_ASSERTIONS, replayCommand } from "./replay.js";

export interface ConsoleReporter {
  testStart(name: string, index: number, total: number): void;
  testEnd(r: TestResult): void;
  warning(message: string): void;
  summary(r: SuiteResult): void;
}

const LABEL: Record<string, string> = {
  pass: "PASS",
  fail: "FAIL",
  error: "ERROR",
  inconclusive: "INCONCLUSIVE",
};

function formatEvent(e: Event): string {
  const data = JSON.stringify(e.data);
  return `#${e.seq} ${e.type.padEnd(14)} ${(e.service || "-").padEnd(10)} ${data.length > 160 ? data.slice(0, 160) + "…" : data}`;
}

export function consoleReporter(
  write: (s: string) => void,
  specFile: string,
  cwd = process.cwd(),
): ConsoleReporter {
  const file = relative(cwd, specFile) || specFile;
  return {
    testStart(name, index, total) {
      write(`=== RUN   ${name} (${index + 1}/${total})\n`);
    },
    testEnd(t) {
      const runs = t.runs ? `, ${t.runs.passed}/${t.runs.total} runs` : "";
      write(`--- ${LABEL[t.result]}: ${t.name} (${t.durationMs}ms, seed=${t.seed}${runs}) ---\n`);
      if (t.result !== "pass") {
        if (t.reason) write(`  reason: ${t.reason}\n`);
        if (t.location) write(`  at: ${locationText(t.location, cwd)}\n`);
        if (t.serviceOutput && t.serviceOutput.lines.length) {
          write(`  last output of ${t.serviceOutput.service}:\n`);
          for (const l of t.serviceOutput.lines) write(`    | ${l}\n`);
        }
        const last = t.events.slice(-8);
        if (last.length) {
          write(`  last events:\n`);
          for (const e of last) write(`    ${formatEvent(e)}\n`);
        }
        write(`  replay: ${replayCommand(file, t)}\n`);
      }
      for (const w of t.warnings) write(`  WARNING: ${w}\n`);
      if (t.result === "pass" && t.assertions === 0) write(`  WARNING: ${t.name} ${NO_ASSERTIONS}\n`);
    },
    warning(message) {
      write(`WARNING: ${message}\n`);
    },
    summary(r) {
      const cells = r.tests.filter((t) => t.matrix);
      if (r.tests.length) write("\n" + summaryTable(r.tests) + "\n");
      if (r.matrix && cells.length) write("\n" + matrixTable(r, cells) + "\n");
      write(`\nSeed: ${r.seed}\n`);
      const parts = [`${r.pass} passed`, `${r.fail} failed`];
      if (r.inconclusive) parts.push(`${r.inconclusive} inconclusive`);
      if (r.notRun.length) parts.push(`${r.notRun.length} not run (interrupted)`);
      write(`${parts.join(", ")} (${r.durationMs}ms)\n`);
      for (const w of r.warnings) write(`WARNING: ${w}\n`);
    },
  };
}

/**
 * The faults a test ran under, each with how often its rules acted and, where that differs, how often
 * traffic matched them: `message_loss (fired 3)`, `disk (fired 2 of 16 matched)`, `disk (not fired,
 * 16 matched)`, `audit_loss (not fired)`. A fault named without a window record (none opened) is bare.
 */
function faultsCell(t: TestResult): string {
  if (!t.faults.length && !t.faultWindows?.length) return "—";
  const counts = new Map<string, { fired: number; matched?: number }>();
  for (const w of t.faultWindows ?? []) {
    const c = counts.get(w.assumption);
    counts.set(w.assumption, {
      fired: (c?.fired ?? 0) + w.fired,
      matched:
        (c && c.matched === undefined) || w.matched === undefined ? undefined : (c?.matched ?? 0) + w.matched,
    });
  }
  const names = [...new Set([...t.faults, ...counts.keys()])];
  return names
    .map((n) => {
      const c = counts.get(n);
      if (!c) return n;
      const more = c.matched !== undefined && c.matched > c.fired;
      if (c.fired > 0)
        return more ? `${n} (fired ${c.fired} of ${c.matched} matched)` : `${n} (fired ${c.fired})`;
      return more ? `${n} (not fired, ${c.matched} matched)` : `${n} (not fired)`;
    })
    .join(", ");
}

/** One row per test: the faults it ran under, its verdict and, when it did not pass, why. */
export function summaryTable(tests: TestResult[]): string {
  const rows = tests.map((t) => [
    t.name,
    faultsCell(t),
    LABEL[t.result]!,
    t.result === "pass" ? "" : (t.reason ?? "").split("\n")[0]!.slice(0, 100),
  ]);
  const header = ["test", "faults", "result", "reason"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return ["Summary:", line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Test x fault grid: PASS/FAIL per cell, then the reason for each failed cell. */
export function matrixTable(r: SuiteResult, cells: TestResult[]): string {
  const m = r.matrix!;
  const cell = (s: string, f: string) => {
    if (m.excluded.some((x) => x.scenario === s && x.fault === f)) return "— (excluded)";
    const t = cells.find((c) => c.matrix!.scenario === s && c.matrix!.fault === f);
    if (!t) return "(not run)";
    return t.result === "pass" ? `PASS (${t.durationMs}ms)` : LABEL[t.result]!;
  };
  const header = ["", ...m.faults];
  const rows = m.scenarios.map((s) => [s, ...m.faults.map((f) => cell(s, f))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cols: string[]) => "│ " + cols.map((c, i) => c.padEnd(widths[i]!)).join(" │ ") + " │";
  const rule = (l: string, mid: string, r2: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(mid) + r2;
  const out = [
    `Fault Matrix: ${m.scenarios.length} scenarios × ${m.faults.length} faults = ${cells.length} cells`,
    rule("┌", "┬", "┐"),
    line(header),
    rule("├", "┼", "┤"),
    ...rows.map(line),
    rule("└", "┴", "┘"),
  ];
  const passed = cells.filter((c) => c.result === "pass").length;
  out.push(
    `Result: ${passed}/${cells.length} passed${passed < cells.length ? `, ${cells.length - passed} failed` : ""}`,
  );
  const failed = cells.filter((c) => c.result !== "pass");
  if (failed.length) {
    out.push("Failures:");
    for (const c of failed) out.push(`  ${c.matrix!.scenario} × ${c.matrix!.fault}: ${c.reason ?? c.result}`);
  }
  return out.join("\n");
}

/** How a run in lanes went: "pool: 2 lanes, 1 test at a time: the tests took 82.1 s together, ..." */
export function lanesLine(l: LaneSummary, wallMs: number): string {
  const how = l.pool ? (l.parallel > 1 ? `parallel ${l.parallel} + pool` : "pool") : `parallel ${l.parallel}`;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `${how}: ${l.lanes} lanes, ${l.parallel} test${l.parallel > 1 ? "s" : ""} at a time; the tests took ${s(l.testsMs)} together, the run ${s(wallMs)}: ${s(l.savedMs)} saved`;
}
