// Every test's results list the fault windows it ran under — inline fault(), fault_scenario and
// fault_matrix cells alike — with each rule's match and firing counts, in JSON (stdout and --output) and the
// console summary. The embedded Kafka broker keeps the run in-process and fast.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonTest as FullTest } from "../../src/report/doc.js";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const spec = new URL("./specs/fault-windows.star", import.meta.url).pathname;

type JsonTest = Pick<FullTest, "name" | "result" | "faults" | "fault_windows">;

const dir = mkdtempSync(join(tmpdir(), "fb-fault-windows-"));
const outFile = join(dir, "results.json");
const run = spawnSync(process.execPath, [bin, "test", spec, "--output", outFile, "--seed", "7"], {
  encoding: "utf8",
  timeout: 120_000,
});
const fileJson = (() => {
  try {
    return JSON.parse(readFileSync(outFile, "utf8")) as { tests: JsonTest[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
/** The windows without their open/close times (checked here: present, and the close after the open). */
function untimed(t: JsonTest): JsonTest {
  if (!t.fault_windows) return t;
  const fault_windows = t.fault_windows.map(({ opened_at, closed_at, ...w }) => {
    assert.ok(Date.parse(opened_at!) <= Date.parse(closed_at!), `${t.name}: ${opened_at} .. ${closed_at}`);
    return w;
  });
  return { ...t, fault_windows };
}
const byName = new Map(fileJson.tests.map((t) => [t.name, untimed(t)]));
const get = (name: string): JsonTest => {
  const t = byName.get(name);
  assert.ok(t, `no result for ${name}; got ${[...byName.keys()].join(", ")}`);
  return t;
};

test("the run passes", () => {
  assert.equal(run.status, 0, run.stderr + run.stdout);
});

test("an inline fault() window is listed with its target, rules and firing count", () => {
  const t = get("test_inline_fired");
  assert.deepEqual(t.faults, ["message_loss"]);
  assert.deepEqual(t.fault_windows, [
    {
      assumption: "message_loss",
      target: "bus.broker",
      rules: [{ rule: 'drop(topic="orders")', matched: 2, fired: 2 }],
      matched: 2,
      fired: 2,
    },
  ]);
});

test("an inline window whose rule never matched is listed as not fired", () => {
  assert.deepEqual(get("test_inline_never_fired").fault_windows, [
    {
      assumption: "audit_loss",
      target: "bus.broker",
      rules: [{ rule: 'drop(topic="audit")', matched: 0, fired: 0 }],
      matched: 0,
      fired: 0,
    },
  ]);
});

test("counts are per rule: one rule of a window fired, the other did not", () => {
  const [w] = get("test_inline_one_rule_of_two").fault_windows!;
  assert.deepEqual(w!.rules, [
    { rule: 'drop(topic="orders")', matched: 2, fired: 2 },
    { rule: 'duplicate(topic="audit")', matched: 0, fired: 0 },
  ]);
  assert.equal(w!.fired, 2);
});

test("fault_scenario and fault_matrix cells carry the same records as inline windows", () => {
  const fired = {
    assumption: "message_loss",
    target: "bus.broker",
    rules: [{ rule: 'drop(topic="orders")', matched: 2, fired: 2 }],
    matched: 2,
    fired: 2,
  };
  assert.deepEqual(get("test_scenario_loss").fault_windows, [fired]);
  assert.deepEqual(get("test_matrix_publish_two_message_loss").fault_windows, [fired]);
  assert.equal(get("test_matrix_publish_two_audit_loss").fault_windows![0]!.fired, 0);
});

test("a test without faults lists none", () => {
  const t = get("test_no_fault");
  assert.equal(t.faults, undefined);
  assert.equal(t.fault_windows, undefined);
});

test("the console summary shows each fault with its firing count or 'not fired'", () => {
  const summary = run.stdout.slice(run.stdout.indexOf("Summary:"));
  assert.match(summary, /test_inline_fired\s+message_loss \(fired 2\)\s+PASS/);
  assert.match(summary, /test_inline_never_fired\s+audit_loss \(not fired\)\s+PASS/);
  assert.match(summary, /test_scenario_loss\s+message_loss \(fired 2\)\s+PASS/);
  assert.match(summary, /test_no_fault\s+—\s+PASS/);
});

test("--format json on stdout carries the same fault windows as --output", () => {
  const r = spawnSync(process.execPath, [bin, "test", spec, "--format", "json", "--test", "inline_fired"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { tests: JsonTest[] };
  assert.deepEqual(untimed(json.tests[0]!).fault_windows, get("test_inline_fired").fault_windows);
});
