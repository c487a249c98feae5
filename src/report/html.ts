// A self-contained HTML report (`faultbox test --html FILE`): the verdict per test and per matrix cell,
// and per test a timeline (a lane per service and the test driver, events as marks, steps, requests and
// topic records as arrows, fault windows as bands with their firings, the failure pinned at its
// moment), latency and throughput plots per proxied interface, a history checker's counts, the fault
// windows with their firing counts, diagnostics and the events. Built from the JSON document (toJson),
// so the two reports never disagree. No external assets, and a Content-Security-Policy that forbids
// any network access and any script but the report's own: it opens offline and can be attached to a
// CI run as one file.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { packageFile } from "../core/package-files.js";
import type { SuiteResult } from "../core/results.js";
import type { JsonDoc, JsonHistoryCheck, JsonTest } from "./doc.js";
import { toJson } from "./json.js";
import { buildTimeline } from "./timeline.js";

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

/** A unique id for the i-th test, usable in a fragment link and a CSS selector. */
const anchor = (name: string, i: number) => `t${i}-` + name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);

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

function events(t: JsonTest, id: string, origin: number): string {
  if (!t.events?.length) return "";
  const types = [...new Set(t.events.map((e) => e.type))].sort();
  const rows = t.events.map((e, i) => {
    const at = Date.parse(e.timestamp) - origin;
    const data = e.data && Object.keys(e.data).length ? JSON.stringify(e.data) : "";
    return `<tr id="${id}-ev-${e.seq}" data-index="${i}" data-type="${escapeHtml(e.type)}"><td>${e.seq}</td><td>+${Number.isFinite(at) ? at : "?"} ms</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.service ?? "")}</td><td><code>${escapeHtml(data)}</code></td></tr>`;
  });
  const filter = `<label>type <select class="evfilter"><option value="">all (${t.events.length})</option>${types.map((ty) => `<option>${escapeHtml(ty)}</option>`).join("")}</select></label>`;
  return `<details class="events-box"><summary>Events (${t.events.length})</summary>${filter}<table class="events"><tr><th>#</th><th>time</th><th>type</th><th>service</th><th>data</th></tr>${rows.join("")}</table></details>`;
}

/**
 * Each history check of the test (its `history_check` events): the verdict, what was sent, stored and
 * read, and every anomaly kind as a bar (red when found and not allowed), then examples; an example's
 * click selects the events that show it on the timeline.
 */
