// Shared pieces of the proxy integration tests: a proxy per test, unique topics, and the clients
// (kafkajs in-process; Java console tools, kcat and kafka-python as child processes).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Admin } from "kafkajs";
import {
  startKafkaProxy,
  type KafkaProxy,
  type KafkaProxyEvent,
} from "../../../src/protocols/kafka/proxy/index.js";

export interface ProxyUnderTest {
  proxy: KafkaProxy;
  events: KafkaProxyEvent[];
}

export async function proxyFor(upstreamBootstrap: string, seed = 1): Promise<ProxyUnderTest> {
  const events: KafkaProxyEvent[] = [];
  const proxy = await startKafkaProxy({
    upstream: upstreamBootstrap.split(",")[0]!,
    seed,
    onEvent: (e) => events.push(e),
  });
  return { proxy, events };
}

export const uniqueTopic = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export function kafkajs(bootstrap: string, clientId = "faultbox-test"): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

export async function createTopic(
  bootstrap: string,
  topic: string,
  partitions = 1,
  replicationFactor = 1,
): Promise<void> {
  const admin: Admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Reads every record of a topic from the beginning with a fresh kafkajs consumer group. */
export async function readAll(
  bootstrap: string,
  topic: string,
  expectAtLeast: number,
  timeoutMs = 20000,
): Promise<string[]> {
  const consumer = kafkajs(bootstrap).consumer({
    groupId: `g-${randomUUID()}`,
    sessionTimeout: 10000,
    heartbeatInterval: 500,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => resolve(), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString() ?? "");
            if (values.length >= expectAtLeast) {
              clearTimeout(timer);
              // Give a duplicate or an unexpected extra record a chance to show up too.
              setTimeout(resolve, 1500);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command, feeding `input` on stdin; kills it after `timeoutMs`. */
export function run(
  argv: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult & { pid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid ?? -1 });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Ports of established TCP connections whose remote end is one of `ports` (loopback, from /proc). */
export async function connectionsTo(ports: number[]): Promise<number> {
  const { readFileSync } = await import("node:fs");
  let n = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== "01") continue; // ESTABLISHED
      const remotePort = parseInt(cols[2]!.split(":")[1]!, 16);
      if (ports.includes(remotePort)) n++;
    }
  }
  return n;
}

export const faults = (events: KafkaProxyEvent[], kind?: string) =>
  events.filter((e) => e.type === "fault" && (kind === undefined || e.kind === kind));
