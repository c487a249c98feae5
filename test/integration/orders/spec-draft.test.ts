// The draft spec examples/orders/faultbox.star cannot run until the runtime does; until then this
// checks that it is valid Starlark in starlark-go's strict dialect (what Go Faultbox accepts) and
// names no builtin outside the set the seed and the core reference define.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkFile, STRICT_OPTIONS, StarlarkError } from "../../../src/starlark/index.js";

const SPEC = fileURLToPath(new URL("../../../examples/orders/faultbox.star", import.meta.url));

// Faultbox builtins the spec may use (shared/reference/faultbox-core.md §3-§10 and the seed).
const FAULTBOX_BUILTINS = [
  "service",
  "interface",
  "tcp",
  "http",
  "kafka_ready",
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
  "events",
];

test("the draft orders spec parses and resolves in the strict dialect with only Faultbox builtins", () => {
  const source = readFileSync(SPEC, "utf8");
  const predeclared = Object.fromEntries(FAULTBOX_BUILTINS.map((name) => [name, null]));
  try {
    checkFile(SPEC, source, { predeclared, options: STRICT_OPTIONS });
  } catch (err) {
    if (err instanceof StarlarkError) assert.fail(err.format());
    throw err;
  }
});

test("the draft orders spec declares the four fault tests and the positive control", () => {
  const source = readFileSync(SPEC, "utf8");
  for (const declared of [
    /^def test_orders_ship_exactly_once\(\):/m,
    /^fault_scenario\("no_orphan_events",/m,
    /^def test_no_message_loss\(\):/m,
    /^fault_scenario\("exactly_once_under_duplicate",/m,
    /^fault_scenario\("latency_under_slow_broker",/m,
  ]) {
    assert.match(source, declared);
  }
});
