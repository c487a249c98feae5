// A real multi-broker Kafka cluster as a spec service: `load("@faultbox/kafka.star", "kafka_cluster")`
// and `kafka_cluster("kafka", nodes=3, min_insync_replicas=2, config={...})` declare a service with the
// pseudo-image KAFKA_CLUSTER_IMAGE and its settings as JSON in KAFKA_CLUSTER_ENV; this image substitute
// starts a local KRaft cluster (launch/kafka-local: every node a broker and a controller) whose
// inter-broker traffic crosses link gates of ours (./links.ts). The service's nodes are Kafka's node ids
// 1..n: service actions act on one (`kafka.node(2).kill()`, `kafka.leader(topic="t").pause()`) or all.
// Clients reach the cluster through the service's proxy as for one broker: its bootstrap fails over to
// the next broker while one is down, and every broker's address in Metadata is a listener of the proxy.
import { existsSync, readFileSync } from "node:fs";
import type { LaunchRequest, RunningProcess } from "../../../core/launcher.js";
import type { ImageSubstitute } from "../../../launch/image-substitutes.js";
import { startKafka, type KafkaCluster } from "../../../launch/kafka-local/index.js";
import { freePorts, LOOPBACK } from "../../../launch/process-guard/free-port.js";
import { clusterProcess } from "../plugin/local-broker.js";
import { openLinks, type ClusterLinks } from "./links.js";

export const KAFKA_CLUSTER_IMAGE = "faultbox/kafka-cluster";
export const KAFKA_CLUSTER_ENV = "FAULTBOX_KAFKA_CLUSTER";
const MAX_NODES = 9;

export interface KafkaClusterSettings {
  nodes: number;
  version: string;
  /** default.replication.factor (topics created without one, auto-created topics). */
  replicationFactor: number;
  minInsyncReplicas?: number;
  partitions: number;
  /** Broker config overrides, applied last, on every node. */
  config: Record<string, string>;
  /** Inter-broker traffic through link gates (needed for isolate(), cut() and rules on a link). */
  links: boolean;
}

/** Reads the settings kafka.star wrote (or a TypeScript spec's kafkaCluster()), with errors naming the service. */
export function parseClusterSettings(service: string, json: string | undefined): KafkaClusterSettings {
  const where = `service "${service}" (Kafka cluster)`;
  let raw: Record<string, unknown>;
  try {
    raw = json ? (JSON.parse(json) as Record<string, unknown>) : {};
  } catch (e) {
    throw new Error(`${where}: ${KAFKA_CLUSTER_ENV} is not valid JSON: ${(e as Error).message}`);
  }
  const known = [
    "nodes",
    "version",
    "replicationFactor",
    "minInsyncReplicas",
    "partitions",
    "config",
    "links",
  ];
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new Error(`${where}: unknown setting "${k}"; valid: ${known.join(", ")}`);
  }
  const int = (v: unknown, name: string, dflt: number | undefined, max?: number): number | undefined => {
    if (v === undefined || v === null) return dflt;
    if (!Number.isInteger(v) || (v as number) < 1 || (max !== undefined && (v as number) > max))
      throw new Error(
        `${where}: ${name}= must be an int from 1${max !== undefined ? ` to ${max}` : ""}, got ${JSON.stringify(v)}`,
      );
    return v as number;
  };
  const nodes = int(raw.nodes, "nodes", 3, MAX_NODES)!;
  const replicationFactor = int(raw.replicationFactor, "replication_factor", Math.min(3, nodes))!;
  if (replicationFactor > nodes)
    throw new Error(
      `${where}: replication_factor=${replicationFactor} needs at least that many nodes (nodes=${nodes})`,
    );
  const minInsyncReplicas = int(raw.minInsyncReplicas, "min_insync_replicas", undefined);
  if (minInsyncReplicas !== undefined && minInsyncReplicas > replicationFactor)
    throw new Error(
      `${where}: min_insync_replicas=${minInsyncReplicas} is more than replication_factor=${replicationFactor}: no produce with acks=all could succeed`,
    );
  const config: Record<string, string> = {};
  const rawConfig = raw.config ?? {};
  if (typeof rawConfig !== "object" || rawConfig === null || Array.isArray(rawConfig))
    throw new Error(
      `${where}: config= must be a dict of broker settings, e.g. {"unclean.leader.election.enable": "true"}`,
    );
  for (const [k, v] of Object.entries(rawConfig)) {
    if (!/^[a-z][a-z0-9._-]*$/.test(k))
      throw new Error(
        `${where}: config key "${k}" is not a broker setting name (like "replica.lag.time.max.ms")`,
      );
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
      throw new Error(`${where}: config["${k}"] must be a string, int or bool, got ${JSON.stringify(v)}`);
    config[k] = String(v);
  }
  for (const k of [
    "process.roles",
    "node.id",
    "listeners",
    "advertised.listeners",
    "controller.quorum.voters",
    "log.dirs",
  ]) {
    if (k in config)
      throw new Error(`${where}: config["${k}"] is set by faultbox for each node and cannot be overridden`);
  }
  if (raw.version !== undefined && typeof raw.version !== "string")
    throw new Error(`${where}: version= must be a string such as "4" or "3.9"`);
  return {
    nodes,
    version: (raw.version as string | undefined) ?? "4",
    replicationFactor,
    ...(minInsyncReplicas !== undefined ? { minInsyncReplicas } : {}),
    partitions: int(raw.partitions, "partitions", 1)!,
    config,
    links: raw.links === undefined ? nodes > 1 : raw.links === true,
  };
}

