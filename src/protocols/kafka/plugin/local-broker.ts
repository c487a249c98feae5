// Kafka images (confluentinc/cp-kafka, apache/kafka, bitnami/kafka, ...) on a machine without a
// container engine: the service runs as a local Apache Kafka node (KRaft, src/launch/kafka-local).
//
// Each service keeps one broker port for the whole run, so the proxy in front of it and the env of
// other services stay valid when a fresh broker replaces the last one (reuse=False: one per test).
// The image's KAFKA_* env is not translated: the local node is a plain single-node KRaft broker with
// auto topic creation, which is what the seed's specs assume.
import { existsSync, readFileSync } from "node:fs";
import type { LaunchRequest, RunningProcess } from "../../../core/launcher.js";
import type { ImageSubstitute } from "../../../launch/image-substitutes.js";
import { startKafka, type KafkaCluster } from "../../../launch/kafka-local/index.js";
import { freePorts, LOOPBACK } from "../../../launch/process-guard/free-port.js";

const KAFKA_IMAGES = [
  /^(docker\.io\/)?confluentinc\/cp-kafka(:|@|$)/,
  /^(docker\.io\/)?confluentinc\/cp-server(:|@|$)/,
  /^(docker\.io\/)?apache\/kafka(-native)?(:|@|$)/,
  /^(docker\.io\/)?bitnami\/kafka(:|@|$)/,
  /^(docker\.io\/)?wurstmeister\/kafka(:|@|$)/,
  /^(quay\.io\/)?strimzi\/kafka(:|@|$)/,
];

export function isKafkaImage(image: string): boolean {
  return KAFKA_IMAGES.some((re) => re.test(image.trim()));
}

// Keyed by the service's definition, not its name: each loaded copy of a spec (the lanes of
// --parallel and --pool) runs its own broker beside the others, on its own port.
const portsByService = new WeakMap<object, number>();

async function brokerPort(service: object): Promise<number> {
  let p = portsByService.get(service);
  if (p === undefined) {
    [p] = await freePorts(1, LOOPBACK);
    portsByService.set(service, p!);
  }
  return p!;
}

function tail(cluster: KafkaCluster, n: number): string[] {
  const file = cluster.processes[0]?.logFile;
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).slice(-n);
}

async function launchLocalKafka(req: LaunchRequest): Promise<RunningProcess> {
  const svc = req.service;
  const kafkaIfaces = svc.interfaces.filter((i) => i.protocol === "kafka");
  if (kafkaIfaces.length === 0) {
    throw new Error(
      `service "${svc.name}" uses a Kafka image but declares no interface with protocol "kafka"`,
    );
  }
  // Syscall faults: the broker JVM runs under the supervisor (every JVM thread inherits its filter).
  const commandPrefix = req.wrapper?.argvPrefix;
  let port = await brokerPort(svc);
  let cluster: KafkaCluster;
  try {
    cluster = await startKafka({ brokerPorts: [port], commandPrefix });
  } catch (first) {
    // The port this service had may have been taken meanwhile; the proxy follows a move (retarget),
    // so one more try on a new port costs nothing but time.
    [port] = await freePorts(1, LOOPBACK);
    portsByService.set(svc, port!);
    try {
      cluster = await startKafka({ brokerPorts: [port!], commandPrefix });
    } catch {
      throw first;
    }
  }
  const address = { host: LOOPBACK, port: port! };
  const addresses: RunningProcess["addresses"] = {};
  for (const i of kafkaIfaces) addresses[i.name] = address;
  return {
    addresses,
    ...clusterProcess(cluster, svc.name),
    lastLines: (n) => tail(cluster, n),
  };
}

/**
 * A local Kafka cluster as core's RunningProcess: `exited` when a node dies other than through an
 * action, and the service actions on its nodes (ids 1..n, as Kafka numbers them).
 */
export function clusterProcess(
  cluster: KafkaCluster,
  service: string,
): Pick<RunningProcess, "exited" | "stop" | "actions" | "pid"> {
  let stopped = false;
  /** Nodes down or being taken down by an action: their exit is expected. */
  const expected = new Set<number>();
  let markExited: (s: { code: number | null; signal: string | null }) => void = () => undefined;
  const exited = new Promise<{ code: number | null; signal: string | null }>(
    (resolve) => (markExited = resolve),
  );
  const timer = setInterval(() => {
    if (stopped) {
      clearInterval(timer);
      return markExited({ code: null, signal: "SIGTERM" });
    }
    for (const n of cluster.nodes) {
      if (!expected.has(n.nodeId) && !n.running()) {
        clearInterval(timer);
        return markExited({ code: null, signal: null });
      }
    }
  }, 500);
  timer.unref();
  const node = (id: number) => {
    const n = cluster.nodes.find((x) => x.nodeId === id);
    if (!n)
      throw new Error(
        `service "${service}" has Kafka node${cluster.nodes.length > 1 ? "s" : ""} ${cluster.nodes.map((x) => x.nodeId).join(", ")}, not ${id}`,
      );
    return n;
  };
  return {
    exited,
    get pid() {
      return cluster.nodes[0]!.pid();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const n of cluster.nodes) await n.resume();
      await cluster.stop();
    },
    actions: {
      nodes: cluster.nodes.map((n) => n.nodeId),
      async kill(id) {
        expected.add(id);
        await node(id).kill();
      },
      async stop(id, graceMs) {
        expected.add(id);
        await node(id).stop(graceMs);
      },
      async start(id, options) {
        await node(id).start(options?.wrapper?.argvPrefix);
        expected.delete(id);
      },
      pause: (id) => node(id).pause(),
      resume: (id) => node(id).resume(),
      clientAddress(id) {
        node(id);
        const b = cluster.brokers.find((x) => x.nodeId === id)!;
        return { host: b.host, port: b.port };
      },
    },
  };
}

export const localKafkaSubstitute: ImageSubstitute = {
  describe: "a local Apache Kafka broker (KRaft)",
  matches: isKafkaImage,
  launch: launchLocalKafka,
};
