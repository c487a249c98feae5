// examples/orders/faultbox.star through the faultbox CLI, against real Kafka (a local broker per
// test) and PostgreSQL (under the syscall supervisor): the correct mode passes every test, the naive
// mode fails the four fault tests, each with the reason a user needs. Also checks that the spec is
// plain Starlark in starlark-go's strict dialect, using only Faultbox builtins.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkFile, STRICT_OPTIONS, StarlarkError } from "../../../src/starlark/index.js";
import { syscallFaultsSupported } from "../../../src/syscall/index.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SPEC = join(ROOT, "examples", "orders", "faultbox.star");
const support = syscallFaultsSupported();
const skip = support.ok ? false : `the spec's database fault needs the syscall supervisor: ${support.reason}`;

// Faultbox builtins the spec may use (the seed and shared/reference/faultbox-core.md §3-§10).
const FAULTBOX_BUILTINS = [
  "service",
  "interface",
  "tcp",
  "http",
  "ready",
  "topic",
  "stdout",
  "json_decoder",
  "fault_assumption",
  "fault_scenario",
  "fault",
  "monitor",
  "deny",
  "drop",
  "delay",
  "duplicate",
  "assert_eq",
  "assert_true",
  "assert_eventually",
  "assert_never",
  "fail",
];

test("the orders spec resolves in the strict dialect with only Faultbox builtins", () => {
  const predeclared = Object.fromEntries(FAULTBOX_BUILTINS.map((name) => [name, null]));
  try {
    checkFile(SPEC, readFileSync(SPEC, "utf8"), { predeclared, options: STRICT_OPTIONS });
  } catch (err) {
    if (err instanceof StarlarkError) assert.fail(err.format());
    throw err;
  }
});

interface TestResult {
  name: string;
  result: string;
  reason?: string;
  faults?: string[] | null;
}

async function runSpec(
  mode: "naive" | "correct",
): Promise<{ code: number | null; tests: TestResult[]; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-orders-spec-"));
  const output = join(dir, "result.json");
  try {
    const child = spawn(
      process.execPath,
      [join(ROOT, "bin", "faultbox.js"), "test", SPEC, "--seed", "1", "--format", "json", "--output", output],
      { cwd: ROOT, env: { ...process.env, ORDERS_MODE: mode }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-20_000)));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    let tests: TestResult[];
    try {
      tests = (JSON.parse(readFileSync(output, "utf8")) as { tests: TestResult[] }).tests;
    } catch {
      assert.fail(`faultbox wrote no JSON result (exit ${code}); stderr:\n${stderr}`);
    }
    return { code, tests, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const byName = (tests: TestResult[]) => new Map(tests.map((t) => [t.name, t]));

test("ORDERS_MODE=correct: every test of the orders spec passes", { skip, timeout: 600_000 }, async () => {
  const { code, tests, stderr } = await runSpec("correct");
  const failed = tests.filter((t) => t.result !== "pass").map((t) => `${t.name}: ${t.reason}`);
  assert.deepEqual(failed, [], `${failed.join("\n")}\n--- faultbox stderr (tail) ---\n${stderr}`);
  assert.equal(code, 0);
  assert.deepEqual(tests.map((t) => t.name).sort(), [
    "test_exactly_once_under_duplicate",
    "test_latency_under_slow_broker",
    "test_no_message_loss",
    "test_no_orphan_events",
    "test_orders_ship_exactly_once",
  ]);
  const results = byName(tests);
  assert.deepEqual(results.get("test_no_orphan_events")!.faults, ["db_write_error"]);
  assert.deepEqual(results.get("test_exactly_once_under_duplicate")!.faults, ["duplicates"]);
  assert.deepEqual(results.get("test_latency_under_slow_broker")!.faults, ["slow_broker"]);
});

test(
  "ORDERS_MODE=naive: the four fault tests fail, each with its reason",
  { skip, timeout: 600_000 },
  async () => {
    const { code, tests } = await runSpec("naive");
    assert.equal(code, 2);
    const results = byName(tests);
    const reason = (name: string) => {
      const t = results.get(name);
      assert.ok(t, `${name} ran`);
      assert.equal(t.result, "fail", `${name} must fail in naive mode`);
      return t.reason ?? "";
    };
    const control = results.get("test_orders_ship_exactly_once");
    assert.equal(control?.result, "pass", `the positive control passes: ${control?.reason}`);
    assert.match(reason("test_no_orphan_events"), /monitor violation: .*orphan Kafka event: order eio-1/);
    assert.match(reason("test_no_message_loss"), /assert_eventually: no event matched/);
    assert.match(reason("test_exactly_once_under_duplicate"), /order d-1 was shipped 2 times/);
    assert.match(
      reason("test_latency_under_slow_broker"),
      /POST \/orders took \d+ ms with the broker delayed 3 s/,
    );
  },
);
