// JUnit XML for CI dashboards: one testcase per test (matrix cells included), failures with reason and location.
// An inconclusive test (it timed out before a verdict) is an <error>, not <skipped>: the run exits 2 for
// it, and a dashboard must not show it as a test nobody ran.
import { relative } from "node:path";
import { locationText } from "../core/errors.js";
import type { SuiteResult } from "../core/results.js";
import { replayCommand } from "./replay.js";

function esc(s: string): string {
  return (
    s
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      // XML 1.0 forbids most control characters, which service output may contain.
      .replace(/[^\t\n\r\u0020-\uFFFF]/g, "")
  );
}

export function toJUnit(r: SuiteResult, cwd = process.cwd()): string {
  const file = relative(cwd, r.file) || r.file;
  const failures = r.tests.filter((t) => t.result === "fail").length;
  const errors = r.tests.filter((t) => t.result === "error" || t.result === "inconclusive").length;
  const skipped = r.notRun.length;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites tests="${r.tests.length + r.notRun.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${esc(file)}" tests="${r.tests.length + r.notRun.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `    <properties><property name="seed" value="${esc(r.seed)}"/></properties>`,
  ];
  for (const t of r.tests) {
    const open = `    <testcase name="${esc(t.name)}" classname="${esc(file)}" time="${(t.durationMs / 1000).toFixed(3)}"`;
    if (t.result === "pass") {
      lines.push(`${open}/>`);
      continue;
    }
    const tag = t.result === "fail" ? "failure" : "error";
    const where = t.location ? locationText(t.location, cwd) : "";
    const detail = [
      t.reason ?? "",
      where ? `at ${where}` : "",
      `replay: ${replayCommand(file, t)}`,
      ...(t.serviceOutput ? [`last output of ${t.serviceOutput.service}:`, ...t.serviceOutput.lines] : []),
      "last events:",
      ...t.events.slice(-8).map((e) => `#${e.seq} ${e.type} ${e.service} ${JSON.stringify(e.data)}`),
    ]
      .filter(Boolean)
      .join("\n");
    lines.push(`${open}>`);
    lines.push(
      `      <${tag} message="${esc(t.reason ?? t.result)}" type="${esc(t.failureType ?? t.result)}">${esc(detail)}</${tag}>`,
    );
    lines.push(`    </testcase>`);
  }
  for (const name of r.notRun) {
    lines.push(
      `    <testcase name="${esc(name)}" classname="${esc(file)}" time="0"><skipped message="not run (interrupted)"/></testcase>`,
    );
  }
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}
