#!/usr/bin/env node
// A producer service that reports every send as one JSON line on stdout, the way docs/history.md asks
// a user's service to: {"history":"send", topic, key, value, ok, partition, offset, error, seq, producer}.
// Observed with stdout(decoder=json_decoder()), its lines are the sends the history checker reads.
//
// Configured by its environment (a kafkajs producer):
//   KAFKA_BROKERS   bootstrap servers, comma separated (through faultbox's proxy: kafka.broker.addr)
//   TOPIC           where to send
//   COUNT           how many records (default 0: until stopped)
//   INTERVAL_MS     pause between sends (default 20)
//   ACKS            all | 1 | 0 (default all)
//   IDEMPOTENT      true | false (default false)
//   RETRIES         kafkajs retries per send (default 5)
//   REQUEST_TIMEOUT_MS  kafkajs request timeout (default 30000); lower it when brokers may stall
//   PRODUCER        its name in the events and in every key (default "producer")
//   CONTROL_PORT    when set: wait for GET /start on this port before sending (so a spec can open its
//                   fault window first); GET /status answers {"sent": n, "done": bool}
// Each record is key "<producer>-<n>", value {"producer": ..., "n": n}. After COUNT sends it prints
// {"done": true, ...} and stays up until SIGTERM, like any service.
import { createServer } from "node:http";
import kafkajs from "kafkajs";

const env = process.env;
const brokers = (env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
const topic = env.TOPIC ?? "history";
const count = Number(env.COUNT ?? 0);
const interval = Number(env.INTERVAL_MS ?? 20);
const acks = env.ACKS === "1" ? 1 : env.ACKS === "0" ? 0 : -1;
const idempotent = env.IDEMPOTENT === "true";
const name = env.PRODUCER ?? "producer";

const kafka = new kafkajs.Kafka({
  clientId: name,
  brokers,
  logLevel: kafkajs.logLevel.NOTHING,
  requestTimeout: Number(env.REQUEST_TIMEOUT_MS ?? 30_000),
  retry: { retries: Number(env.RETRIES ?? 5), initialRetryTime: 100, maxRetryTime: 1000 },
});
const producer = kafka.producer({
  idempotent,
  maxInFlightRequests: idempotent ? 1 : undefined,
  allowAutoTopicCreation: true,
  createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
});

let stopping = false;
let sent = 0;
let done = false;
let start;
const started = new Promise((r) => (start = r));
if (env.CONTROL_PORT) {
  createServer((req, res) => {
    if (req.url === "/start") start();
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ sent, done }));
  }).listen(Number(env.CONTROL_PORT), "127.0.0.1");
} else start();
const print = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  await producer.connect();
  await started;
  for (let n = 1; (count === 0 || n <= count) && !stopping; n++) {
    const key = `${name}-${n}`;
    const value = JSON.stringify({ producer: name, n });
    try {
      const [meta] = await producer.send({ topic, acks, messages: [{ key, value }] });
      print({
        history: "send",
        topic,
        key,
        value,
        ok: true,
        partition: meta.partition,
        offset: Number(meta.baseOffset ?? -1),
        ...(acks !== -1 ? { acks } : {}),
        seq: n,
        producer: name,
      });
    } catch (err) {
      // kafkajs retried out of sight: whether an attempt was written is unknown (not "definite").
      print({ history: "send", topic, key, value, ok: false, error: String(err?.message ?? err), seq: n, producer: name });
    }
    sent = n;
    if (interval > 0) await sleep(interval);
  }
  done = true;
  print({ done: true, producer: name });
  while (!stopping) await sleep(200);
}

process.on("SIGTERM", () => {
  stopping = true;
  producer.disconnect().finally(() => process.exit(0));
});
main().catch((err) => {
  process.stderr.write(`producer ${name}: ${err?.stack ?? err}\n`);
  process.exit(1);
});
