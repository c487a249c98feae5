// What the cluster specs share: Kafka's VerifiableProducer as a service, the partition state through the
// metadata step, and polling with a deadline.
import { setTimeout as sleep } from "node:timers/promises";
import type { SpecApi } from "../../../../src/index.js";
import { fileURLToPath } from "node:url";
import { resolveKafka } from "../../../../src/launch/kafka-local/index.js";
import { tool } from "../../../support/tools.js";

/** A word for sh -c. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Kafka's own VerifiableProducer (the tool Kafka's system tests use) as a service of a spec, writing
 * through `broker` (its proxy): it sends the values 0, 1, 2, ... and prints one JSON line per outcome,
 * which become events: {"name": "producer_send_success", "value": "7", "partition": 0, "offset": 7}
 * for an acknowledged record, "producer_send_error" for a failed one.
 */
export async function verifiableProducer(
  fb: SpecApi,
  broker: { addr: string },
  options: { topic: string; acks: "all" | "1"; throughput: number },
) {
  const install = await resolveKafka(process.env.FAULTBOX_KAFKA_VERSION ?? "4");
  const argv = [
    install.java.path,
    "-Xmx192m",
    "-XX:TieredStopAtLevel=1",
    "-cp",
    install.classpath,
    "org.apache.kafka.tools.VerifiableProducer",
    "--topic",
    options.topic,
    "--acks",
    options.acks === "all" ? "-1" : "1",
    "--throughput",
    String(options.throughput),
    "--max-messages",
    "-1",
  ];
  return fb.service("producer", {
    // Through sh, so the bootstrap address comes from $KAFKA (rewritten to the proxy's address).
    binary: "sh",
    args: ["-c", `exec ${argv.map(quote).join(" ")} --bootstrap-server "$KAFKA"`],
    env: { KAFKA: broker.addr },
    dependsOn: ["kafka"],
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });
}

/**
 * The same reports from a librdkafka producer (python/verifiable_producer.py on confluent-kafka):
 * idempotent when acks is "all", as Java's is.
 */
export function librdkafkaProducer(
  fb: SpecApi,
  broker: { addr: string },
  options: { topic: string; acks: "all" | "1"; throughput: number },
) {
  const script = fileURLToPath(new URL("./python/verifiable_producer.py", import.meta.url));
  const argv = [tool("python-confluent-kafka"), script];
  return fb.service("producer", {
    binary: "sh",
    args: [
      "-c",
      `exec ${argv.map(quote).join(" ")} "$KAFKA" ${quote(options.topic)} ${options.acks} ${options.throughput}`,
    ],
    env: { KAFKA: broker.addr },
    dependsOn: ["kafka"],
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });
}

export interface Partition {
  partition: number;
  leader: number;
  leader_epoch: number;
  replicas: number[];
  isr: number[];
}

/** Partition 0 of a topic as the cluster reports it now (the metadata step, through the proxy). */
export async function partition0(
  kafka: {
    broker: {
      call(
        method: string,
        args: Record<string, unknown>,
      ): Promise<{ ok: boolean; error: string; data: unknown }>;
    };
  },
  topic: string,
): Promise<Partition> {
  const r = await kafka.broker.call("metadata", { topic });
  if (!r.ok) throw new Error(r.error);
  return (r.data as { partitions: Partition[] }).partitions[0]!;
}

/**
 * Polls until `probe` gives a value, for specs that wait for the cluster to reach a state (a leader
 * moved, a follower left the ISR). The deadline only bounds the wait; what the test asserts is the state.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `gave up waiting for ${what} after ${timeoutMs / 1000}s${last ? ` (last error: ${String(last)})` : ""}`,
      );
    await sleep(500);
  }
}
