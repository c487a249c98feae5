// Two Java console consumers in one group on a 3-node cluster: they split the partitions (each record
// read once), and when one leaves the other is given every partition and reads what follows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { startEmbeddedKafka, type EmbeddedKafka } from "../../../src/protocols/kafka/broker/index.js";
import { kafkaTool } from "../../support/index.js";
import { kafkajs } from "./clients.js";

interface Running {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

async function javaConsumer(bootstrap: string): Promise<Running> {
  const argv = [
    ...(await kafkaTool("kafka-console-consumer")),
    "--bootstrap-server",
    bootstrap,
    "--topic",
    "shared",
    "--group",
    "pair",
    "--from-beginning",
    "--consumer-property",
    "session.timeout.ms=10000",
    "--consumer-property",
    "heartbeat.interval.ms=500",
  ];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buffered += d;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
  });
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, lines, exited };
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stable = (k: EmbeddedKafka, members: number) => () =>
  k.group("pair")?.state === "Stable" && k.group("pair")?.members.length === members;

test("two Java consumers share a group's partitions, and the survivor takes them all when one leaves", async () => {
  const k = await startEmbeddedKafka({ brokers: 3, topics: [{ name: "shared", partitions: 4 }] });
  const a = await javaConsumer(k.bootstrap);
  let b: Running | undefined;
  try {
    await until("the first consumer to join", stable(k, 1));
    b = await javaConsumer(k.bootstrap);
    await until("both consumers in a stable group", stable(k, 2));
    assert.ok(k.group("pair")!.generationId >= 2, "the second member caused a rebalance");

    const first = Array.from({ length: 40 }, (_, i) => `first-${i}`);
    await kafkajs.produce(k.bootstrap, "shared", first);
    await until("the first 40 records", () => a.lines.length + b!.lines.length >= 40);
    assert.deepEqual([...a.lines, ...b.lines].sort(), [...first].sort(), "each record read once");
    assert.ok(
      a.lines.length > 0 && b.lines.length > 0,
      `both members read (${a.lines.length} / ${b.lines.length})`,
    );

    b.child.kill("SIGTERM"); // the console consumer closes: LeaveGroup
    await b.exited;
    await until("the survivor alone in a stable group", stable(k, 1));
    const second = Array.from({ length: 20 }, (_, i) => `second-${i}`);
    await kafkajs.produce(k.bootstrap, "shared", second);
    await until(
      "the survivor to read the next 20",
      () => a.lines.filter((l) => l.startsWith("second-")).length >= 20,
    );
    assert.deepEqual(a.lines.filter((l) => l.startsWith("second-")).sort(), [...second].sort());
  } finally {
    a.child.kill("SIGKILL");
    b?.child.kill("SIGKILL");
    await k.close();
  }
});