function history(t: JsonTest, id: string): string {
  return (t.events ?? [])
    .filter((e) => e.type === "history_check")
    .map((e) => {
      const h = (e.data ?? {}) as JsonHistoryCheck;
      const anomalies = h.anomalies ?? {};
      const allowed = new Set(h.allowed ?? []);
      const counts = Object.entries(h.counts ?? {})
        .map(([k, n]) => `<span class="${n ? "" : "dim"}">${escapeHtml(k)} <b>${n}</b></span>`)
        .join(" · ");
      const kinds = Object.entries(anomalies);
      const max = Math.max(1, ...kinds.map(([, list]) => list.length));
      const verdict = `<span class="badge ${h.ok ? "pass" : "fail"}">${h.ok ? "OK" : "VIOLATION"}</span>`;
      const bars = kinds
        .map(([k, list]) => {
          const n = list.length;
          const cls = n === 0 ? "none" : allowed.has(k) ? "allowed" : "bad";
          return `<tr class="hist-${cls}"><th>${escapeHtml(k)}${allowed.has(k) ? " (allowed)" : ""}</th><td class="num">${n}</td><td class="bar"><span style="width:${((n / max) * 100).toFixed(1)}%"></span></td></tr>`;
        })
        .join("");
      const examples = Object.entries(anomalies)
        .flatMap(([kind, list]) => list.slice(0, 5).map((x) => ({ kind, ...x })))
        .slice(0, 30)
        .map(
          (x) =>
            `<li${x.events?.length ? ` class="hist-example" data-test="${id}" data-seq="${x.events[0]}"` : ""}><b>${escapeHtml(x.kind)}</b>: ${x.key !== undefined ? `key ${escapeHtml(JSON.stringify(x.key))} ` : ""}${x.topic !== undefined ? `at ${escapeHtml(x.topic)}${x.partition !== undefined ? `/${x.partition}` : ""}${x.offset !== undefined ? ` offset ${x.offset}` : ""}` : ""}: ${escapeHtml(x.detail ?? "")}${x.events?.length ? ` <span class="dim">(event${x.events.length > 1 ? "s" : ""} #${x.events.join(", #")})</span>` : ""}</li>`,
        )
        .join("");
      return `<div class="history"><h4>${verdict} History check <code>${escapeHtml(h.check ?? "")}</code>${h.topics?.length ? ` <span class="dim">on ${h.topics.map(escapeHtml).join(", ")}</span>` : ""}</h4><p class="hist-counts">${counts}</p><table class="hist">${bars}</table>${examples ? `<ul>${examples}</ul>` : ""}</div>`;
    })
    .join("");
}

function testSection(t: JsonTest, id: string, origin: number): string {
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
  if (t.events?.length)
    parts.push(
      `<div class="timeline" id="${id}-timeline"><noscript><p class="dim">The timeline needs JavaScript; the events are listed below.</p></noscript></div>`,
    );
  parts.push(history(t, id));
  parts.push(faultWindows(t));
  if (t.service_output)
    parts.push(
      `<h4>Last output of ${escapeHtml(t.service_output.service)}</h4><pre>${escapeHtml(t.service_output.lines.join("\n"))}</pre>`,
    );
  parts.push(events(t, id, origin));
  return `<section class="test" id="${id}">${parts.join("\n")}</section>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1280px;padding:0 1em;color:#222}
h1{font-size:1.4em}h3{font-size:1.05em;margin:.2em 0}h4{margin:.8em 0 .3em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.warn{background:#fef7e0}.skip{color:#888}
.badge{padding:.05em .45em;border-radius:3px;font-size:.85em}.badge.pass{background:#1e8e3e;color:#fff}
.badge.fail{background:#d93025;color:#fff}.badge.warn{background:#f9ab00;color:#000}
.dim,.fb-dim{color:#777;font-weight:normal;font-size:.9em}pre{background:#f6f6f6;padding:.5em;overflow-x:auto;white-space:pre-wrap}
.test{border-top:1px solid #ddd;padding:.8em 0}.events code{font-size:.85em;word-break:break-all}
.summary td{padding:.2em 1em}.events tr[data-index]{cursor:pointer}.events tr.ev-selected td{background:#fff3c4}
.timeline{margin:.6em 0;border:1px solid #e2e8f0;border-radius:6px;padding:.4em .5em;background:#fff}
.fb-bar{display:flex;gap:.8em;align-items:center;flex-wrap:wrap;margin-bottom:.3em}
.fb-zoom button{font:inherit;min-width:2.1em;margin-right:2px;padding:.05em .45em;border:1px solid #cbd5e1;background:#f8fafc;border-radius:4px;cursor:pointer}
.fb-zoom button:hover{background:#e2e8f0}.fb-hint{color:#64748b;font-size:.82em}
.fb-filters{display:flex;flex-direction:column;gap:.2em;margin-bottom:.3em}
.fb-chips{display:flex;flex-wrap:wrap;gap:.25em .5em;align-items:center;font-size:.82em}
.fb-chips-label{color:#64748b;min-width:3.5em}.fb-chip{display:inline-flex;align-items:center;gap:.25em;cursor:pointer;white-space:nowrap}
.fb-dot{display:inline-block;width:.7em;height:.7em;border-radius:50%}
.fb-canvas{overflow:hidden;user-select:none}.fb-timeline{display:block;font:12px system-ui,sans-serif}
.fb-lane{fill:#fff}.fb-lane.odd{fill:#f8fafc}.fb-lane-line{stroke:#e2e8f0}
.fb-lane-label{fill:#0f172a;font-weight:600}.fb-lane-driver{fill:#1d4ed8}.fb-lane-client{fill:#64748b;font-weight:normal;font-style:italic}
.fb-grid{stroke:#e5e7eb}.fb-axis text,.fb-tick{fill:#64748b;font-size:11px}.fb-axis-title{fill:#334155;font-weight:600;font-size:12px}.fb-dim-text{fill:#94a3b8;font-size:11px}
.fb-band-tint{fill:#f97316;fill-opacity:.08}.fb-band-lane{fill:#f97316;fill-opacity:.22;stroke:#ea580c;stroke-opacity:.5}
.fb-band{cursor:pointer}.fb-band.selected .fb-band-lane{stroke-width:2;stroke-opacity:1}.fb-band-label{fill:#c2410c;font-weight:600;font-size:11px}
.fb-span{fill:#bfdbfe;fill-opacity:.8}
.fb-arrow{stroke:#475569;stroke-width:1.4;cursor:pointer}.fb-arrow.failed{stroke:#dc2626}
.fb-arrow-record,.fb-arrow-read{stroke:#16a34a;stroke-dasharray:4 3}.fb-arrow-request,.fb-arrow-response{stroke:#94a3b8;stroke-width:1}
.fb-mark{cursor:pointer;stroke:#fff;stroke-width:1}.fb-mark:hover{stroke:#0f172a;stroke-width:2}.fb-mark.selected{stroke:#0f172a;stroke-width:2.5}
.fb-failure line,.fb-failure-line{stroke:#dc2626;stroke-width:2;stroke-dasharray:6 3;pointer-events:none}.fb-failure{cursor:pointer}
.fb-failure-label{fill:#b91c1c;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
.fb-brush{fill:#3b82f6;fill-opacity:.12;stroke:#3b82f6}
.fb-plot{margin-top:.4em;border-top:1px dashed #e2e8f0;padding-top:.3em}.fb-plot-title{font-size:.9em}
.fb-legend{margin-left:1em}.fb-legend-item{display:inline-flex;align-items:center;gap:.25em;margin-right:.7em;font-size:.85em}
.fb-plot-svg{display:block}.fb-throughput{fill:none;stroke:#2563eb;stroke-width:1.6}
.fb-detail{margin-top:.4em;padding:.4em .6em;background:#f8fafc;border-radius:4px;min-height:1.6em}
.fb-json{margin:.3em 0 0;max-height:22em;overflow:auto;font-size:.85em}
.fb-tip{position:fixed;display:none;z-index:10;max-width:min(560px,90vw);background:#0f172a;color:#f8fafc;padding:.4em .6em;border-radius:5px;font:12px/1.4 ui-monospace,monospace;white-space:pre-wrap;pointer-events:none;box-shadow:0 4px 14px rgba(0,0,0,.25)}
.fb-tip b{font-family:system-ui,sans-serif}
.history{margin:.4em 0}.hist th{font-weight:normal}.hist td.num{text-align:right;min-width:3em}.hist td.bar{width:320px}
.hist td.bar span{display:block;height:.8em;background:#93c5fd;border-radius:2px}.hist-bad td.bar span{background:#f87171}.hist-bad th{color:#b91c1c;font-weight:600}
.hist-allowed td.bar span{background:#fcd34d}.hist-none th,.hist-none td{color:#94a3b8}.hist td,.hist th{padding:.05em .5em}.hist-example{cursor:pointer}.hist-example:hover{text-decoration:underline}
.fb-anomaly{fill:none;stroke:#dc2626;stroke-width:2;pointer-events:none}`;

/** The page's script (src/report/assets/report.js): draws and drives the timelines and plots. */
const SCRIPT = readFileSync(packageFile("src/report/assets/report.js"), "utf8");
if (/<\/script/i.test(SCRIPT)) throw new Error("report.js must not contain a closing script tag");
const SCRIPT_HASH = createHash("sha256").update(SCRIPT).digest("base64");

/** JSON that can sit inside a <script> element: nothing in it can close the element or open markup. */
function scriptSafeJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function toHtml(r: SuiteResult, cwd = process.cwd()): string {
  return htmlFromDoc(toJson(r, cwd) as JsonDoc);
}

/** The page for a JSON result document (a run's, a saved --output, shards merged by `faultbox merge-reports`, a bundle's). */
export function htmlFromDoc(doc: JsonDoc): string {
  const verdict =
    doc.fail > 0 ? "fail" : (doc.inconclusive ?? 0) > 0 || doc.not_run?.length ? "warn" : "pass";
  const ids = doc.tests.map((t, i) => anchor(t.name, i));
  const index = doc.tests
    .map(
      (t, i) =>
        `<tr class="${VERDICT_CLASS[t.result] ?? "warn"}"><td><a href="#${ids[i]}">${escapeHtml(t.name)}</a></td><td>${escapeHtml(t.result)}</td><td>${seconds(t.duration_ms)}</td><td>${escapeHtml((t.reason ?? "").split("\n")[0]!)}</td></tr>`,
    )
    .join("");
  const models = doc.tests.map((t) => buildTimeline(t));
  const data = {
    tests: doc.tests
      .map((t, i) => ({
        id: ids[i],
        name: t.name,
        reason: t.reason ?? "",
        model: models[i],
        events: t.events ?? [],
        traffic: t.traffic ?? [],
      }))
      .filter((t) => t.events.length),
  };
  const body = [
    `<h1>faultbox: ${escapeHtml(doc.star_file)}</h1>`,
    `<table class="summary"><tr class="${verdict}"><td><b>${doc.pass}</b> passed</td><td><b>${doc.fail}</b> failed</td>${doc.inconclusive ? `<td><b>${doc.inconclusive}</b> inconclusive</td>` : ""}${doc.not_run?.length ? `<td><b>${doc.not_run.length}</b> not run</td>` : ""}<td>seed ${escapeHtml(doc.seed)}</td><td>${seconds(doc.duration_ms)}</td></tr></table>`,
    ...(doc.warnings ?? []).map((w) => `<p class="warn">${escapeHtml(w)}</p>`),
    doc.not_run?.length
      ? `<p class="warn">not run (interrupted): ${doc.not_run.map(escapeHtml).join(", ")}</p>`
      : "",
    matrixTable(doc),
    `<section><h2>Tests</h2><table><tr><th>test</th><th>result</th><th>time</th><th>reason</th></tr>${index}</table></section>`,
    ...doc.tests.map((t, i) => testSection(t, ids[i]!, models[i]!.origin)),
  ];
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>faultbox: ${escapeHtml(doc.star_file)} (${doc.pass} passed, ${doc.fail} failed${doc.inconclusive ? `, ${doc.inconclusive} inconclusive` : ""})</title>
<style>${STYLE}</style></head>
<body>
${body.filter(Boolean).join("\n")}
<script type="application/json" id="faultbox-data">${scriptSafeJson(data)}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
