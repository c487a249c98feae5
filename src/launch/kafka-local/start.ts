// Starting Apache Kafka as local JVM processes in KRaft mode: one node, or an n-node cluster of
// combined broker+controller nodes, each on free loopback ports, in a fresh temporary directory that a
// stop (or the owner's death) removes.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { runLogged } from "../process-guard/run-logged.js";
import { LaunchError, PortRaceError, retryOnPortRace } from "../process-guard/launch-error.js";
import { brokerJitFlags } from "./jit.js";
import { freePorts, assertPortFree, LOOPBACK } from "../process-guard/free-port.js";
import {
  spawnGuarded,
  stopGuarded,
  groupAlive,
  logTail,
  type GuardedProcess,
} from "../process-guard/guarded-process.js";
import { resolveKafka, loggingFlags, type KafkaInstall } from "./resolve.js";
import {
  controllerGateHost,
  controllerHosts,
  serverProperties,
  type InterBrokerAddresses,
  type NodePorts,
} from "./server-properties.js";
import { kafkaToolMainClass } from "./versions.js";
import { planCds } from "./cds.js";
import { nodeControl, type KafkaNodeControl } from "./nodes.js";
import { waitForProduce, type ReadinessProbe } from "./readiness.js";
import {
  saslServerProperties,
  scramFormatArgs,
  validateSasl,
  type KafkaSaslOptions,
  type KafkaSaslRecord,
} from "./sasl.js";

export interface StartKafkaOptions {
  /** Number of nodes (each a broker and a controller). Default 1. */
  nodes?: number;
  /** "4" (default), "3.9" or an exact release. */
  version?: string;
  /**
   * The nodes die when this process does. Default: the calling process. `null`: they run until
   * stopped (the CLI's `scripts/kafka/start`).
   */
  ownerPid?: number | null;
  /** Fixed broker ports, one per node (default: free ports chosen now). */
  brokerPorts?: number[];
  /** Extra or replaced server.properties entries, applied to every node. */
  serverProperties?: Record<string, string>;
  /** Give up if the cluster does not accept a produce within this long. Default 120 s. */
  readyTimeoutMs?: number;
  /** Max heap of each broker JVM. Default "1g" (BROKER_HEAP). */
  heap?: string;
  /** Parent of the cluster's temporary directory (default: the OS temp dir). */
  workDir?: string;
  /**
   * Adds a SASL_PLAINTEXT listener on its own port to every node (PLAIN and SCRAM-SHA-256/512 by
   * default) with these users; the PLAINTEXT listener stays (inter-broker traffic, readiness).
   */
  sasl?: KafkaSaslOptions;
  /** Environment for Java/Maven lookup (FAULTBOX_JAVA, JAVA_HOME, FAULTBOX_MVN, FAULTBOX_CACHE_DIR). */
  env?: NodeJS.ProcessEnv;
  /**
   * Runs the broker JVM as `[...commandPrefix, java, ...]`: the syscall supervisor's argv when syscall
   * faults target the broker. One node only (the prefix serves one process).
   */
  commandPrefix?: string[];
  /**
   * Routes inter-broker traffic through proxies of the caller's (link proxies): called once the
   * ports are chosen, with every ordered pair of nodes and the real listeners of the second; returns
   * where the first must connect instead. The nodes are configured with those addresses (see
   * server-properties.ts); the routes are closed when the cluster stops or fails to start.
   */
  interBroker?: (targets: InterBrokerTarget[]) => Promise<InterBrokerRoutes>;
}

/** One ordered pair of nodes and the real listeners of `to` that `from` needs. */
export interface InterBrokerTarget {
  from: number;
  to: number;
  /** `to`'s replication listener for `from` (REPL_<from>). */
  replication: { host: string; port: number };
  /** `to`'s controller listener. */
  controller: { host: string; port: number };
  /**
   * Where the gate from `from` to `to`'s controller must listen: `from` resolves `to`'s controller
   * name there (see controllerHostName in server-properties.ts).
   */
  controllerGate: { host: string; port: number };
}

export interface InterBrokerRoutes extends InterBrokerAddresses {
  close(): Promise<void>;
}

