// kafka.controller() on a real 3-node Apache Kafka cluster: specs/controller.spec.ts kills the active
// KRaft controller (resolved from DescribeQuorum when the action fires) while a Java producer writes
// with acks=all through the proxy; the other two elect a controller in a higher epoch and fence the
// killed node; the producer goes on; the node starts again and rejoins; nothing acknowledged is lost.
// Its spec binds no fixed port (the service's proxy listens on a free one), so npm test may run this
// file beside another heavy one (scripts/test.mjs, SHARED_HEAVY).
import { test } from "node:test";
import assert from "node:assert/strict";
import { actions, passing } from "./checks.js";

test("killing the active controller: the other two elect one and fence the killed node; an acks=all Java producer goes on being acknowledged and loses nothing", async () => {
  const t = await passing(
    "controller.spec.ts",
    "test_killed_controller_is_replaced_and_loses_no_acknowledged_record",
  );
  const events = t.events ?? [];
  const [kill, start] = actions(t);
  assert.equal(kill!.action, "kill");
  assert.equal(kill!.selected_by, "kafka.controller()");
  assert.equal(kill!.node, kill!.controller, "the node killed is the controller DescribeQuorum named");
  assert.ok(Number(kill!.quorum_epoch) >= 1, `quorum epoch ${String(kill!.quorum_epoch)}`);
  assert.deepEqual(kill!.voters, [1, 2, 3]);
  assert.equal(start!.action, "start");
  assert.equal(start!.node, kill!.node, "the same node started again");
  const [killedAt, startedAt] = [kill!, start!].map(
    (a) => events.find((e) => e.type === "service_action" && e.data.action === a.action)!.seq,
  );
  const acked = events.filter((e) => e.type === "stdout" && e.data.name === "producer_send_success");
  const whileDown = acked.filter((e) => e.seq > killedAt! && e.seq < startedAt!).length;
  console.log(
    `# Java: ${whileDown} record(s) acknowledged while the controller (node ${String(kill!.node)}) was down`,
  );
  assert.ok(whileDown >= 20, `acknowledged while the controller was down: ${whileDown}`);
  const stored = new Set(events.filter((e) => e.type === "topic").map((e) => e.data.value));
  assert.deepEqual(
    acked.map((e) => e.data.value).filter((v) => !stored.has(v)),
    [],
    "every acknowledged record is stored",
  );
});
