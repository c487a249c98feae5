// Direct vs through-the-proxy throughput and latency, in one run, with Kafka's own perf tools:
//   node --import tsx bench/kafka-proxy/run.ts [--records N] [--rounds N] [--version 4|3.9] [--record-size B]
// With records above 1 MiB (e.g. --record-size 4194304 --records 100), requests and fetch responses
// are above the proxy's cut-through threshold: this measures the streamed relay.
// Prints producer throughput (saturated), producer latency percentiles at a fixed rate, consumer
// throughput, and the proxy/direct ratios. No rules are installed: this measures the relay itself.
import { spawn } from "node:child_process";
import { useKafka, kafkaTool } from "../../test/support/index.js";
import { startKafkaProxy } from "../../src/protocols/kafka/proxy/index.js";
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

const kafka = await useKafka({ nodes: 1, version: VERSION });
const proxy = await startKafkaProxy({ upstream: kafka.bootstrap });
try {
  const topics = { direct: uniqueTopic("bench-direct"), proxy: uniqueTopic("bench-proxy") };
  await createTopic(kafka.bootstrap, topics.direct);
  await createTopic(kafka.bootstrap, topics.proxy);
  const warm = uniqueTopic("bench-warm");
  await createTopic(kafka.bootstrap, warm);
  await producerPerf(kafka.bootstrap, warm, Math.min(50000, RECORDS), -1); // JIT and page cache warm-up

  // Alternate direct and proxied runs and keep the median of each: other load on the machine then
  // disturbs both sides alike.
  const median = <T>(xs: T[], key: (x: T) => number): T =>
    [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;
  const pd: ProducerFigures[] = [];
  const pp: ProducerFigures[] = [];
  const ld: ProducerFigures[] = [];
  const lp: ProducerFigures[] = [];
  const cd: ReturnType<typeof parseConsumer>[] = [];
  const cp: ReturnType<typeof parseConsumer>[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    pd.push(await producerPerf(kafka.bootstrap, topics.direct, RECORDS, -1));
    pp.push(await producerPerf(proxy.bootstrap, topics.proxy, RECORDS, -1));
    ld.push(await producerPerf(kafka.bootstrap, topics.direct, LATENCY_RECORDS, LATENCY_RATE));
    lp.push(await producerPerf(proxy.bootstrap, topics.proxy, LATENCY_RECORDS, LATENCY_RATE));
    cd.push(await consumerPerf(kafka.bootstrap, topics.direct, RECORDS));
    cp.push(await consumerPerf(proxy.bootstrap, topics.proxy, RECORDS));
  }
  const prodDirect = median(pd, (x) => x.recordsPerSec);
  const prodProxy = median(pp, (x) => x.recordsPerSec);
  const latDirect = { p50: median(ld, (x) => x.p50).p50, p99: median(ld, (x) => x.p99).p99 };
  const latProxy = { p50: median(lp, (x) => x.p50).p50, p99: median(lp, (x) => x.p99).p99 };
  const consDirect = median(cd, (x) => x.recordsPerSec);
  const consProxy = median(cp, (x) => x.recordsPerSec);

  const ratio = (a: number, b: number) => (b / a).toFixed(3);
  console.log(
    `Kafka ${kafka.version}, 1 node, ${RECORDS} records of ${RECORD_SIZE} B, acks=1, no rules, median of ${ROUNDS} alternating rounds`,
  );
  console.log(
    `producer throughput  direct ${prodDirect.recordsPerSec.toFixed(0)} rec/s (${prodDirect.mbPerSec} MB/s)  proxy ${prodProxy.recordsPerSec.toFixed(0)} rec/s (${prodProxy.mbPerSec} MB/s)  ratio ${ratio(prodDirect.recordsPerSec, prodProxy.recordsPerSec)}`,
  );
  console.log(
    `producer latency at ${LATENCY_RATE} rec/s  direct p50 ${latDirect.p50} ms p99 ${latDirect.p99} ms  proxy p50 ${latProxy.p50} ms p99 ${latProxy.p99} ms  added p50 ${latProxy.p50 - latDirect.p50} ms p99 ${latProxy.p99 - latDirect.p99} ms`,
  );
  console.log(
    `consumer throughput  direct ${consDirect.recordsPerSec.toFixed(0)} rec/s (${consDirect.mbPerSec} MB/s)  proxy ${consProxy.recordsPerSec.toFixed(0)} rec/s (${consProxy.mbPerSec} MB/s)  ratio ${ratio(consDirect.recordsPerSec, consProxy.recordsPerSec)}`,
  );
  const fetchDirect = median(cd, (x) => x.fetchRecordsPerSec).fetchRecordsPerSec;
  const fetchProxy = median(cp, (x) => x.fetchRecordsPerSec).fetchRecordsPerSec;
  console.log(
    `consumer fetch-only  direct ${fetchDirect.toFixed(0)} rec/s  proxy ${fetchProxy.toFixed(0)} rec/s  ratio ${ratio(fetchDirect, fetchProxy)} (without the group join)`,
  );
  console.log(
    `proxy relayed ${proxy.stats.requests} requests, ${(proxy.stats.bytesFromClients / 1e6).toFixed(1)} MB up, ${(proxy.stats.bytesFromBrokers / 1e6).toFixed(1)} MB down; frames relayed in parts: ${proxy.stats.requestsStreamed} requests, ${proxy.stats.responsesStreamed} responses`,
  );
} finally {
  await proxy.close();
}
process.exit(0);
