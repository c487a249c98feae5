// The embedded broker as a spec service. `load("@faultbox/mocks/kafka.star", "kafka")` and
// `kafka.broker(...)` declare a service with the pseudo-image EMBEDDED_KAFKA_IMAGE and its settings as
// JSON in the FAULTBOX_EMBEDDED_KAFKA env var; this image substitute starts it in-process. Everything
// else (the fault proxy, steps, the topic observer) treats it as a Kafka service like any other.
import type { LaunchRequest, RunningProcess } from "../../../core/launcher.js";
import type { ImageSubstitute } from "../../../launch/image-substitutes.js";
import { freePorts, LOOPBACK } from "../../../launch/process-guard/free-port.js";
import type { SeedMessage } from "./cluster.js";
import { startEmbeddedKafka, type EmbeddedTopicSpec } from "./start.js";

export const EMBEDDED_KAFKA_IMAGE = "faultbox/embedded-kafka";
export const EMBEDDED_KAFKA_ENV = "FAULTBOX_EMBEDDED_KAFKA";

export interface EmbeddedServiceSettings {
  brokers: number;
  defaultPartitions: number;
  autoCreateTopics: boolean;
  topics: EmbeddedTopicSpec[];
}

const RECORD_KEYS = new Set(["key", "value", "headers", "partition"]);

