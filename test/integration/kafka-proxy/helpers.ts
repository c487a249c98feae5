// Shared pieces of the proxy integration tests: a proxy per test, unique topics, and the clients
// (kafkajs in-process; Java console tools, kcat and kafka-python as child processes).
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Admin } from "kafkajs";
import {
  startKafkaProxy,
  type KafkaProxy,
  type KafkaProxyEvent,
} from "../../../src/protocols/kafka/proxy/index.js";
import { tool } from "../../support/tools.js";

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
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {},
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
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid ?? -1 });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Established TCP connections owned by process `pid` whose remote port is one of `ports` (from ss). */
export function connectionsOf(pid: number, ports: number[]): string[] {
  const out = execFileSync(tool("ss"), ["-tnpH", "state", "established"], { encoding: "utf8" });
  return out.split("\n").filter((line) => {
    if (!line.includes(`pid=${pid},`)) return false;
    const peer = line.trim().split(/\s+/)[3] ?? "";
    return ports.includes(Number(peer.slice(peer.lastIndexOf(":") + 1)));
  });
}

/** Watches a child process's sockets while it runs; returns the connections it made to `ports`. */
export function watchConnections(ports: number[]): { onSpawn: (pid: number) => void; stop: () => string[] } {
  const seen = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  return {
    onSpawn(pid) {
      timer = setInterval(() => {
        for (const c of connectionsOf(pid, ports)) seen.add(c);
      }, 100);
    },
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}

export const faults = (events: KafkaProxyEvent[], kind?: string) =>
  events.filter((e) => e.type === "fault" && (kind === undefined || e.kind === kind));
