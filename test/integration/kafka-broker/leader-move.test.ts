// Leader moves under running consumers: a Java console consumer and a kcat group consumer read half the
// records, every partition's leader moves to another node (the old leader answers
// NOT_LEADER_OR_FOLLOWER from then on), the rest is produced, and each consumer must follow the new
// leaders and read it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startEmbeddedKafka, type EmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { kafkaTool } from "../../support/index.js";
import { kafkajs } from "./clients.js";
import { tool } from "../../support/tools.js";

/** Runs a consumer, calls `midway` once it printed `half` lines, resolves with all lines at exit. */
function consumeAcrossMove(argv: string[], half: number, midway: () => Promise<void>): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let buffered = "";
    let stderr = "";
    let movedOnce = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
      if (!movedOnce && lines.length >= half) {
        movedOnce = true;
        midway().catch(reject);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${argv[0]} exited with ${code}:\n${stderr}`));
      else resolve(lines);
    });
  });
}

function moveEveryLeader(k: EmbeddedKafka, topic: string, partitions: number): void {
  for (let p = 0; p < partitions; p++) {
    const from = k.leaderOf(topic, p);
    k.moveLeader(topic, p, (from % k.brokers.length) + 1);
    assert.notEqual(k.leaderOf(topic, p), from);
  }
}

const consumers: { name: string; argv: (bootstrap: string, n: number) => Promise<string[]> }[] = [
  {
    name: "java console consumer",
    argv: async (bootstrap, n) => [
      ...(await kafkaTool("kafka-console-consumer")),
      "--bootstrap-server",
      bootstrap,
      "--topic",
      "moving",
      "--group",
      "java-movers",
      "--from-beginning",
      "--max-messages",
      String(n),
      "--timeout-ms",
      "60000",
    ],
  },
  {
    name: "kcat group consumer",
    argv: async (bootstrap, n) => [
      tool("kcat"),
      "-u", // unbuffered: the test reacts to the first half of the output
      "-b",
      bootstrap,
      "-G",
      "kcat-movers",
      "-X",
      "auto.offset.reset=earliest",
      "-X",
      "topic.metadata.refresh.interval.ms=1000",
      "-c",
      String(n),
      "-q",
      "-f",
      "%s\n",
      "moving",
    ],
  },
];

for (const consumer of consumers) {
  test(`a ${consumer.name} follows partition leaders moved while it reads (3 nodes)`, async () => {
    const k = await startEmbeddedKafka({ brokers: 3, topics: [{ name: "moving", partitions: 3 }] });
    try {
      const first = [0, 1, 2, 3, 4, 5].map((i) => `before-${i}`);
      const second = [0, 1, 2, 3, 4, 5].map((i) => `after-${i}`);
      await kafkajs.produce(k.bootstrap, "moving", first);
      const got = await consumeAcrossMove(await consumer.argv(k.bootstrap, 12), first.length, async () => {
        moveEveryLeader(k, "moving", 3);
        await kafkajs.produce(k.bootstrap, "moving", second);
      });
      assert.deepEqual([...got].sort(), [...first, ...second].sort());
    } finally {
      await k.close();
    }
  });
}