/** The server.properties a cluster's settings add to kafka-local's defaults. */
export function clusterServerProperties(s: KafkaClusterSettings): Record<string, string> {
  return {
    "default.replication.factor": String(s.replicationFactor),
    "num.partitions": String(s.partitions),
    ...(s.minInsyncReplicas !== undefined ? { "min.insync.replicas": String(s.minInsyncReplicas) } : {}),
    ...s.config,
  };
}

// One set of client ports per service for the whole run, so the proxy in front of it and the env of
// other services stay valid when a fresh cluster replaces the last one (reuse=False: one per test).
const portsByService = new Map<string, number[]>();

function tail(cluster: KafkaCluster, n: number): string[] {
  const out: string[] = [];
  for (const [i, p] of cluster.processes.entries()) {
    if (!existsSync(p.logFile)) continue;
    const lines = readFileSync(p.logFile, "utf8").split("\n").filter(Boolean).slice(-n);
    out.push(...lines.map((l) => `[node ${i + 1}] ${l}`));
  }
  return out.slice(-n);
}

async function launchCluster(req: LaunchRequest): Promise<RunningProcess> {
  const svc = req.service;
  const kafkaIfaces = svc.interfaces.filter((i) => i.protocol === "kafka");
  if (kafkaIfaces.length === 0)
    throw new Error(
      `service "${svc.name}" is a Kafka cluster but declares no interface with protocol "kafka"`,
    );
  const settings = parseClusterSettings(svc.name, svc.env[KAFKA_CLUSTER_ENV] ?? req.env[KAFKA_CLUSTER_ENV]);
  let ports = portsByService.get(svc.name);
  if (!ports || ports.length !== settings.nodes) {
    ports = await freePorts(settings.nodes, LOOPBACK);
    portsByService.set(svc.name, ports);
  }
  let links: ClusterLinks | undefined;
  const start = (brokerPorts: number[]) =>
    startKafka({
      nodes: settings.nodes,
      version: settings.version,
      brokerPorts,
      serverProperties: clusterServerProperties(settings),
      ...(settings.links
        ? {
            interBroker: async (targets) =>
              (links = await openLinks(targets, { seed: svc.index + 1, emit: req.emit })),
          }
        : {}),
    });
  let cluster: KafkaCluster;
  try {
    cluster = await start(ports);
  } catch (first) {
    // A port this service had may have been taken meanwhile; the proxy follows a move (retarget).
    ports = await freePorts(settings.nodes, LOOPBACK);
    portsByService.set(svc.name, ports);
    try {
      cluster = await start(ports);
    } catch {
      throw first;
    }
  }
  const [first, ...others] = cluster.brokers.map((b) => ({ host: b.host, port: b.port }));
  const addresses: RunningProcess["addresses"] = {};
  for (const i of kafkaIfaces) addresses[i.name] = { ...first!, alternates: others };
  const proc = clusterProcess(cluster, svc.name);
  return {
    addresses,
    ...proc,
    actions: { ...proc.actions!, ...(links ? { links } : {}) },
    lastLines: (n) => tail(cluster, n),
    // Like a container: the cluster runs, and only the fault windows with syscall rules on it fail.
    ...(req.wrapper
      ? {
          unsupervised: `service "${svc.name}" is a local Kafka cluster, whose brokers run without the syscall supervisor (one supervisor serves one process); protocol faults (rules=), link faults and service actions work`,
        }
      : {}),
  };
}

export const kafkaClusterSubstitute: ImageSubstitute = {
  describe: "a local Apache Kafka cluster (KRaft)",
  matches: (image) => image.trim() === KAFKA_CLUSTER_IMAGE,
  launch: launchCluster,
  // A pseudo-image: it never runs in a container engine.
  always: true,
};

/**
 * For TypeScript specs: the image and env of a Kafka cluster service, to spread into fb.service():
 * `fb.service("kafka", { interfaces: [broker], ...kafkaCluster({ nodes: 3, minInsyncReplicas: 2 }) })`.
 */
export function kafkaCluster(settings: Partial<KafkaClusterSettings> = {}): {
  image: string;
  env: Record<string, string>;
} {
  return { image: KAFKA_CLUSTER_IMAGE, env: { [KAFKA_CLUSTER_ENV]: JSON.stringify(settings) } };
}
