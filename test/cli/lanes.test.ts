// --parallel N and --pool: the same verdicts, report and console order as a serial run of the spec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { comparable, junitComparable, type Json } from "./compare-results.js";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const spec = new URL("./specs/shards.star", import.meta.url).pathname;

function faultbox(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd });
}

/** The console's per-test lines, in the order printed (without durations). */
const testLines = (out: string) =>
  out
    .split("\n")
    .filter((l) => /^(=== RUN|--- [A-Z]+:)/.test(l))
    .map((l) => l.replace(/ \(\d+ms, /, " ("));

test("a spec run serially, with --parallel 2, --pool, and both gives the same verdicts and reports", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-lanes-"));
  try {
    const ways = [[], ["--parallel", "2"], ["--pool"], ["--parallel", "2", "--pool"]];
    const runs = ways.map((flags, i) => {
      const r = faultbox(
        dir,
        "test",
        spec,
        "--seed",
        "11",
        "--output",
        `r${i}.json`,
        "--junit",
        `r${i}.xml`,
        ...flags,
      );
      assert.equal(r.status, 2, r.stderr); // test_plain_fail fails, however the tests are run
      const doc = JSON.parse(readFileSync(join(dir, `r${i}.json`), "utf8")) as Json;
      return { flags, stdout: r.stdout, doc, junit: readFileSync(join(dir, `r${i}.xml`), "utf8") };
    });
    const [serial, ...others] = runs;
    assert.equal(serial!.doc.lanes, undefined);
    for (const run of others) {
      const how = run.flags.join(" ");
      const lanes = run.doc.lanes as Json;
      assert.equal(lanes.parallel, run.flags.includes("--parallel") ? 2 : 1, how);
      assert.equal(lanes.pool, run.flags.includes("--pool"), how);
      assert.equal(lanes.lanes, (lanes.parallel as number) * (lanes.pool ? 2 : 1), how);
      assert.match(
        run.stdout,
        /lanes, \d tests? at a time; the tests took [\d.]+ s together, the run [\d.]+ s: [\d.]+ s saved/,
        how,
      );
      const { lanes: _l, ...doc } = run.doc;
      assert.deepEqual(comparable(doc), comparable(serial!.doc), how);
      assert.equal(junitComparable(run.junit), junitComparable(serial!.junit), how);
      // The console tells the tests in the serial order, each start followed by its end.
      assert.deepEqual(testLines(run.stdout), testLines(serial!.stdout), how);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--parallel refuses a service on a fixed port (two copies cannot bind it), naming it and the fix", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-lanes-"));
  try {
    writeFileSync(
      join(dir, "fixed.star"),
      [
        'api = service("api", "/bin/sleep", interface("main", "http", 18999), args = ["30"])',
        "def test_one():",
        "    pass",
        "def test_two():",
        "    pass",
        "",
      ].join("\n"),
    );
    const r = faultbox(dir, "test", "fixed.star", "--parallel", "2");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /service "api" listens on fixed port 18999 \(interface "main"\)/);
    assert.match(r.stderr, /interface\("main", "http", 0\)/);
    const bad = faultbox(dir, "test", "fixed.star", "--parallel", "0");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--parallel must be an integer >= 1, got "0"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
