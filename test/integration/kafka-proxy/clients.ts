// The Kafka clients the proxy must serve, each as "produce these key:value lines one batch at a time"
// and "consume n values": kafkajs (idempotent), the Java console tools (idempotent by default), kcat
// (librdkafka, idempotent when asked) and kafka-python.
import { randomUUID } from "node:crypto";
import { kafkaTool } from "../../support/index.js";
import { kafkajs, run } from "./helpers.js";
import { tool } from "../../support/tools.js";

export interface ProduceOutcome {
  ok: boolean;
  output: string;
}

export interface RunOptions {
  /** Rewrites the client's command line when it runs as a child process (see watchConnections). */
  wrap?: (argv: string[]) => string[];
}

export interface Client {
  name: string;
  /** True when the client runs as a child process (its sockets can be watched by pid). */
  external: boolean;
  /** Sends `lines` ("key:value") in order, each as its own batch, from ONE producer instance. */
  produce(bootstrap: string, topic: string, lines: string[], opts?: RunOptions): Promise<ProduceOutcome>;
  /** Reads up to n values from the beginning with a fresh consumer (group where the client has one). */
  consume(bootstrap: string, topic: string, n: number, opts?: RunOptions): Promise<string[]>;
}

export const kafkajsClient: Client = {
  name: "kafkajs",
  external: false,
  async produce(bootstrap, topic, lines, _opts = {}) {
    const producer = kafkajs(bootstrap, "kafkajs-client").producer({
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      for (const line of lines) {
        const [key, value] = line.split(":");
        await producer.send({ topic, messages: [{ key, value }] });
      }
      return { ok: true, output: "" };
    } catch (e) {
      return { ok: false, output: String(e) + " " + ((e as { type?: string }).type ?? "") };
    } finally {
      await producer.disconnect();
    }
  },
  async consume(bootstrap, topic, n, _opts = {}) {
    const { readAll } = await import("./helpers.js");
    return readAll(bootstrap, topic, n);
  },
};

/** `groupProtocol: "consumer"` makes the console consumer use the KIP-848 protocol (ConsumerGroupHeartbeat). */
type ToolRunOptions = RunOptions & { timeoutMs?: number };

/**
 * The Java console producer of `version`: key:value lines, synchronous sends; `args` adds tool options
 * (--compression-codec, --producer-property ...). Not ok when it exits non-zero or logs a failed send
 * (retried errors are logged at WARN, a failed send at ERROR).
 */
export async function javaConsoleProduce(
  version: string,
  bootstrap: string,
  topic: string,
  lines: string[],
  args: string[] = [],
  opts: ToolRunOptions = {},
): Promise<ProduceOutcome> {
  const argv = await kafkaTool("kafka-console-producer", version);
  const r = await run(
    [
      ...argv,
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--sync",
      "--property",
      "parse.key=true",
      "--property",
      "key.separator=:",
      ...args,
    ],
    { input: lines.join("\n") + "\n", timeoutMs: 60000, ...opts },
  );
  return { ok: r.code === 0 && !/\] ERROR /.test(r.stderr + r.stdout), output: r.stdout + r.stderr };
}

/**
 * The values of `topic` a Java console consumer of `version` reads from the beginning in a new group:
 * `maxMessages` of them, or (without it) all until none came for `idleMs`; `args` adds tool options.
 */
export async function javaConsoleConsume(
  version: string,
  bootstrap: string,
  topic: string,
  o: { maxMessages?: number; idleMs: number; args?: string[] },
  opts: ToolRunOptions = {},
): Promise<string[]> {
  const argv = await kafkaTool("kafka-console-consumer", version);
  const r = await run(
    [
      ...argv,
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--from-beginning",
      "--group",
      `java-g-${randomUUID()}`,
      ...(o.maxMessages !== undefined ? ["--max-messages", String(o.maxMessages)] : []),
      "--timeout-ms",
      String(o.idleMs),
      ...(o.args ?? []),
    ],
    { timeoutMs: 90000, ...opts },
  );
  return r.stdout.split("\n").filter((l) => l !== "");
}

