// Direct vs through-the-proxy throughput and latency, in one run, with Kafka's own perf tools:
//   node --import tsx bench/kafka-proxy/run.ts [--records N] [--rounds N] [--version 4|3.9] [--record-size B]
// With records above 1 MiB (e.g. --record-size 4194304 --records 100), requests and fetch responses
// are above the proxy's cut-through threshold: this measures the streamed relay.
// Prints producer throughput (saturated), producer latency percentiles at a fixed rate, consumer
// throughput, and the proxy/direct ratios, for two proxies side by side: one with no rules (the relay
// itself) and one with a rule installed that matches nothing (drop on a topic nobody uses: every
// request is then inspected by the rules, and none acts).
import { spawn } from "node:child_process";
import { useKafka, kafkaTool } from "../../test/support/index.js";
import { startKafkaProxy } from "../../src/protocols/kafka/proxy/index.js";
import { drop } from "../../src/protocols/kafka/rules/index.js";
import { kafkajs, uniqueTopic } from "../../test/integration/kafka-proxy/helpers.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const RECORDS = Number(opt("records", "200000"));
const ROUNDS = Number(opt("rounds", "3"));
const VERSION = opt("version", "4");
const RECORD_SIZE = Number(opt("record-size", "200"));
/** Large records need a topic and producer limit above Kafka's 1 MiB default. */
const LARGE = RECORD_SIZE > 512 * 1024;
const LIMIT = String(Math.max(2 * RECORD_SIZE, 1048588));
const LATENCY_RATE = Math.max(1, Math.min(1000, Math.floor(20e6 / RECORD_SIZE)));
const LATENCY_RECORDS = Math.min(10000, LATENCY_RATE * 10);

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: LARGE ? [{ name: "max.message.bytes", value: LIMIT }] : [],
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${argv.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

interface ProducerFigures {
  recordsPerSec: number;
  mbPerSec: number;
  p50: number;
  p99: number;
}

function parseProducer(out: string): ProducerFigures {
  const last =
    out
      .trim()
      .split("\n")
      .filter((l) => /records sent/.test(l))
      .pop() ?? "";
  const m =
    /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?(\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(
      last,
    );
  if (!m) throw new Error(`cannot read producer perf output:\n${out}`);
  return { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]), p50: Number(m[3]), p99: Number(m[4]) };
}

/** Consumer figures; `fetchRecordsPerSec` leaves out the group join, which dominates short runs. */
function parseConsumer(out: string): { mbPerSec: number; recordsPerSec: number; fetchRecordsPerSec: number } {
  const lines = out.trim().split("\n");
  const header = lines.findIndex((l) => l.startsWith("start.time"));
  if (header < 0) throw new Error(`cannot read consumer perf output:\n${out}`);
  const cols = lines[header]!.split(",").map((s) => s.trim());
  const vals = lines[header + 1]!.split(",").map((s) => s.trim());
  return {
    mbPerSec: Number(vals[cols.indexOf("MB.sec")]),
    recordsPerSec: Number(vals[cols.indexOf("nMsg.sec")]),
    fetchRecordsPerSec: Number(vals[cols.indexOf("fetch.nMsg.sec")]),
  };
}

async function producerPerf(
  bootstrap: string,
  topic: string,
  records: number,
  throughput: number,
): Promise<ProducerFigures> {
  const argv = await kafkaTool("kafka-producer-perf-test", VERSION);
  return parseProducer(
    await run([
      ...argv,
      "--topic",
      topic,
      "--num-records",
      String(records),
      "--record-size",
      String(RECORD_SIZE),
      "--throughput",
      String(throughput),
      "--producer-props",
      `bootstrap.servers=${bootstrap}`,
      "acks=1",
      "linger.ms=5",
      ...(LARGE ? [`max.request.size=${LIMIT}`, `buffer.memory=${Math.max(33554432, 4 * RECORD_SIZE)}`] : []),
    ]),
  );
}

async function consumerPerf(bootstrap: string, topic: string, records: number) {
  const argv = await kafkaTool("kafka-consumer-perf-test", VERSION);
  return parseConsumer(
    await run([
      ...argv,
      "--bootstrap-server",
      bootstrap,
      "--topic",
      topic,
      "--messages",
      String(records),
      "--timeout",
      "60000",
    ]),
  );
}

