// A network partition isolating a partition's leader from the other brokers, on a real 3-node cluster
// (replication factor 3, min.insync.replicas=2), for partition.spec.ts (Kafka's VerifiableProducer,
// Java) and partition-librdkafka.spec.ts (the same reports from a confluent-kafka producer). The
// producer writes with acks=all, idempotent, through the proxy. While the leader is cut off (its links
// to and from both other brokers: replica fetching and the controller quorum), the majority fences it
// and elects another leader. Java follows (through the proxy: every broker's address in Metadata is one
// of the proxy's listeners) and its sends are acknowledged again during the cut; librdkafka does not
// (see below) and carries on after the heal. Then the producer is stopped and every record it was told
// was written is in the partition, once. With `clients: true` (partition-clients.spec.ts) the clients
// lose the old leader too (isolate(clients=True): the proxy holds their connections to it), and
// librdkafka follows during the cut as Java does.
import { defineSpec } from "../../../../src/index.js";
import { kafkaCluster, topicSource } from "../../../../src/protocols/kafka/plugin/index.js";
import {
  acknowledged,
  acknowledgedWhileObserved,
  kafkajsProducer,
  librdkafkaProducer,
  partition0,
  steady,
  until,
  verifiableProducer,
} from "./helpers.js";

const TOPIC = "payments";

export type Client = "java" | "librdkafka" | "kafkajs";

const producers = { java: verifiableProducer, librdkafka: librdkafkaProducer, kafkajs: kafkajsProducer };

/**
 * Whether the client's sends are acknowledged again while the old leader is still cut off from the
 * brokers only (with `clients: true` every client is expected to follow). kafkajs is run only with
 * the clients cut off too (partition-kafkajs.spec.ts).
 */
const FOLLOWS_DURING_CUT: Record<Client, boolean> = { java: true, librdkafka: false, kafkajs: false };

/**
 * kafkajs asks for metadata on a broker it is connected to (picked at random among them), and a
 * connection the proxy holds for the isolated node still counts as connected. When its only connection
 * is to the old leader (likely when its bootstrap broker was the leader; not confirmed), every Metadata
 * request times out there until the heal: seen in 1 of the 8 runs we know of (CI, 2026-12-07: "Request
 * Metadata(key: 3, version: 6) timed out" until the test gave up after 180 s). A network partition
 * does the same to it. So for kafkajs the spec waits 60 s for sends acknowledged during the cut, then
 * heals and waits for them after the heal; the test reports which happened. Nothing acknowledged may
 * be lost either way.
 */
const MAY_WAIT_FOR_THE_HEAL: Record<Client, boolean> = { java: false, librdkafka: false, kafkajs: true };

export function partitionSpec(client: Client, o: { clients?: boolean } = {}) {
  const follows = Boolean(o.clients) || FOLLOWS_DURING_CUT[client];
  return defineSpec(async (fb) => {
    const broker = fb.interface("broker", "kafka", 0);
    const kafka = fb.service("kafka", {
      interfaces: [broker],
      ...kafkaCluster({ nodes: 3, minInsyncReplicas: 2 }),
      observe: [topicSource(TOPIC)],
    });
    const options = { topic: TOPIC, acks: "all", throughput: 20 } as const;
    const producer = await producers[client](fb, broker, options);

    const acked = (afterSeq = 0) => acknowledged(fb, afterSeq);

    fb.test(
      "isolated_leader_loses_no_acknowledged_record",
      async () => {
        await steady(fb, kafka, TOPIC);
        const isolated = await kafka
          .select("leader", { topic: TOPIC })
          .isolate(o.clients ? { clients: true } : {});
        const old = Number(isolated.node);
        const cutAt = (await fb.events({ where: (e) => e.type === "service_action" }))[0]!.seq;
        const moved = await until("another leader", async () => {
          const p = await partition0(kafka, TOPIC);
          return p.leader >= 0 && p.leader !== old ? p : undefined;
        });
        fb.assertTrue(moved.leader !== old, `leadership moved from node ${old} to node ${moved.leader}`);
        let followed = false;
        if (follows) {
          // Java follows: sends are acknowledged again while the old leader is still cut off (its
          // metadata requests go to the least loaded broker, one that knows the new leader). So does
          // librdkafka when the old leader is cut off from the clients too.
          const mayWait = MAY_WAIT_FOR_THE_HEAL[client];
          try {
            await until(
              "20 records acknowledged after the cut",
              async () => ((await acked(cutAt)).length >= 20 ? true : undefined),
              mayWait ? 60_000 : 180_000,
            );
            followed = true;
          } catch (err) {
            if (!mayWait) throw err;
          }
        }
        await kafka.heal();
        if (!followed) {
          // librdkafka 2.0.2 keeps sending to the old leader while it is cut off: isolate() cuts the
          // brokers' links, not the clients', and the old leader's stale metadata still names itself.
          // Its sends time out; after the heal the old leader learns it was fenced and the producer
          // moves on. What counts is the same: nothing acknowledged is lost.
          const healedAt = (await fb.events({ where: (e) => e.type === "service_action" })).at(-1)!.seq;
          await until("20 records acknowledged after the heal", async () =>
            (await acked(healedAt)).length >= 20 ? true : undefined,
          );
        }
        await producer.stop();
        const told = await acknowledgedWhileObserved(fb);
        const stored = (await fb.events({ where: (e) => e.type === "topic" })).map((e) =>
          String(e.data.value),
        );
        const lost = told.filter((v) => !stored.includes(v));
        fb.assertEq(lost, [], "every acknowledged record is stored");
        fb.assertEq(new Set(stored).size, stored.length, "no record stored twice (idempotent producer)");
      },
      { timeout: "600s" },
    );
  });
}
