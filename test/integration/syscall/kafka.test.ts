// The Kafka JVM under the supervisor: every JVM thread inherits the filter, so a write fault on a
// topic's partition files makes a publish fail. The broker's argv is built from the pieces of
// src/launch/kafka-local (which spawns brokers itself and has no hook for a wrapper).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { resolveKafka } from "../../../src/launch/kafka-local/index.js";
import { clusterId } from "../../../src/launch/kafka-local/start.js";
import { loggingFlags } from "../../../src/launch/kafka-local/resolve.js";
import { serverProperties } from "../../../src/launch/kafka-local/server-properties.js";
import { kafkaToolMainClass } from "../../../src/launch/kafka-local/versions.js";
import { freePorts, LOOPBACK } from "../../../src/launch/process-guard/free-port.js";
import {
  deny,
  launchSupervised,
  op,
  rule,
  syscallFaultsSupported,
  type SupervisedProcess,
  type SyscallFaultEvent,
} from "../../../src/syscall/index.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;

let broker: SupervisedProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), "faultbox-kafka-syscall-"));
after(async () => {
  await broker?.close({ graceMs: 3000 });
  rmSync(dir, { recursive: true, force: true });
});

async function retry<T>(what: string, fn: () => Promise<T>, limitMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() - start > limitMs) throw new Error(`${what}: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

test(
  "a Kafka broker under a write fault on a partition's files fails a publish",
  { skip, timeout: 240_000 },
  async () => {
    const install = await resolveKafka(undefined, process.env);
    const [brokerPort, controllerPort] = await freePorts(2);
    const node = { nodeId: 1, brokerPort: brokerPort!, controllerPort: controllerPort! };
    const data = join(dir, "data");
    mkdirSync(data);
    const props = join(dir, "server.properties");
    writeFileSync(props, serverProperties(node, [node], LOOPBACK, data, install.release));
    const java = install.java.path;
    const cp = ["-cp", install.classpath];
    execFileSync(
      java,
      [
        "-Xmx128m",
        "-XX:+UseSerialGC",
        ...loggingFlags(install, install.toolLogConfig),
        ...cp,
        kafkaToolMainClass("kafka-storage", install.release),
        "format",
        "-t",
        clusterId(),
        "-c",
        props,
      ],
      { stdio: "ignore" },
    );

    const events: SyscallFaultEvent[] = [];
    let log = "";
    broker = await launchSupervised({
      argv: [
        java,
        "-Xmx384m",
        "-XX:+UseG1GC",
        "-XX:-UsePerfData",
        ...loggingFlags(install, install.brokerLogConfig),
        ...cp,
        kafkaToolMainClass("kafka-server", install.release),
        props,
      ],
      syscalls: ["write"],
      stdio: ["ignore", "pipe", "pipe"],
      onEvent: (e) => events.push(e),
    });
    const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20_000));
    broker.child.stdout!.on("data", keep);
    broker.child.stderr!.on("data", keep);

    const kafka = new Kafka({
      clientId: "faultbox-syscall-test",
      brokers: [`${LOOPBACK}:${brokerPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2, initialRetryTime: 200 },
    });
    const admin = kafka.admin();
    await retry("broker startup", () => admin.connect(), 120_000);
    await retry(
      "topic creation",
      () => admin.createTopics({ topics: [{ topic: "orders", numPartitions: 1 }] }),
      60_000,
    );
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await retry(
      "first publish",
      () => producer.send({ topic: "orders", acks: -1, messages: [{ value: "one" }] }),
      60_000,
    );

    await broker.setRules([
      rule(op({ syscalls: ["write"], path: `${data}/orders-*/**` }), deny("EIO", { label: "segment" })),
    ]);
    await assert.rejects(
      producer.send({ topic: "orders", acks: -1, timeout: 5000, messages: [{ value: "two" }] }),
      (err: unknown) => err instanceof Error,
    );
    const stats = await broker.clearRules();
    await producer.disconnect().catch(() => {});

    assert.ok(stats[0]!.fires > 0, `the rule fired; broker log tail:\n${log.slice(-3000)}`);
    const hit = events.find((e) => e.errno === "EIO");
    assert.ok(hit && hit.pid === broker.pid && hit.path!.startsWith(`${data}/orders-0/`));
    // A JVM writes its log segments from request-handler threads, not its main thread.
    assert.notEqual(hit.tid, broker.pid);
  },
);
