// Pieces of the nemesis tests that drive a private cluster from TypeScript: driver processes whose JSON
// lines become events, waiting for a cluster state, a node's partition state, restarting a killed node.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import kafkajsModule from "kafkajs";
import type { EventLog } from "../../../src/core/events.js";
import type { KafkaCluster } from "../../../src/launch/kafka-local/index.js";
import { spawnGuarded } from "../../../src/launch/process-guard/guarded-process.js";

const { Kafka, logLevel } = kafkajsModule;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a driver, appending each JSON line it prints to the log as a `stdout` event of `name`. */
export function runDriver(
  name: string,
  argv: string[],
  env: Record<string, string>,
  log: EventLog,
  parse: (line: string) => Record<string, unknown> = (line) => JSON.parse(line) as Record<string, unknown>,
): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      log.append("stdout", name, parse(line));
    } catch {
      log.append("stdout", name, { raw: line });
    }
  });
  child.stderr!.resume();
  return child;
}

/** Polls until `cond` holds (the cluster reaching a state the scenario needs); fails naming `what`. */
export async function until(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 120_000,
  why: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${why()}`);
    await sleep(250);
  }
}

/**
 * Starts a killed node again on its own config and data (what a restart after a crash does): the same
 * command line, read from /proc before it was killed. The cluster's stop() stops it like the others.
 */
export async function restartNode(cluster: KafkaCluster, nodeId: number, argv: string[]): Promise<void> {
  const old = cluster.processes[nodeId - 1]!;
  cluster.processes[nodeId - 1] = await spawnGuarded({
    command: argv[0]!,
    args: argv.slice(1),
    logFile: old.logFile,
    ownerPid: process.pid,
    stopSignal: old.stopSignal,
    graceMs: old.graceMs,
  });
}

export async function partitionState(
  broker: string,
  topic: string,
): Promise<{ leader: number; isr: number[] }> {
  const admin = new Kafka({
    clientId: "faultbox-test",
    brokers: [broker],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    const p = md.topics[0]!.partitions[0]!;
    return { leader: p.leader, isr: p.isr };
  } finally {
    await admin.disconnect();
  }
}

/** SIGTERM to every driver, and wait until they exited. */
export async function stopDrivers(drivers: ChildProcess[]): Promise<void> {
  for (const d of drivers) d.kill("SIGTERM");
  await Promise.all(
    drivers.map((d) => new Promise((r) => (d.exitCode !== null ? r(null) : d.once("exit", r)))),
  );
}

/** A process's command line (to start it again the same way after it was killed). */
export function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8")
    .split("\0")
    .filter((a) => a !== "");
}

/**
 * A Java console consumer's line printed with print.partition, print.offset and print.key
 * ("Partition:0\tOffset:5\tkey\tvalue") as a history read event.
 */
export function consoleRead(topic: string, group: string, consumer: string) {
  return (line: string): Record<string, unknown> => {
    const m = /^Partition:(\d+)\tOffset:(\d+)\t([^\t]*)\t(.*)$/.exec(line);
    if (!m) return { raw: line };
    const [, partition, offset, key, value] = m;
    return {
      history: "read",
      topic,
      partition: Number(partition),
      offset: Number(offset),
      key: key === "null" ? "" : key,
      value,
      group,
      consumer,
    };
  };
}
