// A node:test reporter for scripts/test.mjs: the run's totals (the runner's closing "pass N", "fail N",
// ... diagnostics) and, per test file, the durations of its top-level tests and suites added up, written
// as one JSON object {totals, files} when the run ends. The runner adds up its lanes' totals for the
// last line and prints the slowest files, which are what decide the run's wall time.
export default async function* testTotals(source) {
  const totals = {};
  const files = {};
  for await (const event of source) {
    if (event.type === "test:diagnostic" && event.data.nesting === 0) {
      const m = /^(tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(event.data.message);
      if (m) totals[m[1]] = Number(m[2]);
    } else if (event.type === "test:pass" || event.type === "test:fail") {
      const { file, nesting, details } = event.data;
      if (nesting !== 0 || !file || typeof details?.duration_ms !== "number") continue;
      files[file] = (files[file] ?? 0) + details.duration_ms;
    }
  }
  yield JSON.stringify({ totals, files });
}
