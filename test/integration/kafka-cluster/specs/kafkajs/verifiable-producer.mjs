// A kafkajs producer that reports like Kafka's VerifiableProducer, for the cluster specs: it sends the
// values 0, 1, 2, ... to TOPIC, one send at a time, at most THROUGHPUT records per second, and prints
// one JSON line per outcome, {"name": "producer_send_success", "value": "7", "partition": 0, "offset": 7} for an
// acknowledged record and {"name": "producer_send_error", "value": "7", "message": ...} for a failed
// one, until SIGTERM; then it waits up to 30 s for the answers still due and exits.
//
//   node verifiable-producer.mjs BOOTSTRAP TOPIC ACKS THROUGHPUT      (ACKS: all or 1)
import { Kafka, Partitioners, logLevel } from "kafkajs";

const [bootstrap, topic, acks, throughput] = process.argv.slice(2);
if (!bootstrap || !topic || !["all", "1"].includes(acks ?? "") || !(Number(throughput) > 0)) {
  console.error("usage: verifiable-producer.mjs BOOTSTRAP TOPIC all|1 THROUGHPUT");
  process.exit(2);
}
const idempotent = acks === "all";
const kafka = new Kafka({
  clientId: "verifiable-producer-kafkajs",
  brokers: bootstrap.split(","),
  logLevel: logLevel.WARN,
});
const producer = kafka.producer({
  // acks=all: idempotent, as the Java VerifiableProducer is by default (no duplicates on retries).
  idempotent,
  maxInFlightRequests: idempotent ? 1 : undefined,
  createPartitioner: Partitioners.DefaultPartitioner,
});
await producer.connect();

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
let running = true;
const stopped = new Promise((resolve) => process.on("SIGTERM", resolve)).then(() => {
  running = false;
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One send at a time, at most THROUGHPUT per second: a send that waits (a leader cut off) holds the
// next one back instead of piling up behind kafkajs's lock, and the last one is allowed 30 s to end.
let n = 0;
const interval = 1000 / Number(throughput);
let next = performance.now();
while (running) {
  const value = String(n++);
  const sent = producer.send({ topic, acks: idempotent ? -1 : 1, messages: [{ value }] }).then(
    ([meta]) =>
      print({
        name: "producer_send_success",
        value,
        partition: meta.partition,
        offset: Number(meta.baseOffset ?? meta.offset),
      }),
    (err) => print({ name: "producer_send_error", value, message: String(err?.message ?? err) }),
  );
  await Promise.race([sent, stopped.then(() => sleep(30_000))]);
  next = Math.max(next + interval, performance.now());
  await Promise.race([sleep(Math.max(0, next - performance.now())), stopped]);
}
await producer.disconnect().catch(() => undefined);
process.exit(0);
