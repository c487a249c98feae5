// --shard I/N and merge-reports end to end: the shards of a run, merged, are the unsharded run's report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { comparable, junitComparable, type Json } from "./compare-results.js";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const spec = new URL("./specs/shards.star", import.meta.url).pathname;

function faultbox(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd });
}

test("shards 1/2 and 2/2 merged equal the unsharded report (JSON, JUnit); each shard runs about half", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-shards-"));
  try {
    const whole = faultbox(dir, "test", spec, "--seed", "7", "--output", "all.json", "--junit", "all.xml");
    assert.equal(whole.status, 2, whole.stderr); // test_plain_fail fails
    const counts: number[] = [];
    for (const i of [1, 2]) {
      const r = faultbox(dir, "test", spec, "--seed", "7", "--shard", `${i}/2`, "--output", `s${i}.json`);
      assert.ok(r.status === 0 || r.status === 2, r.stderr);
      const shard = JSON.parse(readFileSync(join(dir, `s${i}.json`), "utf8")) as Json;
      assert.deepEqual(shard.shard, { index: i, count: 2, selected: 9 });
      counts.push((shard.tests as unknown[]).length);
    }
    assert.deepEqual(counts, [5, 4]);
    // Given in either order, the merge is the same.
    const merged = faultbox(
      dir,
      "merge-reports",
      "s2.json",
      "s1.json",
      "--output",
      "m.json",
      "--junit",
      "m.xml",
      "--html",
      "m.html",
    );
    assert.equal(merged.status, 2, merged.stderr); // the merged run has a failure, as the whole run
    assert.match(merged.stderr, /merged 2 reports of .*: 8 passed, 1 failed/);
    const all = JSON.parse(readFileSync(join(dir, "all.json"), "utf8")) as Json;
    const m = JSON.parse(readFileSync(join(dir, "m.json"), "utf8")) as Json;
    assert.deepEqual(
      (m.tests as Json[]).map((t) => t.name),
      (all.tests as Json[]).map((t) => t.name),
    );
    assert.deepEqual(comparable(m), comparable(all));
    assert.equal(
      junitComparable(readFileSync(join(dir, "m.xml"), "utf8")),
      junitComparable(readFileSync(join(dir, "all.xml"), "utf8")),
    );
    const html = readFileSync(join(dir, "m.html"), "utf8");
    assert.match(html, /<b>8<\/b> passed/);
    assert.match(html, /test_plain_fail/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("merge-reports refuses an incomplete or overlapping set of shards, naming the files", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-shards-"));
  try {
    for (const [i, seed] of [
      [1, "7"],
      [2, "7"],
      [2, "8"],
    ] as const) {
      const r = faultbox(
        dir,
        "test",
        spec,
        "--seed",
        seed,
        "--shard",
        `${i}/2`,
        "--output",
        `s${i}-${seed}.json`,
      );
      assert.ok(r.status === 0 || r.status === 2, r.stderr);
    }
    let r = faultbox(dir, "merge-reports", "s1-7.json");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing shard 2\/2/);
    r = faultbox(dir, "merge-reports", "s1-7.json", "s1-7.json", "s2-7.json");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /shard 1\/2 is given twice: s1-7\.json and s1-7\.json/);
    r = faultbox(dir, "merge-reports", "s1-7.json", "s2-8.json");
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /s2-8\.json ran with seed 8, s1-7\.json with seed 7: run every shard with the same --seed/,
    );
    r = faultbox(dir, "merge-reports", "nope.json");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot read nope\.json: ENOENT/);
    r = faultbox(dir, "test", spec, "--shard", "3/2");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--shard 3\/2: I must be between 1 and 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
