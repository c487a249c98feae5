// A replica-Fetch delay on one link makes a follower fall out of the ISR, on a real 3-node cluster
// (replica.lag.time.max.ms=4000). Kafka's VerifiableProducer keeps writing (acks=1, so the leader
// takes records whatever the ISR). The window delays the follower's Fetch requests to the leader (the
// link follower -> leader, chosen from Metadata when the window opens); the ISR is read from Metadata
// through the proxy and from Java's kafka-topics (DescribeTopicPartitions). When the window closes the
// follower catches up and is back in the ISR.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { defineSpec } from "../../../../src/index.js";
import { kafkaCluster } from "../../../../src/protocols/kafka/plugin/index.js";
import { kafkaTool } from "../../../support/index.js";
import { partition0, until, verifiableProducer } from "./helpers.js";

const TOPIC = "lagging";

export default defineSpec(async (fb) => {
  const topicsTool = await kafkaTool("kafka-topics");
  const broker = fb.interface("broker", "kafka", 9092);
  const kafka = fb.service("kafka", {
    interfaces: [broker],
    ...kafkaCluster({ nodes: 3, config: { "replica.lag.time.max.ms": "4000" } }),
  });
  await verifiableProducer(fb, broker, { topic: TOPIC, acks: "1", throughput: 20 });

  /** The ISR as Java's kafka-topics --describe prints it (through the proxy). */
  const describedIsr = async (): Promise<number[]> => {
    const proxy = (
      await fb.events({ where: (e) => e.type === "proxy_started" && e.service === "kafka" })
    )[0]!;
    const [cmd, ...args] = topicsTool;
    // Asynchronously: the proxy it talks to runs in this process.
    const { stdout: out } = await promisify(execFile)(
      cmd!,
      [...args, "--bootstrap-server", String(proxy.data.listen), "--describe", "--topic", TOPIC],
      { encoding: "utf8", timeout: 60_000 },
    );
    const m = /Partition: 0\s.*Isr: ([\d,]+)/.exec(out);
    if (!m) throw new Error(`no ISR in kafka-topics output:\n${out}`);
    return m[1]!.split(",").map(Number);
  };

  fb.test(
    "delayed_replica_fetch_drops_the_follower_from_the_isr",
    async () => {
      const start = await until("all three replicas in sync", async () => {
        const p = await partition0(kafka, TOPIC);
        return p.isr.length === 3 ? p : undefined;
      });
      const follower = kafka.select("follower", { topic: TOPIC });
      const leader = kafka.select("leader", { topic: TOPIC });
      let lagging = -1;
      await fb.fault(
        kafka.link(follower, leader),
        async () => {
          const applied = (await fb.events({ where: (e) => e.type === "proxy_fault_applied" }))[0]!;
          lagging = Number(String(applied.data.link).split("->")[0]);
          fb.assertTrue(start.replicas.includes(lagging) && lagging !== start.leader, "a follower's link");
          const shrunk = await until("the follower out of the ISR (Metadata)", async () => {
            const p = await partition0(kafka, TOPIC);
            return p.isr.includes(lagging) ? undefined : p;
          });
          fb.assertEq(shrunk.isr.includes(lagging), false, "Metadata: the follower left the ISR");
          const described = await until("the follower out of the ISR (kafka-topics)", async () => {
            const isr = await describedIsr();
            return isr.includes(lagging) ? undefined : isr;
          });
          fb.assertEq(described.includes(lagging), false, "kafka-topics: the follower left the ISR");
        },
        fb.rules.delay({ api: "fetch", delay: "8s" }),
      );
      const back = await until("the follower back in the ISR", async () => {
        const p = await partition0(kafka, TOPIC);
        return p.isr.includes(lagging) ? p : undefined;
      });
      fb.assertEq(back.isr.length, 3, "caught up once the delay is gone");
      // The delay acted on the link's Fetch requests only.
      const delayed = await fb.events({ where: (e) => e.type === "proxy" && e.data.action === "delay" });
      fb.assertTrue(delayed.length > 0, "the link proxy delayed Fetch requests");
      fb.assertTrue(
        delayed.every((e) => e.data.api === "fetch" && e.data.link === `${lagging}->${start.leader}`),
        "only the follower's fetches to the leader",
      );
    },
    { timeout: "600s" },
  );
});
