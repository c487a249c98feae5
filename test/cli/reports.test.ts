// The report commands end to end on the quickstart spec (embedded broker, a few seconds):
// --dry-run, --normalize and `faultbox diff`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;
const quickstart = "examples/quickstart/faultbox.star";

function faultbox(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
}

test("--dry-run lists services, tests in run order and matrix cells, and starts nothing", () => {
  const r = faultbox(["test", quickstart, "--dry-run"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      "Dry run: examples/quickstart/faultbox.star loaded; nothing was started.",
      "",
      "Services (1, in start order):",
      "  bus   image faultbox/embedded-kafka; broker kafka:9092 (proxied)",
      "",
      "Tests (4, in run order):",
      "  test_matrix_publish_order_duplicates    matrix cell publish_order × duplicates",
      "  test_matrix_publish_order_message_loss  matrix cell publish_order × message_loss",
      "  test_matrix_publish_order_slow_broker   matrix cell publish_order × slow_broker",
      "  test_publish_order                      scenario",
      "",
      "Fault matrix cells: 3 to run (1 scenario(s) × 3 fault(s))",
      "  publish_order × duplicates",
      "  publish_order × message_loss",
      "  publish_order × slow_broker",
      "",
    ].join("\n"),
  );
  assert.doesNotMatch(r.stdout + r.stderr, /Seed:|=== RUN/, "nothing ran");
  // --test narrows the plan the same way it narrows a run; JSON for tools.
  const json = JSON.parse(
    faultbox(["test", quickstart, "--dry-run", "--test", "publish_order", "--format", "json"]).stdout,
  );
  assert.deepEqual(
    json.tests.map((t: { name: string }) => t.name),
    ["test_publish_order"],
  );
  assert.equal(json.services[0].interfaces[0].proxied, true);
  const none = faultbox(["test", quickstart, "--dry-run", "--test", "nope"]);
  assert.equal(none.status, 1);
  assert.match(
    none.stderr,
    /no test matched filter "nope" \(available: test_matrix_publish_order_duplicates,/,
  );
});

test("--normalize writes the same trace for two runs with the same seed; diff says so (0) or shows the change (2)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-norm-"));
  const a = join(dir, "a.norm");
  const b = join(dir, "b.norm");
  const runA = faultbox([
    "test",
    quickstart,
    "--seed",
    "3",
    "--normalize",
    a,
    "--output",
    join(dir, "a.json"),
  ]);
  const runB = faultbox(["test", quickstart, "--seed", "3", "--normalize", b]);
  assert.equal(runA.status, 2, "the quickstart finds two faults");
  assert.equal(runB.status, 2);
  const trace = readFileSync(a, "utf8");
  assert.match(trace, /^=== test_matrix_publish_order_duplicates: fail ===$/m);
  assert.match(trace, /^topic order-events\[0\]@1 key=o-1 value=\{"order_id":"o-1","action":"created"\}$/m);
  assert.doesNotMatch(trace, /127\.0\.0\.1|duration_ms|\d{4}-\d{2}-\d{2}T/);

  const same = faultbox(["diff", a, b]);
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.equal(same.stdout, "traces are identical\n");
  // A JSON result compares as its normalized trace.
  assert.equal(faultbox(["diff", join(dir, "a.json"), b]).status, 0);

  // One record fewer: exit 2 and a hunk naming the test and lane.
  const c = join(dir, "c.norm");
  writeFileSync(c, trace.replace(/^topic order-events\[0\]@1 .*\n/m, ""));
  const changed = faultbox(["diff", a, c]);
  assert.equal(changed.status, 2);
  assert.match(changed.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@ test_matrix_publish_order_duplicates: fail, bus$/m);
  assert.match(changed.stdout, /^-topic order-events\[0\]@1 key=o-1 /m);

  const bad = join(dir, "bad.txt");
  writeFileSync(bad, "hello");
  const unreadable = faultbox(["diff", a, bad]);
  assert.equal(unreadable.status, 1);
  assert.match(
    unreadable.stderr,
    /bad\.txt is neither a normalized trace \(--normalize\), a JSON result \(--output\) nor a bundle/,
  );
  assert.match(faultbox(["diff", a]).stderr, /faultbox diff takes two files/);
  const help = faultbox(["diff", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: faultbox diff A B\n/);
  assert.match(help.stdout, /Exit codes: 0 identical, 2 different, 1 /);
  assert.equal(faultbox(["diff", a, join(dir, "missing")]).status, 1);
});
