// Added latency of the proxy, in microseconds, direct vs through the proxy in one run:
//   node --import tsx bench/kafka-proxy/latency.ts [--requests N] [--rounds N] [--version 4|3.9]
// The perf tools report latency in whole milliseconds and their own percentiles move by tens of ms
// from run to run on a shared machine, so they cannot show a sub-millisecond difference. This bench
// sends one request at a time on one connection (no pipelining, so each sample is one round trip) and
// times it with a monotonic clock: Produce v9 acks=1 of one 100-byte record, and Metadata v12 of one
// topic. Rounds alternate direct and proxied blocks so drift in the machine's load hits both. No rules.
import { performance } from "node:perf_hooks";
import { useKafka } from "../../test/support/index.js";
import { startKafkaProxy } from "../../src/protocols/kafka/proxy/index.js";
import { WireConnection } from "../../src/protocols/kafka/plugin/observer/wire-client.js";
import { API_KEYS, encodeRecordBatch } from "../../src/protocols/kafka/wire/index.js";
import { kafkajs, uniqueTopic } from "../../test/integration/kafka-proxy/helpers.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const REQUESTS = Number(opt("requests", "3000"));
const ROUNDS = Number(opt("rounds", "4"));
const VERSION = opt("version", "4");

const parse = (hostPort: string) => {
  const [host, port] = hostPort.split(",")[0]!.split(":");
  return { host: host!, port: Number(port) };
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Kind = "produce" | "metadata";

async function sample(conn: WireConnection, kind: Kind, topic: string, n: number): Promise<number[]> {
  const value = Buffer.alloc(100, 0x61);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    if (kind === "produce") {
      const r = await conn.request(API_KEYS.Produce, 9, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [
          { name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ key: null, value }]) }] },
        ],
      });
      const code = r.responses[0]?.partitionResponses[0]?.errorCode;
      if (code !== 0) throw new Error(`produce failed with error ${code}`);
    } else {
      await conn.request(API_KEYS.Metadata, 12, {
        topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: topic }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      });
    }
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

// The broker runs the JVM's full tiered JIT here (not the C1-only default of test brokers): a long,
// heavy load, where the optimizing compiler pays back, and the proxy's overhead is measured against a
// broker at its best.
process.env.FAULTBOX_KAFKA_JIT ??= "full";
const kafka = await useKafka({ nodes: 1, version: VERSION });
const proxy = await startKafkaProxy({ upstream: kafka.bootstrap });
try {
  const topic = uniqueTopic("latency");
  const admin = kafkajs(kafka.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();

  // The proxied connection goes to the proxy's listener for the leader (learnt from Metadata), so both
  // connections reach the same broker directly or through exactly one relay.
  const direct = new WireConnection(parse(kafka.bootstrap));
  const boot = new WireConnection(parse(proxy.bootstrap));
  const md = await boot.request(API_KEYS.Metadata, 12, {
    topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: topic }],
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  boot.close();
  const leader = md.brokers.find((b) => b.nodeId === md.topics[0]!.partitions[0]!.leaderId)!;
  const proxied = new WireConnection({ host: leader.host, port: leader.port });

  const results: Record<string, { direct: number[]; proxy: number[] }> = {
    produce: { direct: [], proxy: [] },
    metadata: { direct: [], proxy: [] },
  };
  for (const kind of ["produce", "metadata"] as Kind[]) {
    await sample(direct, kind, topic, 300); // warm-up: JIT, page cache, connections
    await sample(proxied, kind, topic, 300);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of ["produce", "metadata"] as Kind[]) {
      const first = round % 2 === 0 ? "direct" : "proxy";
      for (const side of [first, first === "direct" ? "proxy" : "direct"] as const)
        results[kind]![side].push(
          ...(await sample(side === "direct" ? direct : proxied, kind, topic, REQUESTS)),
        );
    }
  }
  direct.close();
  proxied.close();

  const fmt = (us: number) => `${us.toFixed(0).padStart(6)} µs`;
  console.log(
    `Kafka ${kafka.version}, 1 node, one request at a time on one connection, ${ROUNDS} alternating rounds of ${REQUESTS}`,
  );
  for (const [kind, r] of Object.entries(results)) {
    const d = [...r.direct].sort((a, b) => a - b);
    const p = [...r.proxy].sort((a, b) => a - b);
    for (const pct of [50, 90, 99, 99.9]) {
      const dv = percentile(d, pct);
      const pv = percentile(p, pct);
      console.log(
        `${kind.padEnd(8)} p${String(pct).padEnd(4)} direct ${fmt(dv)}  proxy ${fmt(pv)}  added ${fmt(pv - dv)}`,
      );
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(
      `${kind.padEnd(8)} mean  direct ${fmt(mean(d))}  proxy ${fmt(mean(p))}  round trips/s ratio ${(mean(d) / mean(p)).toFixed(3)}`,
    );
  }
} finally {
  await proxy.close();
}
process.exit(0);
