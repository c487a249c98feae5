// The producer and consumer services the nemesis tests run, as spec snippets: each reports its sends or
// reads as JSON lines on stdout (docs/history.md), so the history checker reads what they were told.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { kafkaTool } from "../../support/index.js";
import { root } from "../seed/cli.js";

export const NODE_PRODUCER = join(root, "examples/history/producer.mjs");
export const NODE_CONSUMER = join(root, "examples/history/consumer.mjs");
export const JAVA_PRODUCER = fileURLToPath(new URL("./java/HistoryProducer.java", import.meta.url));

/** java and its arguments up to the main class, with Kafka 4's client jars on the classpath. */
export async function javaSourceCommand(): Promise<string[]> {
  const argv = await kafkaTool("kafka-console-producer", "4");
  // The tool's argv ends with its main class; a source file in its place runs with the same classpath.
  return argv.slice(0, -1);
}

const star = (s: string) => JSON.stringify(s);
const starList = (xs: string[]) => `[${xs.map(star).join(", ")}]`;
const starDict = (o: Record<string, string>) =>
  `{${Object.entries(o)
    .map(([k, v]) => `${star(k)}: ${v}`)
    .join(", ")}}`;

export interface ProducerService {
  /** Service name; also the producer's name (client id, key prefix). */
  name: string;
  client: "java" | "kafkajs";
  topic: string;
  count: number;
  /** Java: producer configs; kafkajs: ACKS/IDEMPOTENT/RETRIES. */
  settings: Record<string, string>;
}

/**
 * A producer service with an HTTP control interface: it waits for GET /start (so the spec can open a
 * fault window first), sends `count` records, then prints {"done": true}. `env` values are Starlark
 * expressions (e.g. kafka.broker.addr).
 */
export function producerService(p: ProducerService, java: string[], brokers = "kafka.broker.addr"): string {
  const ctl = `${p.name}_ctl`;
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers,
    TOPIC: star(p.topic),
    COUNT: star(String(p.count)),
    INTERVAL_MS: star("10"),
    CONTROL_PORT: `str(${ctl}.port)`,
  };
  let command: string[];
  if (p.client === "java") {
    command = [...java, JAVA_PRODUCER];
    env.PRODUCER = star(p.name);
    env.SYNC = star("true");
    env.PRODUCER_PROPS = star(
      Object.entries(p.settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(";"),
    );
  } else {
    command = [process.execPath, NODE_PRODUCER];
    env.PRODUCER = star(p.name);
    for (const [k, v] of Object.entries(p.settings)) env[k] = star(v);
  }
  return [
    `${ctl} = interface("ctl", "http", 0)`,
    `${p.name} = service(${star(p.name)}, ${star(command[0]!)}, ${ctl},`,
    `    args = ${starList(command.slice(1))},`,
    `    env = ${starDict(env)},`,
    `    healthcheck = http("127.0.0.1:%d/status" % ${ctl}.port, timeout = "120s"),`,
    "    observe = [stdout(decoder = json_decoder())],",
    ")",
  ].join("\n");
}

/** A consumer service (examples/history/consumer.mjs) printing what it processed; `env` values are plain strings. */
export function consumerService(
  name: string,
  env: Record<string, string>,
  brokers = "kafka.broker.addr",
  { mayExit = false }: { mayExit?: boolean } = {},
): string {
  const all: Record<string, string> = { KAFKA_BROKERS: brokers, CONSUMER: star(name) };
  for (const [k, v] of Object.entries(env)) all[k] = star(v);
  return [
    `${name} = service(${star(name)}, ${star(process.execPath)}, args = ${starList([NODE_CONSUMER])},`,
    `    env = ${starDict(all)},`,
    ...(mayExit ? ["    may_exit = True,"] : []),
    "    observe = [stdout(decoder = json_decoder())],",
    ")",
  ].join("\n");
}
