// Issue 13's leader show, on a private 3-node Apache Kafka 4 cluster: the leader of a partition (RF 3,
// min.insync.replicas=2) is cut off from everyone: paused with SIGSTOP, it neither answers clients nor
// heartbeats to the controller, as behind a network partition. The controller fences it and moves the
// leadership to an in-sync follower; a Java producer (idempotent, acks=all) and a Java console consumer
// group reach the cluster only through faultbox's Kafka proxy, and follow the new leader through it.
// (kafkajs 2.2.4 with its defaults does not: its send to a stalled leader never returns, through the
// proxy or direct, so it is not part of this show; with a short request timeout and metadata age it
// follows an isolated leader: kafka-cluster/specs/partition-kafkajs.spec.ts.) When the old leader comes back it truncates to the new leader's log. With acks=all
// nothing acknowledged is lost, and the group skips nothing. The same scenario with the links cut
// instead of the process paused (kafka_cluster's link gates, isolate()) is
// test/integration/kafka-cluster/specs/partition.spec.ts, with Java and librdkafka producers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { startKafka } from "../../../src/launch/kafka-local/index.js";
import { EventLog } from "../../../src/core/events.js";
import { checkHistory, describeVerdict, historyFromEvents } from "../../../src/core/history/index.js";
import { startKafkaProxy } from "../../../src/protocols/kafka/proxy/index.js";
import { startObserver } from "../kafka-spec/observer.js";
import { kafkaTool } from "../../support/index.js";
import { JAVA_PRODUCER, javaSourceCommand } from "./drivers.js";
import { consoleRead, partitionState, runDriver, stopDrivers, until } from "./nemesis.js";
import { createTopics } from "./topics.js";

test("3-node Kafka: the isolated leader loses its leadership, clients follow through the proxy, acks=all loses nothing", async (t) => {
  const cluster = await startKafka({
    nodes: 3,
    version: "4",
    serverProperties: { "broker.session.timeout.ms": "6000", "broker.heartbeat.interval.ms": "1000" },
  });
  t.after(() => cluster.stop());
  const addr = (nodeId: number) => {
    const b = cluster.brokers.find((x) => x.nodeId === nodeId)!;
    return `${b.host}:${b.port}`;
  };
  const topic = `isolated-${randomBytes(3).toString("hex")}`;
  // Node 2 leads; nodes 3 and 1 follow. Node 1 stays the bootstrap of the proxy and the observer.
  await createTopics([1, 2, 3].map(addr), [
    { topic, assignments: [[2, 3, 1]], config: { "min.insync.replicas": "2" } },
  ]);
  const proxy = await startKafkaProxy({ upstream: addr(1), seed: 1, onEvent: () => undefined });
  t.after(() => proxy.close());
  const log = new EventLog();
  const observer = await startObserver(
    { host: "127.0.0.1", port: Number(addr(1).split(":")[1]) },
    topic,
    log,
  );
  t.after(() => observer.stop());

  const java = await javaSourceCommand();
  const common = {
    KAFKA_BROKERS: proxy.bootstrap,
    TOPIC: topic,
    INTERVAL_MS: "50",
    REQUEST_TIMEOUT_MS: "5000",
  };
  const group = `${topic}-g`;
  const drivers = [
    runDriver(
      "java",
      [...java, JAVA_PRODUCER],
      {
        ...common,
        PRODUCER: "java",
        SYNC: "true",
        PRODUCER_PROPS: "acks=all;enable.idempotence=true;delivery.timeout.ms=60000;request.timeout.ms=5000",
      },
      log,
    ),
    runDriver(
      "reader",
      [
        ...(await kafkaTool("kafka-console-consumer", "4")),
        "--bootstrap-server",
        proxy.bootstrap,
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--property",
        "print.partition=true",
        "--property",
        "print.offset=true",
        "--property",
        "print.key=true",
        "--consumer-property",
        "request.timeout.ms=5000",
      ],
      {},
      log,
      consoleRead(topic, group, "reader"),
    ),
  ];
  t.after(() => drivers.forEach((d) => d.kill("SIGKILL")));
  const acked = (name: string) =>
    log.all().filter((e) => e.service === name && e.data.history === "send" && e.data.ok === true).length;
  const read = () => log.all().filter((e) => e.service === "reader" && e.data.history === "read").length;

  await until(
    "20 acknowledgements, and reads",
    async () => acked("java") >= 20 && read() >= 20,
    120_000,
    () =>
      JSON.stringify(
        log
          .all()
          .slice(-3)
          .map((e) => [e.service, e.data]),
      ),
  );
  process.kill(cluster.processes[1]!.pid, "SIGSTOP");
  t.after(() => {
    try {
      process.kill(cluster.processes[1]!.pid, "SIGCONT");
    } catch {
      // gone
    }
  });
  await until("the leadership moving off node 2", async () => {
    const p = await partitionState(addr(1), topic);
    return p.leader !== 2 && p.leader >= 0;
  });
  const moved = { java: acked("java"), read: read() };
  await until(
    "20 more acknowledgements and 20 more reads, by the new leader",
    async () => acked("java") >= moved.java + 20 && read() >= moved.read + 20,
    180_000,
    () =>
      `(java ${moved.java} -> ${acked("java")}, reads ${moved.read} -> ${read()}; ` +
      `last lines: ${JSON.stringify(
        log
          .all()
          .slice(-5)
          .map((e) => [e.service, e.data]),
      )})`,
  );
  // The old leader comes back, learns it is a follower, truncates and catches up.
  process.kill(cluster.processes[1]!.pid, "SIGCONT");
  await until("node 2 back in the in-sync replicas", async () =>
    (await partitionState(addr(1), topic)).isr.includes(2),
  );
  await stopDrivers(drivers.slice(0, 1));
  const sent = acked("java");
  await until("the group reading every acknowledged record", async () => read() >= sent);
  await stopDrivers(drivers.slice(1));
  await until("the observer reading to the high watermark", async () => {
    await observer.drain();
    return observer.lastDrainError?.() === undefined;
  });

  const { history, problems } = historyFromEvents(log.all(), { observedTopics: [topic] });
  assert.deepEqual(problems, []);
  const v = checkHistory(history);
  process.stderr.write(`# ${describeVerdict(v)}\n`);
  assert.equal(v.anomalies.lost.length, 0, "nothing acknowledged is lost");
  assert.equal(v.anomalies.skipped.length, 0, "the group skips nothing");
  assert.equal(
    v.anomalies.divergent.length,
    0,
    "no offset held two records: the leader that was cut off wrote none alone",
  );
  assert.ok(v.counts.acked >= 40);
  // The producer is idempotent: whatever its retries during the move, each record is stored once.
  assert.equal(v.anomalies.duplicated.length, 0);
});
