// kafka.controller() on a real 3-node Apache Kafka cluster: specs/controller.spec.ts kills the active
// KRaft controller (resolved from DescribeQuorum when the action fires), and in a second test isolates
// it from the other nodes, while a Java producer writes with acks=all through the proxy; the other two
// elect a controller in a higher epoch and fence the old one; the producer goes on; the node starts
// again (is healed) and rejoins; nothing acknowledged is lost.
// Its spec binds no fixed port (the service's proxy listens on a free one), so npm test may run this
// file beside another heavy one (scripts/test.mjs, SHARED_HEAVY).
import { test } from "node:test";
import assert from "node:assert/strict";
import { actions, passing } from "./checks.js";
import { observableAcks } from "./specs/helpers.js";

/** The spec's test with `how` ("kill" then start, or "isolate" then heal): what its events show. */
async function replaced(how: "kill" | "isolate", undo: "start" | "heal", name: string): Promise<void> {
  const t = await passing("controller.spec.ts", name);
  const events = t.events ?? [];
  const [done, back] = actions(t);
  assert.equal(done!.action, how);
  assert.equal(done!.selected_by, "kafka.controller()");
  assert.equal(done!.node, done!.controller, "the node chosen is the controller DescribeQuorum named");
  assert.ok(Number(done!.quorum_epoch) >= 1, `quorum epoch ${String(done!.quorum_epoch)}`);
  assert.deepEqual(done!.voters, [1, 2, 3]);
  assert.equal(back!.action, undo);
  if (undo === "start") assert.equal(back!.node, done!.node, "the same node started again");
  else
    assert.deepEqual(
      [...(back!.links as string[])].sort(),
      [1, 2, 3]
        .filter((n) => n !== done!.node)
        .flatMap((n) => [`${n}->${String(done!.node)}`, `${String(done!.node)}->${n}`])
        .sort(),
      "every link to and from the controller was cut, and healed",
    );
  const [actedAt, backAt] = [done!, back!].map(
    (a) => events.find((e) => e.type === "service_action" && e.data.action === a.action)!.seq,
  );
  const acked = events.filter((e) => e.type === "stdout" && e.data.name === "producer_send_success");
  const meanwhile = acked.filter((e) => e.seq > actedAt! && e.seq < backAt!).length;
  console.log(
    `# Java: ${meanwhile} record(s) acknowledged while the controller (node ${String(done!.node)}) was ${how === "kill" ? "down" : "cut off"}`,
  );
  assert.ok(meanwhile >= 20, `acknowledged meanwhile: ${meanwhile}`);
  const stored = new Set(events.filter((e) => e.type === "topic").map((e) => e.data.value));
  assert.deepEqual(
    observableAcks(events).filter((v) => !stored.has(v)),
    [],
    "every acknowledged record is stored",
  );
}

test("killing the active controller: the other two elect one and fence the killed node; an acks=all Java producer goes on being acknowledged and loses nothing", async () => {
  await replaced("kill", "start", "test_killed_controller_is_replaced_and_loses_no_acknowledged_record");
});

test("isolating the active controller: the other two elect one and fence it; an acks=all Java producer goes on being acknowledged and loses nothing", async () => {
  await replaced("isolate", "heal", "test_isolated_controller_is_replaced_and_loses_no_acknowledged_record");
});
