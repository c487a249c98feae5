// Issue 13's first show, on a private 3-node Apache Kafka 4 cluster with unclean leader election allowed:
// the follower of a partition is paused (SIGSTOP) until it drops out of the in-sync replicas, producers
// go on, then the leader is killed (SIGKILL) and the follower resumed. The controller makes the follower,
// which lacks what the leader took alone, the leader.
// - acks=1: the producer was acknowledged by the leader alone; those records are lost, and the checker
//   names them (and the offsets that now hold other records).
// - acks=all with min.insync.replicas=2: while the in-sync set is short the producer gets errors instead
//   of acknowledgements; nothing acknowledged is lost.
// The topic observer reads the leader's records while they exist; after the election it sees the new
// leader epoch, finds the logs diverged (OffsetForLeaderEpoch) and emits topic_truncated, so "stored" is
// the final log. Tests assert on what was stored and acknowledged, never on timing; the waits below only
// let the cluster get where the scenario needs it (the ISR shrunk, a leader elected).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startKafka, type KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { EventLog } from "../../../src/core/events.js";
import { checkHistory, describeVerdict, historyFromEvents } from "../../../src/core/history/index.js";
import { startObserver } from "../kafka-spec/observer.js";
import { JAVA_PRODUCER, javaSourceCommand } from "./drivers.js";
import { createTopics } from "./topics.js";
import { commandLine, partitionState, restartNode, runDriver, stopDrivers, until } from "./nemesis.js";

