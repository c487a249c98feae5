#!/usr/bin/env node
// A kafkajs producer that reports like Kafka's VerifiableProducer, for the cluster specs (the same
// contract as python/verifiable_producer.py): it sends the values 0, 1, 2, ... to TOPIC at THROUGHPUT
// records per second, one send at a time, and prints one JSON line per outcome,
// {"name": "producer_send_success", "value": "7", "partition": 0, "offset": 7} for an acknowledged
// record and {"name": "producer_send_error", "value": "7", "message": ...} for a failed one, until
// SIGTERM; then it finishes the send in progress and exits.
//
//   node verifiable_producer.mjs BOOTSTRAP TOPIC ACKS THROUGHPUT      (ACKS: all or 1)
//
// kafkajs refreshes its metadata only when an answer says it is stale or when it is older than
// metadataMaxAge (default 5 minutes), and a request that gets no answer is retried on the same broker.
// So a leader that stops answering (cut off, paused) holds its sends until then; the short request
// timeout and metadata age here are what a user who expects failovers would set.
import kafkajs from "kafkajs";

const [bootstrap, topic, acks, throughput] = process.argv.slice(2);
if (!bootstrap || !topic || !["all", "1"].includes(acks ?? "") || !(Number(throughput) > 0)) {
  console.error("usage: verifiable_producer.mjs BOOTSTRAP TOPIC all|1 THROUGHPUT");
  process.exit(2);
}
const interval = 1000 / Number(throughput);
const idempotent = acks === "all";
const kafka = new kafkajs.Kafka({
  clientId: "verifiable-producer-kafkajs",
  brokers: bootstrap.split(","),
  logLevel: kafkajs.logLevel.NOTHING,
  requestTimeout: 5000,
  retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2000 },
});
const producer = kafka.producer({
  idempotent,
  maxInFlightRequests: idempotent ? 1 : undefined,
  metadataMaxAge: 3000,
  createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
});
let running = true;
process.on("SIGTERM", () => (running = false));
const print = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await producer.connect();
let next = Date.now();
for (let n = 0; running; n++) {
  const value = String(n);
  try {
    const [meta] = await producer.send({
      topic,
      acks: idempotent ? -1 : 1,
      timeout: 5000,
      messages: [{ value }],
    });
    print({ name: "producer_send_success", value, partition: meta.partition, offset: Number(meta.baseOffset) });
  } catch (err) {
    print({ name: "producer_send_error", value, message: String(err?.message ?? err) });
  }
  // After a send that hung, carry on at the set rate instead of catching up in a burst.
  next = Math.max(next + interval, Date.now() - interval);
  await sleep(Math.max(0, next - Date.now()));
}
await producer.disconnect().catch(() => undefined);
process.exit(0);
