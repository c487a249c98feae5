// A self-contained HTML report (`faultbox test --html FILE`): the verdict per test and per matrix cell,
// the fault windows with their firing counts, diagnostics, and each test's event timeline. Built from the
// JSON document (toJson), so the two reports never disagree. No external assets: it opens offline and can
// be attached to a CI run as one file.
import type { SuiteResult } from "../core/results.js";
import type { JsonDoc, JsonTest } from "./doc.js";
import { toJson } from "./json.js";

/** The document types, where merge.ts and others have found them. */
export type { JsonDoc, JsonTest } from "./doc.js";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const VERDICT_CLASS: Record<string, string> = {
  pass: "pass",
  fail: "fail",
  error: "fail",
  inconclusive: "warn",
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** An id usable in a fragment link for a test name. */
const anchor = (name: string) => "t-" + name.replace(/[^A-Za-z0-9_-]/g, "_");

function matrixTable(doc: JsonDoc): string {
  const m = doc.matrix;
  if (!m) return "";
  const cell = (scenario: string, fault: string) =>
    m.cells.find((c) => c.scenario === scenario && c.fault === fault);
  const head = `<tr><th>scenario \\ fault</th>${m.faults.map((f) => `<th>${escapeHtml(f)}</th>`).join("")}</tr>`;
  const rows = m.scenarios.map((s) => {
    const tds = m.faults.map((f) => {
      const c = cell(s, f);
      if (!c) return `<td class="skip">excluded</td>`;
      const cls = c.passed ? "pass" : "fail";
      const title = c.reason ? ` title="${escapeHtml(c.reason)}"` : "";
      return `<td class="${cls}"${title}>${c.passed ? "PASS" : escapeHtml(c.outcome.replace(/_/g, " ").toUpperCase())}</td>`;
    });
    return `<tr><th>${escapeHtml(s)}</th>${tds.join("")}</tr>`;
  });
  return `<section><h2>Matrix</h2><table class="matrix">${head}${rows.join("")}</table></section>`;
}

function faultWindows(t: JsonTest): string {
  if (!t.fault_windows?.length) return "";
  const rows = t.fault_windows.flatMap((w) =>
    w.rules.map(
      (r, i) =>
        `<tr>${i === 0 ? `<td rowspan="${w.rules.length}">${escapeHtml(w.assumption)}${w.target ? ` <span class="dim">on ${escapeHtml(w.target)}</span>` : ""}</td>` : ""}<td><code>${escapeHtml(r.rule)}</code></td><td>${r.matched ?? "—"}</td><td class="${r.fired > 0 ? "" : "warn"}">${r.fired}</td></tr>`,
    ),
  );
  return `<h4>Fault windows</h4><table><tr><th>assumption</th><th>rule</th><th title="traffic that met the rule's match criteria">matched</th><th title="matches the rule acted on (probability, max_fires, times/after decide)">fired</th></tr>${rows.join("")}</table>`;
}

function events(t: JsonTest): string {
  if (!t.events?.length) return "";
  const start = Date.parse(t.events[0]!.timestamp);
  const types = [...new Set(t.events.map((e) => e.type))].sort();
  const rows = t.events.map((e) => {
    const at = Date.parse(e.timestamp) - start;
    const data = e.data && Object.keys(e.data).length ? JSON.stringify(e.data) : "";
    return `<tr data-type="${escapeHtml(e.type)}"><td>${e.seq}</td><td>+${Number.isFinite(at) ? at : "?"} ms</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.service ?? "")}</td><td><code>${escapeHtml(data)}</code></td></tr>`;
  });
  const filter = `<label>type <select class="evfilter"><option value="">all (${t.events.length})</option>${types.map((ty) => `<option>${escapeHtml(ty)}</option>`).join("")}</select></label>`;
  return `<details><summary>Events (${t.events.length})</summary>${filter}<table class="events"><tr><th>#</th><th>time</th><th>type</th><th>service</th><th>data</th></tr>${rows.join("")}</table></details>`;
}

function testSection(t: JsonTest): string {
  const cls = VERDICT_CLASS[t.result] ?? "warn";
  const parts = [
    `<h3><span class="badge ${cls}">${escapeHtml(t.result.toUpperCase())}</span> ${escapeHtml(t.name)} <span class="dim">${seconds(t.duration_ms)} · seed ${escapeHtml(t.seed)} · ${t.assertions} assertion(s)</span></h3>`,
  ];
  if (t.reason) parts.push(`<pre class="reason">${escapeHtml(t.reason)}</pre>`);
  const facts: string[] = [];
  if (t.failure_type && t.result !== "pass") facts.push(`failure type: ${escapeHtml(t.failure_type)}`);
  if (t.expectation_violated) facts.push("the fault's expectation was violated");
  if (t.location) facts.push(`at ${escapeHtml(t.location.file)}:${t.location.line}`);
  if (t.runs) facts.push(`${t.runs.passed}/${t.runs.total} runs passed`);
  if (t.faults?.length) facts.push(`faults: ${t.faults.map(escapeHtml).join(", ")}`);
  if (facts.length) parts.push(`<p>${facts.join(" · ")}</p>`);
  if (t.replay_command) parts.push(`<p>replay: <code>${escapeHtml(t.replay_command)}</code></p>`);
  for (const d of t.diagnostics ?? [])
    parts.push(`<p class="warn">${escapeHtml(d.code)}: ${escapeHtml(d.message)}</p>`);
  parts.push(faultWindows(t));
  if (t.service_output)
    parts.push(
      `<h4>Last output of ${escapeHtml(t.service_output.service)}</h4><pre>${escapeHtml(t.service_output.lines.join("\n"))}</pre>`,
    );
  parts.push(events(t));
  return `<section class="test" id="${anchor(t.name)}">${parts.join("\n")}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.4em}h3{font-size:1.05em;margin:.2em 0}h4{margin:.8em 0 .3em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.warn{background:#fef7e0}.skip{color:#888}
.badge{padding:.05em .45em;border-radius:3px;font-size:.85em}.badge.pass{background:#1e8e3e;color:#fff}
.badge.fail{background:#d93025;color:#fff}.badge.warn{background:#f9ab00;color:#000}
.dim{color:#777;font-weight:normal;font-size:.9em}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.test{border-top:1px solid #ddd;padding:.8em 0}.events code{font-size:.85em;word-break:break-all}
.summary td{padding:.2em 1em}`;

// Filters a test's event table by type; the report works without it (all rows shown).
const SCRIPT = `document.querySelectorAll("select.evfilter").forEach(function(s){s.addEventListener("change",function(){
var t=s.closest("details").querySelector("table.events");t.querySelectorAll("tr[data-type]").forEach(function(r){
r.style.display=!s.value||r.getAttribute("data-type")===s.value?"":"none";});});});`;

export function toHtml(r: SuiteResult, cwd = process.cwd()): string {
  return htmlFromDoc(toJson(r, cwd) as JsonDoc);
}

/** The page for a JSON result document (a saved one, or shards merged by `faultbox merge-reports`). */
export function htmlFromDoc(doc: JsonDoc): string {
  const verdict =
    doc.fail > 0 ? "fail" : (doc.inconclusive ?? 0) > 0 || doc.not_run?.length ? "warn" : "pass";
  const index = doc.tests
    .map(
      (t) =>
        `<tr class="${VERDICT_CLASS[t.result] ?? "warn"}"><td><a href="#${anchor(t.name)}">${escapeHtml(t.name)}</a></td><td>${escapeHtml(t.result)}</td><td>${seconds(t.duration_ms)}</td><td>${escapeHtml((t.reason ?? "").split("\n")[0]!)}</td></tr>`,
    )
    .join("");
  const body = [
    `<h1>faultbox: ${escapeHtml(doc.star_file)}</h1>`,
    `<table class="summary"><tr class="${verdict}"><td><b>${doc.pass}</b> passed</td><td><b>${doc.fail}</b> failed</td>${doc.inconclusive ? `<td><b>${doc.inconclusive}</b> inconclusive</td>` : ""}${doc.not_run?.length ? `<td><b>${doc.not_run.length}</b> not run</td>` : ""}<td>seed ${escapeHtml(doc.seed)}</td><td>${seconds(doc.duration_ms)}</td></tr></table>`,
    ...(doc.warnings ?? []).map((w) => `<p class="warn">${escapeHtml(w)}</p>`),
    doc.not_run?.length
      ? `<p class="warn">not run (interrupted): ${doc.not_run.map(escapeHtml).join(", ")}</p>`
      : "",
    matrixTable(doc),
    `<section><h2>Tests</h2><table><tr><th>test</th><th>result</th><th>time</th><th>reason</th></tr>${index}</table></section>`,
    ...doc.tests.map(testSection),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultbox: ${escapeHtml(doc.star_file)} (${doc.pass} passed, ${doc.fail} failed)</title>
<style>${STYLE}</style></head>
<body>
${body.filter(Boolean).join("\n")}
<script>${SCRIPT}</script>
</body></html>
`;
}