export interface KafkaBroker {
  nodeId: number;
  host: string;
  port: number;
  /** Port of the node's SASL_PLAINTEXT listener, when the cluster has one. */
  saslPort?: number;
}

/** Everything needed to find and stop a running cluster from any process (plain JSON). */
export interface KafkaClusterRecord {
  kind: "kafka";
  version: string;
  bootstrap: string;
  brokers: KafkaBroker[];
  /** Temporary directory holding every node's config, data and log. */
  dir: string;
  processes: GuardedProcess[];
  /** The SASL_PLAINTEXT listener, when started with `sasl`. */
  sasl?: KafkaSaslRecord;
}

export interface KafkaCluster extends KafkaClusterRecord {
  stop(): Promise<void>;
  /** The inter-broker routes the cluster was started with (opts.interBroker). */
  routes?: InterBrokerRoutes;
  /** Kill, stop, start, pause and resume one node, on its own data (see nodes.ts). */
  nodes: KafkaNodeControl[];
}

/**
 * Kafka's own start script gives a broker 1 GiB (KAFKA_HEAP_OPTS). A broker allocates each request in
 * full when it reads the request's size, up to socket.request.max.bytes (100 MiB by default, which we
 * keep): two clients declaring that much took a 384 MiB heap out of memory, where a real broker lives
 * on. Only the maximum is raised: the heap starts at 64 MiB and grows only if a load needs it.
 */
const BROKER_HEAP = "1g";

/** A fresh cluster id for `kafka-storage format`, never one the tool would read as an option. */
export function clusterId(): string {
  // A Kafka Uuid in its base64url form (16 random bytes, 22 characters). Like Kafka's own
  // Uuid.randomUuid, draw again when it starts with "-": the storage tool would read it as an option.
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

/**
 * Stops a cluster from its record (any process) and removes its directory. The nodes are killed
 * (SIGKILL) at once rather than asked to shut down: their data is deleted right after, so a controlled
 * shutdown would protect nothing, and it cost 2.5 s per single broker and 4.4 s per 3-node cluster
 * (mostly waiting out the grace for a controller to grant it), paid by every test with a fresh broker.
 */
export async function stopKafkaRecord(record: KafkaClusterRecord): Promise<void> {
  // The grace is for the watchdog shells, which reap the killed JVMs and exit (group SIGKILL after it).
  await stopGuarded(record.processes.map((p) => ({ ...p, stopSignal: "SIGKILL" as const, graceMs: 1000 })));
  rmSync(record.dir, { recursive: true, force: true });
}

function bindFailure(logFile: string): string | undefined {
  let text = "";
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return undefined;
  }
  const m = /Address already in use|BindException[^\n]*/.exec(text);
  return m ? m[0] : undefined;
}

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaCluster> {
  // A port chosen free can be taken before the broker binds it; new ports fix that (fixed ones don't).
  return retryOnPortRace(opts.brokerPorts ? 1 : 3, () => startKafkaOnce(opts));
}