// The broker runs the JVM's full tiered JIT here (not the C1-only default of test brokers): a long,
// heavy load, where the optimizing compiler pays back, and the proxy's overhead is measured against a
// broker at its best.
process.env.FAULTBOX_KAFKA_JIT ??= "full";
const kafka = await useKafka({ nodes: 1, version: VERSION });
const proxy = await startKafkaProxy({ upstream: kafka.bootstrap });
const ruled = await startKafkaProxy({ upstream: kafka.bootstrap });
ruled.addRule(drop({ topic: "faultbox-bench-no-such-topic" }));
try {
  const topics = {
    direct: uniqueTopic("bench-direct"),
    proxy: uniqueTopic("bench-proxy"),
    ruled: uniqueTopic("bench-ruled"),
  };
  for (const t of Object.values(topics)) await createTopic(kafka.bootstrap, t);
  const warm = uniqueTopic("bench-warm");
  await createTopic(kafka.bootstrap, warm);
  await producerPerf(kafka.bootstrap, warm, Math.min(50000, RECORDS), -1); // JIT and page cache warm-up

  // Alternate direct and proxied runs and keep the median of each: other load on the machine then
  // disturbs every side alike.
  const median = <T>(xs: T[], key: (x: T) => number): T =>
    [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
  const sides = [
    { name: "direct", bootstrap: kafka.bootstrap, topic: topics.direct },
    { name: "proxy", bootstrap: proxy.bootstrap, topic: topics.proxy },
    { name: "proxy+rule", bootstrap: ruled.bootstrap, topic: topics.ruled },
  ] as const;
  const figures = sides.map(() => ({
    produce: [] as ProducerFigures[],
    latency: [] as ProducerFigures[],
    consume: [] as ReturnType<typeof parseConsumer>[],
  }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, s] of sides.entries())
      figures[i]!.produce.push(await producerPerf(s.bootstrap, s.topic, RECORDS, -1));
    for (const [i, s] of sides.entries())
      figures[i]!.latency.push(await producerPerf(s.bootstrap, s.topic, LATENCY_RECORDS, LATENCY_RATE));
    for (const [i, s] of sides.entries())
      figures[i]!.consume.push(await consumerPerf(s.bootstrap, s.topic, RECORDS));
  }
  const summary = figures.map((f) => ({
    produce: median(f.produce, (x) => x.recordsPerSec),
    p50: median(f.latency, (x) => x.p50).p50,
    p99: median(f.latency, (x) => x.p99).p99,
    consume: median(f.consume, (x) => x.recordsPerSec),
    fetch: median(f.consume, (x) => x.fetchRecordsPerSec).fetchRecordsPerSec,
  }));
  const direct = summary[0]!;
  const ratio = (a: number, b: number) => (b / a).toFixed(3);
  const [l1, l5, l15] = (await import("node:os")).loadavg();
  console.log(
    `Kafka ${kafka.version}, 1 node, ${RECORDS} records of ${RECORD_SIZE} B, acks=1, median of ${ROUNDS} alternating rounds (load average ${l1!.toFixed(1)} ${l5!.toFixed(1)} ${l15!.toFixed(1)})`,
  );
  for (const [i, s] of sides.entries()) {
    const f = summary[i]!;
    const vs = (a: number, b: number) => (i === 0 ? "" : `  ratio ${ratio(a, b)}`);
    console.log(
      `${s.name.padEnd(11)} producer ${f.produce.recordsPerSec.toFixed(0)} rec/s (${f.produce.mbPerSec} MB/s)${vs(direct.produce.recordsPerSec, f.produce.recordsPerSec)}` +
        ` | latency at ${LATENCY_RATE} rec/s p50 ${f.p50} ms p99 ${f.p99} ms` +
        ` | consumer ${f.consume.recordsPerSec.toFixed(0)} rec/s (${f.consume.mbPerSec} MB/s)${vs(direct.consume.recordsPerSec, f.consume.recordsPerSec)}` +
        ` | fetch-only ${f.fetch.toFixed(0)} rec/s${vs(direct.fetch, f.fetch)}`,
    );
  }
  for (const [name, p] of [
    ["proxy", proxy],
    ["proxy+rule", ruled],
  ] as const)
    console.log(
      `${name} relayed ${p.stats.requests} requests, ${(p.stats.bytesFromClients / 1e6).toFixed(1)} MB up, ${(p.stats.bytesFromBrokers / 1e6).toFixed(1)} MB down; frames relayed in parts: ${p.stats.requestsStreamed} requests, ${p.stats.responsesStreamed} responses`,
    );
} finally {
  await proxy.close();
  await ruled.close();
}
process.exit(0);
