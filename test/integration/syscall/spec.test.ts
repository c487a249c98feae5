// The whole path a user takes: `faultbox test` on a TypeScript spec whose fault_assumption denies
// a service's writes; core routes the rules to the seccomp controller.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syscallFaultsSupported } from "../../../src/syscall/index.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;
const bin = new URL("../../../bin/faultbox.js", import.meta.url).pathname;
const spec = new URL("./specs/disk.spec.ts", import.meta.url).pathname;

interface Result {
  pass: number;
  fail: number;
  tests: { name: string; result: string; events: { type: string; data: Record<string, string> }[] }[];
}

test(
  "faultbox test runs a spec whose syscall fault denies a service's writes",
  { skip, timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "faultbox-spec-"));
    try {
      const out = join(dir, "ticks.log");
      const json = join(dir, "result.json");
      const r = spawnSync(
        process.execPath,
        [bin, "test", spec, "--format", "json", "--output", json, "--seed", "1"],
        {
          encoding: "utf8",
          env: { ...process.env, FAULTBOX_TEST_OUT: out },
        },
      );
      assert.equal(r.status, 0, `faultbox test failed:\n${r.stdout}\n${r.stderr}`);
      const result = JSON.parse(readFileSync(json, "utf8")) as Result;
      assert.deepEqual([result.pass, result.fail], [2, 0]);
      const events = result.tests[0]!.events;
      const denied = events.filter((e) => e.type === "syscall");
      assert.ok(
        denied.some((e) => e.data.path === out && e.data.decision === "deny(EIO)" && e.data.label === "disk"),
      );
      const applied = events.findIndex((e) => e.type === "fault_applied");
      const removed = events.findIndex((e) => e.type === "fault_removed");
      assert.ok(applied >= 0 && removed > applied);
      // Every denied write happened inside the window.
      for (const e of denied) assert.ok(events.indexOf(e) > applied && events.indexOf(e) < removed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
