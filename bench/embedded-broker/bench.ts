// Benchmark: the embedded broker against real Apache Kafka (KRaft, src/launch/kafka-local), same
// machine, same run. Prints figures and ratios embedded/real; nothing here is asserted.
//
//   node --import tsx bench/embedded-broker/bench.ts [--records 200000] [--size 100] [--rounds 3] [--skip-java]
//
// Measured per broker:
//   start       time until the broker accepts connections (embedded: 1 and 3 nodes; real: 1 node,
//               ready = accepts a produce, as src/launch/kafka-local waits for)
//   kafkajs     produce N records (batches of 1000, acks=all, idempotent) and consume them with a group
//   java perf   kafka-producer-perf-test / kafka-consumer-perf-test (Kafka 4 client, acks=all)
import { Kafka, logLevel } from "kafkajs";
import { startEmbeddedKafka } from "../../src/protocols/kafka/broker/index.js";
import { kafkaToolCommand, startKafka } from "../../src/launch/kafka-local/index.js";
import { runCommand } from "../../test/support/run-command.js";

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RECORDS = flag("--records", 200_000);
const SIZE = flag("--size", 100);
const JAVA = !args.includes("--skip-java");
const ROUNDS = flag("--rounds", 3);

interface Figures {
  startMs: number;
  kafkajsProduce: number; // records/s
  kafkajsConsume: number;
  javaProduce?: number;
  javaConsume?: number;
  /** kafka-consumer-perf-test's fetch.nMsg.sec: the rate without the group join. */
  javaFetch?: number;
  javaRebalanceMs?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function kafkajsThroughput(
  bootstrap: string,
  topic: string,
): Promise<{ produce: number; consume: number }> {
  const kafka = new Kafka({ brokers: bootstrap.split(","), logLevel: logLevel.NOTHING, clientId: "bench" });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const value = Buffer.alloc(SIZE, 120);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let t0 = process.hrtime.bigint();
  const BATCH = 1000;
  for (let sent = 0; sent < RECORDS; sent += BATCH) {
    const n = Math.min(BATCH, RECORDS - sent);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, () => ({ value })) });
  }
  const produceMs = ms(t0);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxBytes: 50 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  t0 = process.hrtime.bigint();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          got += batch.messages.length;
          if (got >= RECORDS) resolve();
        },
      })
      .catch(reject);
  });
  const consumeMs = ms(t0);
  await consumer.disconnect();
  return { produce: (RECORDS * 1000) / produceMs, consume: (RECORDS * 1000) / consumeMs };
}

/** records/s from the perf tools' summary lines. */
async function javaThroughput(
  bootstrap: string,
  topic: string,
): Promise<{ produce: number; consume: number; fetch: number; rebalanceMs: number }> {
  const producer = await kafkaToolCommand("kafka-producer-perf-test");
  const p = await runCommand(
    [
      ...producer,
      "--topic",
      topic,
      "--num-records",
      String(RECORDS),
      "--record-size",
      String(SIZE),
      "--throughput",
      "-1",
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      "acks=all",
    ],
    { timeoutMs: 300_000 },
  );
  const pm = /([\d.]+) records\/sec/.exec(p.stdout.trim().split("\n").pop() ?? "");
  if (p.code !== 0 || !pm) throw new Error(`kafka-producer-perf-test failed:\n${p.stdout}\n${p.stderr}`);
  const consumer = await kafkaToolCommand("kafka-consumer-perf-test");
  const c = await runCommand(
    [
      ...consumer,
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--messages",
      String(RECORDS),
      "--group",
      `perf-${topic}`,
      "--timeout",
      "60000",
    ],
    { timeoutMs: 300_000 },
  );
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
  const row = c.stdout
    .trim()
    .split("\n")
    .pop()
    ?.split(",")
    .map((s) => s.trim());
  const rate = Number(row?.[5]);
  if (c.code !== 0 || !Number.isFinite(rate))
    throw new Error(`kafka-consumer-perf-test failed:\n${c.stdout}\n${c.stderr}`);
  return { produce: Number(pm[1]), consume: rate, fetch: Number(row?.[9]), rebalanceMs: Number(row?.[6]) };
}

