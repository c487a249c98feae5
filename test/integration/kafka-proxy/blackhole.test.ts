// blackhole(client_id=) against real Kafka 4, with the Java client, librdkafka and kafkajs: one of two
// consumers of a group goes silent, the broker evicts it when its session times out and its partition
// moves to the other member (read from the broker's own view of the group); records written then are
// read by the survivor only. When the rule is removed (the fault window closes), the proxy closes the
// silenced connections, the consumer rejoins and reads again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { kafkaTool, useKafka } from "../../support/index.js";
import { tool } from "../../support/tools.js";
import { blackhole } from "../../../src/protocols/kafka/rules/index.js";
import { createTopic, faults, kafkajs, proxyFor, uniqueTopic } from "./helpers.js";
import { eventually, startProcess } from "./live-process.js";
import { groupAssignment, produceDirect } from "./response-clients.js";

/** A group member printing "Partition:P\tVALUE" per record it reads. */
interface Member {
  output(): string;
  stop(): Promise<void>;
}

// The shortest session the broker allows (group.min.session.timeout.ms), so eviction comes soon.
const SESSION_MS = "6000";
const HEARTBEAT_MS = "1000";

const members: Record<
  string,
  (bootstrap: string, topic: string, group: string, clientId: string) => Promise<Member>
> = {
  java: async (bootstrap, topic, group, clientId) =>
    startProcess([
      ...(await kafkaTool("kafka-console-consumer", "4")),
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--group",
      group,
      "--from-beginning",
      "--property",
      "print.partition=true",
      "--consumer-property",
      `client.id=${clientId}`,
      "--consumer-property",
      `session.timeout.ms=${SESSION_MS}`,
      "--consumer-property",
      `heartbeat.interval.ms=${HEARTBEAT_MS}`,
    ]),
  // confluent-kafka (librdkafka 2.0.2); not kcat, which exits when all its connections drop at once.
  librdkafka: async (bootstrap, topic, group, clientId) =>
    startProcess(
      [
        tool("python-confluent-kafka"),
        fileURLToPath(new URL("./python/group_member.py", import.meta.url)),
        bootstrap,
        topic,
        group,
        clientId,
        SESSION_MS,
        HEARTBEAT_MS,
      ],
      { env: { GROUP_MEMBER_DEBUG: "1" } },
    ),
  kafkajs: async (bootstrap, topic, group, clientId) => {
    let out = "";
    const consumer = kafkajs(bootstrap, clientId).consumer({
      groupId: group,
      sessionTimeout: Number(SESSION_MS),
      heartbeatInterval: Number(HEARTBEAT_MS),
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        out += `Partition:${partition}\t${message.value?.toString()}\n`;
      },
    });
    return { output: () => out, stop: () => consumer.disconnect() };
  },
};

const read = (m: Member, value: string) => m.output().includes(`\t${value}\n`);

for (const [client, start] of Object.entries(members)) {
  test(`${client}: a blackholed consumer is evicted by session timeout, its partition moves to the other member, and it rejoins when the window closes`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    const topic = uniqueTopic(`blackhole-${client}`);
    const group = `g-${randomUUID().slice(0, 8)}`;
    const victimId = `victim-${client}-${randomUUID().slice(0, 6)}`;
    const survivorId = `survivor-${client}-${randomUUID().slice(0, 6)}`;
    const started: Member[] = [];
    try {
      await createTopic(kafka.bootstrap, topic, 2);
      const victim = await start(proxy.bootstrap, topic, group, victimId);
      started.push(victim);
      const survivor = await start(proxy.bootstrap, topic, group, survivorId);
      started.push(survivor);
      const view = () => groupAssignment(kafka.bootstrap, group, topic);
      const both = await eventually("both members to hold one partition each", async () => {
        const g = await view();
        return g.state === "Stable" &&
          g.members.get(victimId)?.length === 1 &&
          g.members.get(survivorId)?.length === 1
          ? g
          : undefined;
      });
      assert.equal(both.members.size, 2);
      // Each member reads from its partition before the fault: a consumer silenced while it still
      // fetches its committed offsets, right after an assignment, may stay idle after the window
      // (librdkafka 2.0.2 does).
      await produceDirect(kafka.bootstrap, topic, [
        { value: "ready-0", partition: 0 },
        { value: "ready-1", partition: 1 },
      ]);
      await eventually("each member to read its partition", () =>
        (read(victim, "ready-0") || read(victim, "ready-1")) &&
        (read(survivor, "ready-0") || read(survivor, "ready-1"))
          ? true
          : undefined,
      );

      proxy.setRules([blackhole({ clientId: victimId })]);
      const evicted = await eventually("the victim's eviction", async () => {
        const g = await view();
        return g.state === "Stable" && !g.members.has(victimId) && g.members.get(survivorId)?.length === 2
          ? g
          : undefined;
      });
      assert.deepEqual(
        [...evicted.members.entries()],
        [[survivorId, [0, 1]]],
        "the survivor holds both partitions",
      );
      await produceDirect(kafka.bootstrap, topic, [
        { value: "during-0", partition: 0 },
        { value: "during-1", partition: 1 },
      ]);
      await eventually("the survivor to read both partitions", () =>
        read(survivor, "during-0") && read(survivor, "during-1") ? true : undefined,
      );
      assert.ok(!read(victim, "during-0") && !read(victim, "during-1"), "the silenced consumer read nothing");
      const silenced = faults(events, "blackhole");
      assert.ok(silenced.length >= 1, "a connection was silenced");
      assert.ok(proxy.stats.requestsSwallowed >= silenced.length);

      // The window closes: the silenced connections are closed, the consumer reconnects and rejoins.
      proxy.clearRules();
      let lastView = "";
      await eventually("the victim to rejoin", async () => {
        const g = await view();
        lastView = `${g.state} ${JSON.stringify([...g.members.entries()])}`;
        return g.state === "Stable" &&
          g.members.get(victimId)?.length === 1 &&
          g.members.get(survivorId)?.length === 1
          ? g
          : undefined;
      }).catch((e: Error) => {
        throw new Error(
          `${e.message}; the group: ${lastView}; the victim's output (tail):\n${victim.output().slice(-6000)}`,
        );
      });
      await produceDirect(kafka.bootstrap, topic, [
        { value: "after-0", partition: 0 },
        { value: "after-1", partition: 1 },
      ]);
      await eventually("the victim to read again", () =>
        read(victim, "after-0") || read(victim, "after-1") ? true : undefined,
      );
    } finally {
      await Promise.all(started.map((m) => m.stop().catch(() => undefined)));
      await proxy.close();
    }
  });
}