test("3-node Kafka, unclean election: acks=1 loses acknowledged records (named by the checker); acks=all with min.insync.replicas=2 loses none", async (t) => {
  const cluster: KafkaCluster = await startKafka({
    nodes: 3,
    version: "4",
    serverProperties: {
      "unclean.leader.election.enable": "true",
      "replica.lag.time.max.ms": "3000",
      "broker.session.timeout.ms": "6000",
      "broker.heartbeat.interval.ms": "1000",
    },
  });
  t.after(() => cluster.stop());
  const addr = (nodeId: number) => {
    const b = cluster.brokers.find((x) => x.nodeId === nodeId)!;
    return `${b.host}:${b.port}`;
  };
  const pid = (nodeId: number) => cluster.processes[nodeId - 1]!.pid;
  const run = randomBytes(3).toString("hex");
  const acks1 = `unclean-acks1-${run}`;
  const acksAll = `unclean-acksall-${run}`;
  // Node 2 leads, node 3 follows; node 1 (no replica) stays up as the bootstrap and a controller voter.
  await createTopics([1, 2, 3].map(addr), [
    { topic: acks1, assignments: [[2, 3]], config: { "min.insync.replicas": "1" } },
    { topic: acksAll, assignments: [[2, 3]], config: { "min.insync.replicas": "2" } },
  ]);

  const log = new EventLog();
  const observers = [
    await startObserver({ host: "127.0.0.1", port: Number(addr(1).split(":")[1]) }, acks1, log),
    await startObserver({ host: "127.0.0.1", port: Number(addr(1).split(":")[1]) }, acksAll, log),
  ];
  t.after(() => Promise.all(observers.map((o) => o.stop())));
  const java = await javaSourceCommand();
  const bootstrap = [1, 2, 3].map(addr).join(",");
  const producer = (name: string, topic: string, props: string) =>
    runDriver(
      name,
      [...java, JAVA_PRODUCER],
      {
        KAFKA_BROKERS: bootstrap,
        TOPIC: topic,
        PRODUCER: name,
        INTERVAL_MS: "50",
        SYNC: "true",
        PRODUCER_PROPS: props,
      },
      log,
    );
  const drivers = [
    producer(
      "acks1",
      acks1,
      "acks=1;enable.idempotence=false;retries=2147483647;delivery.timeout.ms=60000;request.timeout.ms=5000",
    ),
    producer(
      "acksall",
      acksAll,
      "acks=all;enable.idempotence=true;delivery.timeout.ms=15000;request.timeout.ms=5000",
    ),
  ];
  t.after(() => drivers.forEach((d) => d.kill("SIGKILL")));
  const acked = (name: string) =>
    log.all().filter((e) => e.service === name && e.data.history === "send" && e.data.ok === true).length;

  // Both replicas in sync while the producers start.
  await until(
    "20 acknowledged sends of each producer",
    async () => acked("acks1") >= 20 && acked("acksall") >= 20,
  );
  // The follower stops fetching; after replica.lag.time.max.ms the leader drops it from the ISR.
  process.kill(pid(3), "SIGSTOP");
  await until("the ISR of both partitions shrinking to the leader", async () => {
    const [a, b] = await Promise.all([partitionState(addr(1), acks1), partitionState(addr(1), acksAll)]);
    return a.isr.length === 1 && b.isr.length === 1;
  });
  // acks=1 goes on being acknowledged by the leader alone; acks=all cannot be (NOT_ENOUGH_REPLICAS).
  const before = acked("acks1");
  await until("20 more acknowledgements of the acks=1 producer", async () => acked("acks1") >= before + 20);
  await Promise.all(observers.map((o) => o.drain())); // the observer reads what the old leader holds
  // The leader dies; the follower comes back and is the only replica left.
  const leaderArgv = commandLine(pid(2));
  process.kill(pid(2), "SIGKILL");
  process.kill(pid(3), "SIGCONT");
  await until(
    "node 3 leading both partitions",
    async () => {
      const [a, b] = await Promise.all([partitionState(addr(1), acks1), partitionState(addr(1), acksAll)]);
      return a.leader === 3 && b.leader === 3;
    },
    180_000,
  );
  // The producers go on against the new leader, writing where the lost records were.
  const after = acked("acks1");
  await until("10 acknowledgements by the new leader", async () => acked("acks1") >= after + 10);
  await until("an error for the acks=all producer", async () =>
    log.all().some((e) => e.service === "acksall" && e.data.history === "send" && e.data.ok === false),
  );
  await stopDrivers(drivers);
  // The old leader comes back on its own log: it truncates what the new leader lacks and rejoins the
  // in-sync replicas, so the acks=all partition has enough of them to advance its high watermark again
  // (Kafka 4 holds it while the ISR is below min.insync.replicas).
  await restartNode(cluster, 2, leaderArgv);

  // Read both partitions to the new leader's high watermark.
  await until(
    `the observers reading the new leader`,
    async () => {
      await Promise.all(observers.map((o) => o.drain()));
      return observers.every((o) => o.lastDrainError?.() === undefined);
    },
    120_000,
    () => observers.map((o) => o.lastDrainError?.()).join("; "),
  );

  const truncations = log.all().filter((e) => e.type === "topic_truncated");
  const verdict = (topic: string) => {
    const { history, problems } = historyFromEvents(log.all(), {
      observedTopics: [acks1, acksAll],
      topics: [topic],
    });
    assert.deepEqual(problems, []);
    const v = checkHistory(history);
    process.stderr.write(`# ${describeVerdict(v)}\n`);
    return v;
  };
  const one = verdict(acks1);
  assert.ok(one.anomalies.lost.length > 0, "acks=1: acknowledged records are lost");
  assert.ok(
    one.anomalies.lost.every((e) => String(e.key).startsWith("acks1-") && e.offset !== undefined),
    "each lost record is named with its key and the offset it was acknowledged at",
  );
  assert.ok(one.counts.overwritten > 0, "the observer had read them before the election took them back");
  assert.ok(
    truncations.some((e) => e.data.topic === acks1),
    `the observer saw the acks=1 partition truncated: ${JSON.stringify(truncations.map((e) => e.data))}`,
  );
  assert.ok(one.anomalies.divergent.length > 0, "the new leader wrote other records at the lost offsets");

  const all = verdict(acksAll);
  assert.equal(all.anomalies.lost.length, 0, "acks=all, min.insync.replicas=2: nothing acknowledged is lost");
  assert.ok(all.counts.acked >= 20);
  assert.ok(
    all.counts.failed + all.counts.indeterminate > 0,
    "while the ISR was short the acks=all producer got errors instead of acknowledgements",
  );
});