async function startKafkaOnce(opts: StartKafkaOptions): Promise<KafkaCluster> {
  const nodeCount = opts.nodes ?? 1;
  if (!Number.isInteger(nodeCount) || nodeCount < 1)
    throw new Error(`nodes must be a positive integer, got ${nodeCount}`);
  if (opts.commandPrefix?.length && nodeCount > 1)
    throw new Error(`commandPrefix runs one process; a ${nodeCount}-node cluster cannot share it`);
  const sasl = opts.sasl === undefined ? undefined : validateSasl(opts.sasl);
  const jitFlags = brokerJitFlags(opts.env ?? process.env);
  const install: KafkaInstall = await resolveKafka(opts.version, opts.env ?? process.env);
  const host = LOOPBACK;
  if (opts.brokerPorts) {
    if (opts.brokerPorts.length !== nodeCount) throw new Error(`brokerPorts needs ${nodeCount} ports`);
    for (const p of opts.brokerPorts) await assertPortFree(p, host, `a Kafka ${install.version} broker`);
  }
  const ports = await freePorts(nodeCount * (opts.brokerPorts ? 1 : 2), host);
  const saslPorts = sasl ? await freePorts(nodeCount, host) : [];
  if (sasl && opts.interBroker)
    throw new Error("a SASL listener and inter-broker routes together are not supported");
  const replPorts = opts.interBroker ? await freePorts(nodeCount * nodeCount, host) : [];
  const nodes: NodePorts[] = Array.from({ length: nodeCount }, (_, i) => ({
    nodeId: i + 1,
    brokerPort: opts.brokerPorts ? opts.brokerPorts[i]! : ports[2 * i]!,
    controllerPort: opts.brokerPorts ? ports[i]! : ports[2 * i + 1]!,
    ...(sasl ? { saslPort: saslPorts[i]! } : {}),
    ...(opts.interBroker
      ? {
          replicationPorts: Object.fromEntries(
            Array.from({ length: nodeCount }, (_, j) => [j + 1, replPorts[i * nodeCount + j]!]),
          ),
        }
      : {}),
  }));
  const dir = mkdtempSync(join(opts.workDir ?? tmpdir(), `faultbox-kafka-${install.version}-`));
  const owner = opts.ownerPid === undefined ? process.pid : (opts.ownerPid ?? undefined);
  const processes: GuardedProcess[] = [];
  const record: KafkaClusterRecord = {
    kind: "kafka",
    version: install.version,
    bootstrap: nodes.map((n) => `${host}:${n.brokerPort}`).join(","),
    brokers: nodes.map((n) => ({
      nodeId: n.nodeId,
      host,
      port: n.brokerPort,
      ...(n.saslPort !== undefined ? { saslPort: n.saslPort } : {}),
    })),
    dir,
    processes,
    ...(sasl
      ? {
          sasl: {
            bootstrap: nodes.map((n) => `${host}:${n.saslPort}`).join(","),
            mechanisms: sasl.mechanisms,
            users: Object.keys(sasl.users),
          },
        }
      : {}),
  };
  let routes: InterBrokerRoutes | undefined;
  // Class data sharing: later starts map the archive a first start trained (cds.ts).
  const cds = planCds(install, nodes[0]!.nodeId, opts.env ?? process.env, !opts.commandPrefix?.length);
  const spawned = new Set<number>();
  const fail = async (err: LaunchError): Promise<never> => {
    cds.abandon();
    await stopKafkaRecord(record);
    await routes?.close();
    throw err;
  };

  const java = install.java.path;
  const cp = ["-cp", install.classpath];
  /** With inter-broker routes, each node's JVM resolves the controllers' names through its own hosts file. */
  const hostsFlag = (nodeId: number) =>
    opts.interBroker ? [`-Djdk.net.hosts.file=${join(dir, `node-${nodeId}`, "hosts")}`] : [];
  /** Starts (or starts again, on its data) the broker JVM of one node, after `prefix` (a supervisor). */
  const spawnNode = (nodeId: number, prefix: readonly string[] = []) => {
    const nodeDir = join(dir, `node-${nodeId}`);
    const [command, ...prefixArgs] = [...prefix, java];
    const firstSpawn = !spawned.has(nodeId);
    spawned.add(nodeId);
    return spawnGuarded({
      command: command!,
      args: [
        ...prefixArgs,
        `-Xmx${opts.heap ?? BROKER_HEAP}`,
        "-Xms64m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:-UsePerfData",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        ...jitFlags,
        ...cds.brokerFlags(nodeId, firstSpawn),
        ...hostsFlag(nodeId),
        ...loggingFlags(install, install.brokerLogConfig),
        ...cp,
        kafkaToolMainClass("kafka-server", install.release),
        join(nodeDir, "server.properties"),
      ],
      logFile: join(nodeDir, "server.log"),
      ownerPid: owner,
      cleanupDir: dir,
      // The stop of a node alone (nodes.ts: stop and restart on its data) asks for a controlled
      // shutdown first; stopping the whole cluster kills (stopKafkaRecord).
      stopSignal: "SIGTERM",
      graceMs: 3000,
    });
  };

  try {
    if (opts.interBroker) {
      routes = await opts.interBroker(
        nodes.flatMap((to) =>
          nodes
            .filter((from) => from.nodeId !== to.nodeId)
            .map((from) => ({
              from: from.nodeId,
              to: to.nodeId,
              replication: { host, port: to.replicationPorts![from.nodeId]! },
              controller: { host, port: to.controllerPort },
              controllerGate: { host: controllerGateHost(from.nodeId, to.nodeId), port: to.controllerPort },
            })),
        ),
      );
    }
    const id = clusterId();
    // Format every node's storage (in parallel: each is a short JVM run).
    const formatted = await Promise.all(
      nodes.map(async (n) => {
        const nodeDir = join(dir, `node-${n.nodeId}`);
        mkdirSync(join(nodeDir, "data"), { recursive: true });
        const props = join(nodeDir, "server.properties");
        if (routes) writeFileSync(join(nodeDir, "hosts"), controllerHosts(n.nodeId, nodes, host, hostname()));
        writeFileSync(
          props,
          serverProperties(
            n,
            nodes,
            host,
            join(nodeDir, "data"),
            install.release,
            opts.serverProperties,
            sasl ? saslServerProperties(sasl) : {},
            routes,
          ),
        );
        const log = join(nodeDir, "format.log");
        const argv = [
          java,
          "-Xmx128m",
          "-XX:+UseSerialGC",
          "-XX:TieredStopAtLevel=1",
          "-XX:-UsePerfData",
          ...cds.formatFlags(n.nodeId),
          ...hostsFlag(n.nodeId),
          ...loggingFlags(install, install.toolLogConfig),
          ...cp,
          kafkaToolMainClass("kafka-storage", install.release),
          "format",
          "-t",
          id,
          "-c",
          props,
          ...(sasl ? scramFormatArgs(sasl) : []),
        ];
        return { n, code: await runLogged(argv, log), log };
      }),
    );
    for (const f of formatted) {
      if (f.code !== 0) {
        await fail(
          new LaunchError(
            `formatting the storage of Kafka ${install.version} node ${f.n.nodeId} failed (exit ${f.code})`,
            "check the Java installation and the server properties given; the tool's output follows",
            logTail(f.log),
          ),
        );
      }
    }
    for (const n of nodes) processes.push(await spawnNode(n.nodeId, opts.commandPrefix));

    const readyTimeout = opts.readyTimeoutMs ?? 120_000;
    let dead: { nodeId: number; log: string } | undefined;
    const probe: ReadinessProbe = {};
    const ready = await waitForProduce(
      record.bootstrap.split(","),
      nodeCount,
      Date.now() + readyTimeout,
      () => {
        const i = processes.findIndex((p) => !groupAlive(p.pgid));
        if (i >= 0) dead = { nodeId: nodes[i]!.nodeId, log: processes[i]!.logFile };
        return dead !== undefined;
      },
      probe,
    );
    if (dead) {
      const bind = bindFailure(dead.log);
      await fail(
        bind
          ? new PortRaceError(
              `Kafka ${install.version} node ${dead.nodeId} could not bind its port (${bind}): another process took it`,
              logTail(dead.log),
            )
          : new LaunchError(
              `Kafka ${install.version} node ${dead.nodeId} exited during startup`,
              "read the broker log below; check the Java version and the server properties given",
              logTail(dead.log),
            ),
      );
    }
    if (!ready) {
      await fail(
        new LaunchError(
          `Kafka ${install.version} at ${record.bootstrap} did not accept a produce (acks=all) within ${Math.round(
            readyTimeout / 1000,
          )}s; last error: ${probe.lastError ?? "none"}`,
          "read the broker log below; on a loaded machine raise readyTimeoutMs; check the server properties given",
          logTail(processes[0]!.logFile),
        ),
      );
    }
  } catch (err) {
    if (err instanceof LaunchError) throw err;
    cds.abandon();
    await stopKafkaRecord(record);
    await routes?.close();
    throw err;
  }
  // A training start builds the archive now, once (5-10 s); a failure only means later starts don't use it.
  await cds.finish();
  return {
    ...record,
    ...(routes ? { routes } : {}),
    stop: async () => {
      await stopKafkaRecord(record);
      await routes?.close();
    },
    nodes: nodes.map((n, i) =>
      nodeControl({
        nodeId: n.nodeId,
        clientAddress: { host, port: n.brokerPort },
        clusterSize: nodeCount,
        version: install.version,
        current: () => processes[i]!,
        replace: (p) => (processes[i] = p),
        spawn: (prefix) => spawnNode(n.nodeId, prefix),
        readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
      }),
    ),
  };
}