export function javaClient(version: string, groupProtocol: "classic" | "consumer" = "classic"): Client {
  return {
    name: groupProtocol === "classic" ? `java-${version}` : `java-${version}-kip848`,
    external: true,
    produce: (bootstrap, topic, lines, opts = {}) =>
      javaConsoleProduce(version, bootstrap, topic, lines, [], opts),
    consume: (bootstrap, topic, n, opts = {}) =>
      javaConsoleConsume(
        version,
        bootstrap,
        topic,
        { maxMessages: n, idleMs: 45000, args: ["--consumer-property", `group.protocol=${groupProtocol}`] },
        opts,
      ),
  };
}

/**
 * kcat (librdkafka) as a client; `args` adds librdkafka options to both commands (-X security...,
 * -z codec for the producer is given through `produceArgs`). One record per batch, idempotent, so a
 * rule can drop one record and not its neighbours.
 */
export function kcatWith(name: string, args: string[] = [], produceArgs: string[] = []): Client {
  return {
    name,
    external: true,
    async produce(bootstrap, topic, lines, opts = {}) {
      const r = await run(
        [
          tool("kcat"),
          "-P",
          "-b",
          bootstrap,
          "-t",
          topic,
          "-K:",
          ...produceArgs,
          "-X",
          "batch.num.messages=1",
          "-X",
          "linger.ms=0",
          "-X",
          "enable.idempotence=true",
          "-X",
          "max.in.flight=1",
          ...args,
        ],
        { input: lines.join("\n") + "\n", timeoutMs: 30000, ...opts },
      );
      return { ok: r.code === 0 && !/ERROR|fatal/i.test(r.stderr), output: r.stderr };
    },
    async consume(bootstrap, topic, n, opts = {}) {
      const r = await run(
        [
          tool("kcat"),
          "-C",
          "-b",
          bootstrap,
          "-G",
          `kcat-g-${randomUUID()}`,
          "-X",
          "auto.offset.reset=earliest",
          "-c",
          String(n),
          "-e",
          "-q",
          ...args,
          topic,
        ],
        { timeoutMs: 60000, ...opts },
      );
      return r.stdout.split("\n").filter((l) => l !== "");
    },
  };
}

export const kcatClient: Client = kcatWith("kcat");

const PYTHON_PRODUCE = `
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], retries=5, linger_ms=0, api_version_auto_timeout_ms=10000)
for line in sys.stdin.read().split():
    k, v = line.split(":", 1)
    p.send(sys.argv[2], key=k.encode(), value=v.encode()).get(timeout=20)
p.close()
`;

const PYTHON_CONSUME = `
import sys, uuid
from kafka import KafkaConsumer
c = KafkaConsumer(sys.argv[2], bootstrap_servers=sys.argv[1], group_id="py-" + uuid.uuid4().hex, auto_offset_reset="earliest", consumer_timeout_ms=30000)
n = 0
for m in c:
    print(m.value.decode(), flush=True)
    n += 1
    if n >= int(sys.argv[3]):
        break
c.close()
`;

export const pythonClient: Client = {
  name: "kafka-python",
  external: true,
  async produce(bootstrap, topic, lines, opts = {}) {
    const r = await run([tool("python-kafka-2"), "-c", PYTHON_PRODUCE, bootstrap, topic], {
      input: lines.join("\n"),
      timeoutMs: 60000,
      ...opts,
    });
    return { ok: r.code === 0, output: r.stderr };
  },
  async consume(bootstrap, topic, n, opts = {}) {
    const r = await run([tool("python-kafka-2"), "-c", PYTHON_CONSUME, bootstrap, topic, String(n)], {
      timeoutMs: 60000,
      ...opts,
    });
    return r.stdout.split("\n").filter((l) => l !== "");
  },
};
