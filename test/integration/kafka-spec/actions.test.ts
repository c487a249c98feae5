// Service actions on the local Kafka stand-in (a Kafka image run as a local KRaft broker), through the
// CLI: kill + restart of the broker on its own log dirs under an idempotent Java producer that lives
// across it, and pause() as a window. See specs/actions/stand-in.spec.ts for what each test checks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultboxTest, type CliRun } from "../seed/cli.js";

const spec = "test/integration/kafka-spec/specs/actions/stand-in.spec.ts";
let run: Promise<CliRun> | undefined;
const once = () => (run ??= faultboxTest(spec, "--seed", "5"));

const test_ = (name: string) => async () => {
  const r = await once();
  const t = r.json.tests.find((x) => x.name === name);
  assert.ok(t, `no result for ${name}; stderr:\n${r.stderr}`);
  assert.equal(t.result, "pass", `${t.reason}\n${r.stderr.slice(-3000)}`);
  return t;
};

test("an idempotent Java producer keeps producing across a kill + restart of the broker on its data", async () => {
  const t = await test_("test_idempotent_producer_across_kill_restart")();
  const events = t.events ?? [];
  const restart = events.find((e) => e.type === "service_action");
  assert.deepEqual(
    { ...restart?.data, duration_ms: 0 },
    { action: "restart", nodes: [1], kill: true, cause: "step", duration_ms: 0 },
  );
  // What the broker holds after the restart: r2 from before it (r1 was dropped), r3 and r4 after.
  assert.deepEqual(
    events.filter((e) => e.type === "topic").map((e) => [e.data.offset, e.data.value]),
    [
      [0, "r2"],
      [1, "r3"],
      [2, "r4"],
    ],
  );
  const drop = events.find((e) => e.type === "proxy" && e.data.action === "drop");
  assert.ok(drop && drop.seq < restart!.seq, "the drop (and its sequence shift) came before the restart");
});

test("pause() as a window on the stand-in: nothing stored while paused, the record stored once after", async () => {
  const t = await test_("test_pause_window_holds_records")();
  const events = t.events ?? [];
  const seqOf = (action: string) =>
    events.find((e) => e.type === "service_action" && e.data.action === action)!.seq;
  const r6 = events.find((e) => e.type === "topic" && e.data.value === "r6");
  assert.ok(r6 && r6.seq > seqOf("resume") && seqOf("resume") > seqOf("pause"));
});