/** A spec message: a string value, a {key, value, headers, partition} record, or any other value as JSON. */
function toSeedMessage(m: unknown, where: string): SeedMessage {
  if (typeof m === "string") return { value: m };
  if (m !== null && typeof m === "object" && !Array.isArray(m)) {
    const o = m as Record<string, unknown>;
    if ("value" in o && Object.keys(o).every((k) => RECORD_KEYS.has(k))) {
      const text = (v: unknown): string | null =>
        v === null || v === undefined ? null : typeof v === "string" ? v : JSON.stringify(v);
      if (
        o.headers !== undefined &&
        (typeof o.headers !== "object" || o.headers === null || Array.isArray(o.headers))
      ) {
        throw new Error(`${where}: headers must be a dict of strings`);
      }
      if (o.partition !== undefined && !Number.isInteger(o.partition))
        throw new Error(`${where}: partition must be an int`);
      return {
        key: text(o.key),
        value: text(o.value),
        headers: Object.fromEntries(
          Object.entries((o.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        ),
        ...(o.partition !== undefined ? { partition: o.partition as number } : {}),
      };
    }
  }
  return { value: JSON.stringify(m) };
}

/**
 * Reads the settings kafka.star wrote. Topics may be a list of names or of {name, partitions,
 * messages} dicts, or a dict name -> list of messages / {partitions, messages}.
 */
export function parseEmbeddedSettings(service: string, json: string | undefined): EmbeddedServiceSettings {
  const where = `service "${service}" (embedded Kafka)`;
  let raw: Record<string, unknown>;
  try {
    raw = json ? (JSON.parse(json) as Record<string, unknown>) : {};
  } catch (e) {
    throw new Error(`${where}: ${EMBEDDED_KAFKA_ENV} is not valid JSON: ${(e as Error).message}`);
  }
  const int = (v: unknown, name: string, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (!Number.isInteger(v) || (v as number) < 1)
      throw new Error(`${where}: ${name}= must be a positive int, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const defaultPartitions = int(raw.partitions, "partitions", 1);
  const topic = (name: unknown, body: unknown, at: string): EmbeddedTopicSpec => {
    if (typeof name !== "string" || name === "") throw new Error(`${where}: ${at}: a topic needs a name`);
    if (Array.isArray(body)) {
      return {
        name,
        partitions: defaultPartitions,
        messages: body.map((m, i) => toSeedMessage(m, `${where}: topic "${name}" message ${i}`)),
      };
    }
    const o = (body ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["name", "partitions", "messages"].includes(k)) {
        throw new Error(`${where}: topic "${name}": unknown key "${k}"; valid: partitions, messages`);
      }
    }
    const messages = o.messages ?? [];
    if (!Array.isArray(messages)) throw new Error(`${where}: topic "${name}": messages must be a list`);
    return {
      name,
      partitions: int(o.partitions, `topic "${name}" partitions`, defaultPartitions),
      messages: messages.map((m, i) => toSeedMessage(m, `${where}: topic "${name}" message ${i}`)),
    };
  };
  const t = raw.topics ?? [];
  const topics = Array.isArray(t)
    ? t.map((x, i) =>
        typeof x === "string"
          ? topic(x, {}, `topics[${i}]`)
          : topic((x as { name?: unknown })?.name, x, `topics[${i}]`),
      )
    : typeof t === "object" && t !== null
      ? Object.entries(t).map(([name, body]) => topic(name, body, `topics["${name}"]`))
      : (() => {
          throw new Error(`${where}: topics= must be a list or a dict`);
        })();
  return {
    brokers: int(raw.brokers, "brokers", 1),
    defaultPartitions,
    autoCreateTopics: raw.autoCreateTopics === undefined ? true : raw.autoCreateTopics === true,
    topics,
  };
}

// One set of ports per service for the whole run, so the proxy in front of it and the env of other
// services stay valid when a fresh broker replaces the last one (reuse=False: a fresh broker per test).
// Keyed by the service's definition: each loaded copy of a spec (the lanes of --parallel and --pool)
// has its own brokers.
const portsByService = new WeakMap<object, number[]>();

async function launchEmbedded(req: LaunchRequest): Promise<RunningProcess> {
  const svc = req.service;
  const kafkaIfaces = svc.interfaces.filter((i) => i.protocol === "kafka");
  if (kafkaIfaces.length === 0) {
    throw new Error(
      `service "${svc.name}" runs the embedded Kafka broker but declares no interface with protocol "kafka"`,
    );
  }
  const settings = parseEmbeddedSettings(
    svc.name,
    svc.env[EMBEDDED_KAFKA_ENV] ?? req.env[EMBEDDED_KAFKA_ENV],
  );
  let ports = portsByService.get(svc);
  if (!ports || ports.length !== settings.brokers) {
    ports = await freePorts(settings.brokers, LOOPBACK);
    portsByService.set(svc, ports);
  }
  const lines: string[] = [];
  const kafka = await startEmbeddedKafka({
    brokers: settings.brokers,
    ports,
    topics: settings.topics,
    autoCreateTopics: settings.autoCreateTopics,
    defaultPartitions: settings.defaultPartitions,
    onProtocolError: (m) => {
      lines.push(m);
      req.onLine("stderr", m);
    },
  });
  const first = kafka.brokers[0]!;
  const addresses: RunningProcess["addresses"] = {};
  for (const i of kafkaIfaces) addresses[i.name] = { host: first.host, port: first.port };
  let markExited: (r: { code: number | null; signal: string | null }) => void = () => {};
  const exited = new Promise<{ code: number | null; signal: string | null }>(
    (resolve) => (markExited = resolve),
  );
  return {
    addresses,
    exited,
    lastLines: (n) => lines.slice(-n),
    actionsUnavailable: `service "${svc.name}" is the embedded Kafka broker, which runs inside faultbox: it cannot be killed, restarted or paused (a Kafka image runs as a real local broker that can, e.g. image="apache/kafka:4.1.1")`,
    ...(req.wrapper
      ? {
          unsupervised: `service "${svc.name}" is the embedded Kafka broker, which runs inside faultbox: syscall faults cannot target it (protocol faults via rules= work)`,
        }
      : {}),
    async stop() {
      await kafka.close();
      markExited({ code: 0, signal: null });
    },
  };
}

export const embeddedKafkaSubstitute: ImageSubstitute = {
  describe: "the embedded Kafka broker",
  matches: (image) => image.trim() === EMBEDDED_KAFKA_IMAGE,
  launch: launchEmbedded,
  // A pseudo-image: there is nothing to pull, so no container engine is asked.
  always: true,
};
