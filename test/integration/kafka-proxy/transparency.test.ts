// With no rules the proxy is invisible: every client produces and consumes through it, on one node and
// on a 3-node cluster, Kafka 4 and 3.9, and no client connection reaches a broker directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useKafka } from "../../support/index.js";
import { duplicate } from "../../../src/protocols/kafka/rules/index.js";
import {
  connectionsOf,
  createTopic,
  kafkajs,
  proxyFor,
  readAll,
  run,
  uniqueTopic,
  watchConnections,
} from "./helpers.js";
import { javaClient, kafkajsClient, kcatClient, pythonClient, type Client } from "./clients.js";
import { tool } from "../../support/tools.js";

async function roundTrip(
  client: Client,
  nodes: 1 | 3,
  version: "4" | "3.9",
  partitions: number,
): Promise<void> {
  const kafka = await useKafka({ nodes, version });
  const brokerPorts = kafka.brokers.map((b) => b.port);
  const { proxy, events } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic(`tr-${client.name}`);
    await createTopic(proxy.bootstrap, topic, partitions, nodes);
    const lines = ["a:1", "b:2", "c:3", "d:4", "e:5", "f:6"];
    const producerWatch = watchConnections(brokerPorts);
    const sent = await client.produce(proxy.bootstrap, topic, lines, { wrap: producerWatch.wrap });
    assert.ok(sent.ok, sent.output);
    const consumerWatch = watchConnections(brokerPorts);
    const got = await client.consume(proxy.bootstrap, topic, lines.length, {
      wrap: consumerWatch.wrap,
    });
    assert.deepEqual(
      [...got].sort(),
      ["1", "2", "3", "4", "5", "6"],
      `${client.name} consumer; proxy events: ${JSON.stringify(events.filter((e) => e.type !== "connection"))}`,
    );
    if (client.external) {
      assert.deepEqual(producerWatch.stop(), [], "the producer connected to a broker directly");
      assert.deepEqual(consumerWatch.stop(), [], "the consumer connected to a broker directly");
    }
    // Every broker the clients learnt about is one of the proxy's listeners, one per node.
    assert.equal(proxy.nodes.size, nodes);
    assert.equal(
      events.filter((e) => e.type === "malformed" || e.type === "warning").length,
      0,
      JSON.stringify(events.filter((e) => e.type === "malformed" || e.type === "warning")),
    );
  } finally {
    await proxy.close();
  }
}

for (const client of [
  kafkajsClient,
  javaClient("4"),
  javaClient("4", "consumer"),
  kcatClient,
  pythonClient,
]) {
  test(`transparent for ${client.name} on a single Kafka 4 node`, () => roundTrip(client, 1, "4", 1));
}

test("transparent on a 3-node Kafka 4 cluster for kafkajs, the Java tools and kcat; clients only see proxy addresses", async () => {
  for (const client of [kafkajsClient, javaClient("4"), kcatClient]) await roundTrip(client, 3, "4", 3);

  const kafka = await useKafka({ nodes: 3, version: "4" });
  const { proxy } = await proxyFor(kafka.bootstrap);
  try {
    const admin = kafkajs(proxy.bootstrap).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    const proxyAddresses = new Set(proxy.nodes.values());
    assert.equal(cluster.brokers.length, 3);
    for (const b of cluster.brokers)
      assert.ok(proxyAddresses.has(`${b.host}:${b.port}`), `${b.host}:${b.port} is not a proxy listener`);
    // In-process: this test's own sockets to brokers are exactly the proxy's upstream connections.
    const direct = connectionsOf(
      process.pid,
      kafka.brokers.map((b) => b.port),
    );
    assert.ok(direct.length <= proxy.stats.connectionsActive, direct.join("\n"));
  } finally {
    await proxy.close();
  }
});

test("transparent on Kafka 3.9 for the Java 3.9 tools and kafkajs", async () => {
  for (const client of [javaClient("3.9"), kafkajsClient]) await roundTrip(client, 1, "3.9", 2);
});

test("acks=0 producers are relayed without a response slot, also with a duplicate rule", async () => {
  const kafka = await useKafka({ nodes: 1, version: "4" });
  const { proxy } = await proxyFor(kafka.bootstrap);
  try {
    const topic = uniqueTopic("acks0");
    await createTopic(proxy.bootstrap, topic);
    proxy.setRules([duplicate({ topic, key: "dup" })]);
    const r = await run(
      [
        tool("kcat"),
        "-P",
        "-b",
        proxy.bootstrap,
        "-t",
        topic,
        "-K:",
        "-X",
        "acks=0",
        "-X",
        "batch.num.messages=1",
        "-X",
        "linger.ms=0",
      ],
      {
        input: "a:1\ndup:2\nb:3\n",
        timeoutMs: 30000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    proxy.clearRules();
    assert.deepEqual(await readAll(proxy.bootstrap, topic, 4), ["1", "2", "2", "3"]);
  } finally {
    await proxy.close();
  }
});
