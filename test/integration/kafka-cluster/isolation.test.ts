// Isolation on a real 3-node Apache Kafka cluster, beside cluster.test.ts (which has the leader isolated
// under Java and librdkafka producers):
//   - specs/partition-kafkajs.spec.ts: the leader isolated while a kafkajs producer (idempotent,
//     acks=all, through the proxy) writes; leadership moves, kafkajs carries on (during the cut in some
//     runs, after the heal in others), nothing acknowledged is lost.
//   - specs/controller.spec.ts: the active KRaft controller (kafka.controller(), from DescribeQuorum)
//     isolated; the other two elect a controller in a higher epoch and fence the isolated node; a Java
//     producer is acknowledged during the cut and loses nothing.
// Its specs bind no fixed port (the service's proxy listens on a free one), so npm test may run this
// file beside another heavy one (scripts/test.mjs, SHARED_HEAVY).
import { test } from "node:test";
import assert from "node:assert/strict";
import { actions, isolatedLeaderLosesNothing, passing } from "./checks.js";

test("isolating the leader moves leadership; an acks=all kafkajs producer carries on and loses nothing", async () => {
  await isolatedLeaderLosesNothing("kafkajs", "partition-kafkajs.spec.ts");
});

test("isolating the active controller: the other two elect one and fence the isolated node; an acks=all Java producer is acknowledged during the cut and loses nothing", async () => {
  const t = await passing(
    "controller.spec.ts",
    "test_isolated_controller_is_replaced_and_loses_no_acknowledged_record",
  );
  const events = t.events ?? [];
  const [isolate, heal] = actions(t);
  assert.equal(isolate!.action, "isolate");
  assert.equal(isolate!.selected_by, "kafka.controller()");
  assert.equal(
    isolate!.node,
    isolate!.controller,
    "the node isolated is the controller DescribeQuorum named",
  );
  assert.ok(Number(isolate!.quorum_epoch) >= 1, `quorum epoch ${String(isolate!.quorum_epoch)}`);
  assert.equal(heal!.action, "heal");
  const [cutAt, healedAt] = [isolate!, heal!].map(
    (a) => events.find((e) => e.type === "service_action" && e.data.action === a.action)!.seq,
  );
  const acked = events.filter((e) => e.type === "stdout" && e.data.name === "producer_send_success");
  const duringCut = acked.filter((e) => e.seq > cutAt! && e.seq < healedAt!).length;
  console.log(
    `# Java: ${duringCut} record(s) acknowledged while the controller (node ${String(isolate!.node)}) was cut off`,
  );
  assert.ok(duringCut >= 20, `acknowledged during the cut: ${duringCut}`);
  const stored = new Set(events.filter((e) => e.type === "topic").map((e) => e.data.value));
  assert.deepEqual(
    acked.map((e) => e.data.value).filter((v) => !stored.has(v)),
    [],
    "every acknowledged record is stored",
  );
});
