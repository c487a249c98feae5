// The active KRaft controller killed, or isolated from the other nodes (every link to and from it cut),
// on a real 3-node cluster (every node a broker and a controller,
// replication factor 3, min.insync.replicas=2), while Kafka's VerifiableProducer (Java, idempotent,
// acks=all) writes through the proxy. kafka.controller() is resolved from DescribeQuorum when the
// action fires, and kafka.broker.quorum() shows the quorum before and after. The two other controllers,
// still a majority, elect one of them (a higher quorum epoch); the killed node's broker is fenced and
// leaves the partition's ISR, and if it led the partition, another replica leads. The producer goes on
// being acknowledged; the node starts again on its data (or is healed) and rejoins the ISR, and every
// record the producer was told was written is stored, once.
import { defineSpec } from "../../../../src/index.js";
import { kafkaCluster, topicSource } from "../../../../src/protocols/kafka/plugin/index.js";
import {
  acknowledged,
  acknowledgedWhileObserved,
  partition0,
  quorum,
  steady,
  until,
  verifiableProducer,
  type Quorum,
} from "./helpers.js";

const TOPIC = "ledger";

export default defineSpec(async (fb) => {
  const broker = fb.interface("broker", "kafka", 0);
  const kafka = fb.service("kafka", {
    interfaces: [broker],
    ...kafkaCluster({ nodes: 3, minInsyncReplicas: 2 }),
    observe: [topicSource(TOPIC)],
  });
  const producer = await verifiableProducer(fb, broker, { topic: TOPIC, acks: "all", throughput: 20 });
  const acked = (afterSeq = 0) => acknowledged(fb, afterSeq);

  /**
   * The active controller taken out by `how` (killed, or isolated from the other nodes), then brought
   * back (started on its data, or healed).
   */
  const replaced = (how: "kill" | "isolate") => async () => {
    await steady(fb, kafka, TOPIC);
    const before = await quorum(kafka);
    fb.assertEq([...before.voters], [1, 2, 3], "every node is a voter");
    const controller = kafka.select("controller", {});
    const done = how === "kill" ? await controller.kill() : await controller.isolate();
    const old = Number(done.node);
    fb.assertEq(
      old,
      before.leader,
      `the node ${how === "kill" ? "killed" : "isolated"} is the controller DescribeQuorum named`,
    );
    fb.assertEq(done.selected_by, "kafka.controller()");
    fb.assertEq(done.controller, old);
    const actedAt = (await fb.events({ where: (e) => e.type === "service_action" }))[0]!.seq;

    let seen: Quorum | undefined;
    const elected = await until(`a controller other than node ${old}`, async () => {
      const q = (seen = await quorum(kafka));
      return q.leader >= 0 && q.leader !== old ? q : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; the quorum's last view: ${JSON.stringify(seen)}`);
    });
    fb.assertTrue(
      elected.leader_epoch > before.leader_epoch,
      `node ${elected.leader} leads the quorum in epoch ${elected.leader_epoch} (node ${old} led epoch ${before.leader_epoch})`,
    );
    const fenced = await until(`node ${old} out of the ISR`, async () => {
      const p = await partition0(kafka, TOPIC);
      return p.leader >= 0 && !p.isr.includes(old) ? p : undefined;
    });
    fb.assertTrue(fenced.leader !== old, `partition 0 is led by node ${fenced.leader}, not node ${old}`);
    await until(`20 records acknowledged after the ${how}`, async () =>
      (await acked(actedAt)).length >= 20 ? true : undefined,
    );

    if (how === "kill") await kafka.node(old).start();
    else await kafka.heal();
    await until(`node ${old} back in the ISR`, async () => {
      const p = await partition0(kafka, TOPIC);
      return p.isr.length === 3 ? p : undefined;
    });
    await producer.stop();
    const told = await acknowledgedWhileObserved(fb);
    const stored = (await fb.events({ where: (e) => e.type === "topic" })).map((e) => String(e.data.value));
    const lost = told.filter((v) => !stored.includes(v));
    fb.assertEq(lost, [], "every acknowledged record is stored");
    fb.assertEq(new Set(stored).size, stored.length, "no record stored twice (idempotent producer)");
  };

  fb.test("killed_controller_is_replaced_and_loses_no_acknowledged_record", replaced("kill"), {
    timeout: "600s",
  });
  fb.test("isolated_controller_is_replaced_and_loses_no_acknowledged_record", replaced("isolate"), {
    timeout: "600s",
  });
});
