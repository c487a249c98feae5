// What the cluster specs share: Kafka's VerifiableProducer as a service, the partition state through the
// metadata step, and polling with a deadline.
import { setTimeout as sleep } from "node:timers/promises";
import type { SpecApi } from "../../../../src/index.js";
import { fileURLToPath } from "node:url";
import { cdsArchiveFlags, resolveKafka } from "../../../../src/launch/kafka-local/index.js";
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
    ...cdsArchiveFlags(install),
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

type ProducerOptions = { topic: string; acks: "all" | "1"; throughput: number };

/**
 * The same reports from a librdkafka producer (python/verifiable_producer.py on confluent-kafka):
 * idempotent when acks is "all", as Java's is.
 */
export function librdkafkaProducer(fb: SpecApi, broker: { addr: string }, options: ProducerOptions) {
  const script = fileURLToPath(new URL("./python/verifiable_producer.py", import.meta.url));
  return reportingProducer(fb, broker, [tool("python-confluent-kafka"), script], options);
}

/** The same reports from a kafkajs producer (node/verifiable_producer.mjs), idempotent when acks is "all". */
export function kafkajsProducer(fb: SpecApi, broker: { addr: string }, options: ProducerOptions) {
  const script = fileURLToPath(new URL("./node/verifiable_producer.mjs", import.meta.url));
  return reportingProducer(fb, broker, [process.execPath, script], options);
}

/** A producer program taking BOOTSTRAP TOPIC ACKS THROUGHPUT that prints VerifiableProducer's lines. */
function reportingProducer(fb: SpecApi, broker: { addr: string }, argv: string[], options: ProducerOptions) {
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
 * The values the producer was told were written at or after the offsets where the topic observer began
 * (its topic_observed event) in `events` (a test's log, in the spec or from its JSON result): those it
 * must have seen. The producer runs from before the test, so a record written just before the observer
 * noted the end offsets can have its success line logged just after the test began, under load; the
 * observer never reads it, and it is not lost.
 */
export function observableAcks(events: readonly { type: string; data: Record<string, unknown> }[]): string[] {
  const observed = events.find((e) => e.type === "topic_observed");
  if (!observed) throw new Error("no topic_observed event: the topic observer did not begin");
  const from = observed.data.from as Record<string, number>;
  return events
    .filter((e) => e.type === "stdout" && e.data.name === "producer_send_success")
    .filter((e) => Number(e.data.offset) >= (from[String(e.data.partition)] ?? 0))
    .map((e) => String(e.data.value));
}

/** observableAcks over the running test's log. */
export async function acknowledgedWhileObserved(fb: SpecApi): Promise<string[]> {
  return observableAcks(await fb.events());
}

/** The values the producer was told were written (its producer_send_success lines), after event `afterSeq`. */
export async function acknowledged(fb: SpecApi, afterSeq = 0): Promise<string[]> {
  const lines = await fb.events({
    where: (e) => e.seq > afterSeq && e.type === "stdout" && e.data.name === "producer_send_success",
  });
  return lines.map((e) => String(e.data.value));
}

/** Waits until the producer has 20 records acknowledged and partition 0 of `topic` has a full ISR. */
export async function steady(fb: SpecApi, kafka: Parameters<typeof partition0>[0], topic: string) {
  return until("20 acknowledged records and a full ISR", async () => {
    const p = await partition0(kafka, topic);
    return (await acknowledged(fb)).length >= 20 && p.isr.length === 3 ? p : undefined;
  });
}

/** The metadata quorum as the quorum step reports it; `leader` is the active controller. */
export interface Quorum {
  leader: number;
  leader_epoch: number;
  voters: number[];
}

export async function quorum(kafka: Parameters<typeof partition0>[0]): Promise<Quorum> {
  const r = await kafka.broker.call("quorum", {});
  if (!r.ok) throw new Error(r.error);
  return r.data as Quorum;
}

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