async function measure(
  name: string,
  start: () => Promise<{ bootstrap: string; stop: () => Promise<void> }>,
): Promise<Figures> {
  const t0 = process.hrtime.bigint();
  const broker = await start();
  const startMs = ms(t0);
  try {
    // Each figure is the median of ROUNDS runs on fresh topics (single runs vary a lot on 2 cores).
    const runs: Figures[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const kjs = await kafkajsThroughput(broker.bootstrap, `bench-kafkajs-${name}-${round}`);
      const f: Figures = { startMs, kafkajsProduce: kjs.produce, kafkajsConsume: kjs.consume };
      if (JAVA) {
        const j = await javaThroughput(broker.bootstrap, `bench-java-${name}-${round}`);
        f.javaProduce = j.produce;
        f.javaConsume = j.consume;
        f.javaFetch = j.fetch;
        f.javaRebalanceMs = j.rebalanceMs;
      }
      runs.push(f);
    }
    const med = (k: keyof Figures) => {
      const xs = runs.map((r) => r[k]).filter((x): x is number => x !== undefined);
      return xs.length ? median(xs) : undefined;
    };
    return {
      startMs,
      kafkajsProduce: med("kafkajsProduce")!,
      kafkajsConsume: med("kafkajsConsume")!,
      javaProduce: med("javaProduce"),
      javaConsume: med("javaConsume"),
      javaFetch: med("javaFetch"),
      javaRebalanceMs: med("javaRebalanceMs"),
    };
  } finally {
    await broker.stop();
  }
}

const startOnly = async (brokers: number): Promise<number> => {
  const t0 = process.hrtime.bigint();
  const k = await startEmbeddedKafka({ brokers });
  const t = ms(t0);
  await k.close();
  return t;
};

console.log(
  `records: ${RECORDS} x ${SIZE} bytes, 3 partitions, median of ${ROUNDS} rounds; machine: ${(await import("node:os")).cpus().length} cores`,
);
// Warm the module graph so the first embedded start is not charged with loading code.
await startOnly(1);
const starts1 = [];
const starts3 = [];
for (let i = 0; i < 5; i++) starts1.push(await startOnly(1));
for (let i = 0; i < 5; i++) starts3.push(await startOnly(3));

const embedded = await measure("embedded", async () => {
  // group.initial.rebalance.delay.ms 0, as src/launch/kafka-local configures the real broker.
  const k = await startEmbeddedKafka({ brokers: 1, initialRebalanceDelayMs: 0 });
  return { bootstrap: k.bootstrap, stop: () => k.close() };
});
const real = await measure("real", async () => {
  const c = await startKafka({ nodes: 1 });
  return { bootstrap: c.brokers.map((b) => `${b.host}:${b.port}`).join(","), stop: () => c.stop() };
});

const fmt = (n: number | undefined, unit: string) =>
  n === undefined ? "-" : `${n >= 100 ? Math.round(n).toLocaleString("en") : n.toFixed(2)} ${unit}`;
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? "-" : (a / b).toFixed(2));
const rows: [string, number | undefined, number | undefined, string][] = [
  ["start (1 node)", median(starts1), real.startMs, "ms"],
  ["kafkajs produce", embedded.kafkajsProduce, real.kafkajsProduce, "rec/s"],
  ["kafkajs consume", embedded.kafkajsConsume, real.kafkajsConsume, "rec/s"],
  ["java perf produce", embedded.javaProduce, real.javaProduce, "rec/s"],
  ["java perf consume", embedded.javaConsume, real.javaConsume, "rec/s"],
  ["  of which fetching", embedded.javaFetch, real.javaFetch, "rec/s"],
  ["  group join", embedded.javaRebalanceMs, real.javaRebalanceMs, "ms"],
];
console.log(`embedded start, 3 nodes: ${median(starts3).toFixed(2)} ms (median of 5)`);
console.log(
  `${"".padEnd(20)}${"embedded".padStart(18)}${"real Kafka".padStart(18)}${"embedded/real".padStart(16)}`,
);
for (const [label, e, r, unit] of rows) {
  console.log(
    `${label.padEnd(20)}${fmt(e, unit).padStart(18)}${fmt(r, unit).padStart(18)}${ratio(e, r).padStart(16)}`,
  );
}
