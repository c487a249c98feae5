// Kafka's own admin tools against a 3-node embedded cluster: kafka-topics (create, list, describe,
// delete), kafka-consumer-groups (list, describe with lag), kafka-get-offsets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startEmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { kafkaTool } from "../../support/index.js";
import { runCommand } from "../../support/run-command.js";

test("kafka-topics, kafka-consumer-groups and kafka-get-offsets work against the embedded cluster", async () => {
  const k = await startEmbeddedKafka({
    brokers: 3,
    topics: [
      {
        name: "seeded",
        partitions: 3,
        messages: [
          { value: "a", partition: 0 },
          { value: "b", partition: 1 },
        ],
      },
    ],
  });
  const tool = async (name: string, ...args: string[]): Promise<string> => {
    const r = await runCommand([...(await kafkaTool(name)), "--bootstrap-server", k.bootstrap, ...args], {
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, `${name} ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  try {
    assert.match(
      await tool("kafka-topics", "--create", "--topic", "made", "--partitions", "2"),
      /Created topic made/,
    );
    assert.deepEqual((await tool("kafka-topics", "--list")).trim().split("\n").sort(), ["made", "seeded"]);
    const described = await tool("kafka-topics", "--describe", "--topic", "seeded");
    assert.match(described, /Topic: seeded\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1/);
    const leaders = [...described.matchAll(/Partition: (\d)\tLeader: (\d)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.deepEqual(
      leaders,
      [0, 1, 2].map((p) => [p, k.leaderOf("seeded", p)]),
    );

    await tool(
      "kafka-console-consumer",
      "--topic",
      "seeded",
      "--group",
      "readers",
      "--from-beginning",
      "--max-messages",
      "2",
    );
    assert.deepEqual((await tool("kafka-consumer-groups", "--list")).trim().split("\n"), ["readers"]);
    const lag = await tool("kafka-consumer-groups", "--describe", "--group", "readers");
    const rows = [...lag.matchAll(/^readers\s+seeded\s+(\d)\s+(\d+)\s+(\d+)\s+(\d+)/gm)].map((m) =>
      m.slice(1).map(Number),
    );
    assert.deepEqual(
      rows.sort(),
      [
        [0, 1, 1, 0],
        [1, 1, 1, 0],
        [2, 0, 0, 0],
      ].sort(),
      "committed = end offsets, lag 0",
    );

    assert.deepEqual((await tool("kafka-get-offsets", "--topic", "seeded")).trim().split("\n"), [
      "seeded:0:1",
      "seeded:1:1",
      "seeded:2:0",
    ]);
    await tool("kafka-topics", "--delete", "--topic", "made");
    assert.deepEqual((await tool("kafka-topics", "--list")).trim().split("\n"), ["seeded"]);
  } finally {
    await k.close();
  }
});
