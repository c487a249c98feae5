// Shared pieces of the proxy integration tests: a proxy per test, unique topics, and the clients
// (kafkajs in-process; Java console tools, kcat and kafka-python as child processes).
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  opts: {
    input?: string;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Rewrites the command line before it runs (watchConnections runs it under strace). */
    wrap?: (argv: string[]) => string[];
  } = {},
): Promise<RunResult & { pid: number }> {
  argv = opts.wrap ? opts.wrap(argv) : argv;
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
    // At the deadline the whole tree goes: a program run under strace would outlive a killed strace.
    const timer = setTimeout(() => {
      for (const pid of child.pid === undefined ? [] : descendantsOf(child.pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, pid: child.pid ?? -1 });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** The processes below `pid` (children, their children, ...), from /proc. */
export function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
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

/**
 * Records every TCP connect() a child process (and its threads and children) makes, under strace: pass
 * `wrap` to the client's run, then `stop()` gives the connect calls to one of `ports`. Unlike sampling
 * the process's sockets, no connection is missed however short it lives. `stop()` throws when the
 * traced program never ran, so "no direct connection" cannot pass because nothing was watched.
 */
export function watchConnections(ports: number[]): {
  wrap: (argv: string[]) => string[];
  stop: () => string[];
} {
  const file = join(tmpdir(), `faultbox-connects-${randomUUID()}.log`);
  let wrapped = false;
  return {
    wrap(argv) {
      wrapped = true;
      // --seccomp-bpf: only connect() stops the program, so a JVM runs at its usual speed.
      return [tool("strace"), "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-o", file, ...argv];
    },
    stop() {
      if (!wrapped) throw new Error("watchConnections: no client ran with its wrap");
      let log: string;
      try {
        log = readFileSync(file, "utf8");
      } catch (e) {
        throw new Error(`watchConnections: strace wrote no log (${(e as Error).message})`);
      } finally {
        rmSync(file, { force: true });
      }
      return log
        .split("\n")
        .filter((line) => /port=htons\((\d+)\)/.test(line))
        .filter((line) => ports.includes(Number(/port=htons\((\d+)\)/.exec(line)![1])));
    },
  };
}

export const faults = (events: KafkaProxyEvent[], kind?: string) =>
  events.filter((e) => e.type === "fault" && (kind === undefined || e.kind === kind));
