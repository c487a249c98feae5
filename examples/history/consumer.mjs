#!/usr/bin/env node
// A consumer service that processes each record, then commits its offset, and reports every record it
// processed as one JSON line on stdout: {"history":"read", topic, partition, offset, key, value, group,
// consumer}. Observed with stdout(decoder=json_decoder()), its lines are the reads the history checker
// reads (docs/history.md).
//
// Configured by its environment (a kafkajs consumer in a group):
//   KAFKA_BROKERS   bootstrap servers, comma separated (through faultbox's proxy: kafka.broker.addr)
//   TOPIC, GROUP    what to read, and the consumer group
//   REQUEST_TIMEOUT_MS  kafkajs request timeout (default 30000); lower it when brokers may stall
//   CONSUMER        its name (client id) in the events (default "consumer")
//   PROCESS_MS      time spent "processing" each record before its commit (default 0)
//   SESSION_MS      group session timeout (default 10000)
//   RETRIES         kafkajs retries of a request, a commit included (default 5)
//   CRASH_AFTER     die (SIGKILL, no goodbye to the group) after processing this many records, before
//                   committing the last one: a crash between processing and commit
// Processing then committing is at-least-once: a record processed but not yet committed when the
// consumer dies, or loses its partition, is processed again by whoever reads the partition next; and
// when a commit fails, this consumer goes back to the last offset it knows committed and processes
// from there again.
import kafkajs from "kafkajs";

const env = process.env;
const topic = env.TOPIC ?? "history";
const group = env.GROUP ?? "history-group";
const name = env.CONSUMER ?? "consumer";
const processMs = Number(env.PROCESS_MS ?? 0);
const sessionTimeout = Number(env.SESSION_MS ?? 10_000);
const crashAfter = Number(env.CRASH_AFTER ?? 0);
let processed = 0;

const kafka = new kafkajs.Kafka({
  clientId: name,
  brokers: (env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(","),
  logLevel: kafkajs.logLevel.NOTHING,
  requestTimeout: Number(env.REQUEST_TIMEOUT_MS ?? 30_000),
});
const consumer = kafka.consumer({
  groupId: group,
  sessionTimeout,
  heartbeatInterval: Math.min(1000, sessionTimeout / 5),
  rebalanceTimeout: sessionTimeout * 2,
  maxWaitTimeInMs: 200,
  retry: { retries: Number(env.RETRIES ?? 5), initialRetryTime: 100, maxRetryTime: 1000 },
});
const print = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

consumer.on(consumer.events.GROUP_JOIN, (e) =>
  print({ event: "assigned", consumer: name, assignment: e.payload.memberAssignment }),
);

async function main() {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  // The offset this consumer last committed successfully, per partition.
  const committed = new Map();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) return;
        if (processMs > 0) await sleep(processMs);
        print({
          history: "read",
          topic: batch.topic,
          partition: batch.partition,
          offset: Number(message.offset),
          key: message.key ? message.key.toString("utf8") : "",
          value: message.value ? message.value.toString("utf8") : "",
          group,
          consumer: name,
        });
        if (++processed === crashAfter) process.kill(process.pid, "SIGKILL");
        const next = String(BigInt(message.offset) + 1n);
        try {
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
          committed.set(batch.partition, next);
        } catch (err) {
          // The commit failed (as far as this consumer knows): process again from the last one that did.
          const from = committed.get(batch.partition) ?? message.offset;
          print({ event: "commit_failed", consumer: name, partition: batch.partition, offset: next, seek: from, error: String(err?.message ?? err) });
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: from });
          return;
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}

process.on("SIGTERM", () => {
  consumer.disconnect().finally(() => process.exit(0));
});
main().catch((err) => {
  process.stderr.write(`consumer ${name}: ${err?.stack ?? err}\n`);
  process.exit(1);
});
