// Proxy relay cost without Kafka: a pipelined client sends requests through the proxy to a scripted
// broker; prints requests/s, MB/s, the CPU per MB of this process (client and broker) and of the proxy,
// which runs in a child process so its CPU time can be read alone; and the same through a plain TCP relay
// (socket.pipe, no Kafka framing), the floor of any relay written in Node, for comparison.
//   node --import tsx bench/kafka-proxy/relay-cpu.ts [--requests N] [--fetch-bytes N]
// Default: Produce v9 requests of 16 KiB batches. With --fetch-bytes: Fetch v17 requests answered with
// N bytes of records (what Java 4.x consumers use; above 1 MiB the proxy relays them in parts).
import { fork, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo, type Socket } from "node:net";
import {
  FrameReader,
  encodeRecordBatch,
  encodeRequest,
  encodeResponse,
} from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "../../test/kafka/fake-broker.js";
import { rawClient } from "../../test/kafka/raw-client.js";

const opt = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
};
const FETCH_BYTES = opt("fetch-bytes");
const REQUESTS = opt("requests") ?? (FETCH_BYTES ? Math.max(50, Math.floor(2e9 / FETCH_BYTES)) : 20000);
const IN_FLIGHT = FETCH_BYTES ? 1 : 5;

const TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ";

function produceFrames(): Buffer[] {
  const batch = encodeRecordBatch(
    Array.from({ length: 80 }, (_, k) => ({ key: `k${k}`, value: "x".repeat(200) })),
    { producerId: 1n, producerEpoch: 0, baseSequence: 0 },
  );
  return Array.from({ length: IN_FLIGHT }, (_, k) =>
    encodeRequest(0, 9, k, "bench", {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: batch }] }],
    }),
  );
}

const fetchRequest = (corr: number) =>
  encodeRequest(1, 17, corr, "bench", {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 100 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topicId: TOPIC_ID,
        partitions: [
          {
            partition: 0,
            fetchOffset: 0n,
            partitionMaxBytes: 100 * 1024 * 1024,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  } as never);

/** A broker stand-in answering every Fetch with the same records (only the correlation id changes). */
async function startFetchBroker(recordBytes: number) {
  const response = encodeResponse(1, 17, 0, {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topicId: TOPIC_ID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 1n,
            lastStableOffset: 1n,
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: Buffer.alloc(recordBytes, 1),
          },
        ],
      },
    ],
  } as never);
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    const frames = new FrameReader();
    s.on("data", (c) => {
      for (const f of frames.push(c)) {
        response.writeInt32BE(f.readInt32BE(4), 4);
        s.write(Buffer.from(response));
      }
    });
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    responseBytes: response.length,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function measure(address: string, label: string, frames: Buffer[], mbPerRequest: number) {
  const c = await rawClient(address);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  while (sent < Math.min(IN_FLIGHT, REQUESTS)) c.send(frames[sent++ % frames.length]!);
  while (c.responses.length < REQUESTS) {
    const before = c.responses.length;
    await c.waitFor(before + 1, 60000);
    c.responses.fill(Buffer.alloc(0), 0, c.responses.length); // keep the count, drop the bytes
    while (sent < REQUESTS && sent - c.responses.length < IN_FLIGHT) c.send(frames[sent++ % frames.length]!);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mb = REQUESTS * mbPerRequest;
  const msPerMb = (cpu.user + cpu.system) / 1000 / mb;
  console.log(
    `${label}: ${(REQUESTS / secs).toFixed(0)} req/s, ${(mb / secs).toFixed(1)} MB/s, process CPU ${msPerMb.toFixed(2)} ms/MB (client and broker)`,
  );
  c.socket.destroy();
  return msPerMb;
}

/** The proxy in a child process (bench/kafka-proxy/proxy-child.ts), so its CPU time can be read alone. */
async function startProxyProcess(upstream: string, pipe = false) {
  const child: ChildProcess = fork(new URL("./proxy-child.ts", import.meta.url), {
    execArgv: [
      "--import",
      "tsx",
      ...(process.env.PROXY_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROXY_CPU_PROF}`] : []),
    ],
  });
  const ask = <T>(msg: object): Promise<T> =>
    new Promise((resolve) => {
      child.once("message", (m) => resolve(m as T));
      child.send(msg);
    });
  const { bootstrap } = await ask<{ bootstrap: string }>({ upstream, pipe });
  return {
    bootstrap,
    mark: () => ask({ cmd: "mark" }),
    cpuMs: async () => (await ask<{ cpuMs: number }>({ cmd: "report" })).cpuMs,
    close: () => {
      child.send({ cmd: "close" });
      return new Promise((r) => child.once("exit", r));
    },
  };
}

async function measureProxied(upstream: string, frames: Buffer[], mbPerRequest: number, pipe = false) {
  const proxy = await startProxyProcess(upstream, pipe);
  await proxy.mark();
  const all = await measure(proxy.bootstrap, pipe ? "pipe   " : "proxied", frames, mbPerRequest);
  const own = (await proxy.cpuMs()) / (REQUESTS * mbPerRequest);
  console.log(
    `${pipe ? "plain TCP relay process alone (no Kafka framing)" : "proxy process alone"}: ${own.toFixed(2)} ms CPU per MB relayed`,
  );
  await proxy.close();
  return all;
}

if (FETCH_BYTES) {
  const broker = await startFetchBroker(FETCH_BYTES);
  const frames = [fetchRequest(1)];
  const mb = broker.responseBytes / 1e6;
  const label = `Fetch v17, ${(FETCH_BYTES / 1048576).toFixed(2)} MiB records, ${REQUESTS} requests`;
  console.log(label);
  await measure(`127.0.0.1:${broker.port}`, "direct ", frames, mb);
  await measureProxied(`127.0.0.1:${broker.port}`, frames, mb);
  await measureProxied(`127.0.0.1:${broker.port}`, frames, mb, true);
  await broker.close();
} else {
  const broker = await startFakeBroker();
  const frames = produceFrames();
  const mb = frames[0]!.length / 1e6;
  broker.stored.clear();
  await measure(`127.0.0.1:${broker.port}`, "direct ", frames, mb);
  broker.stored.clear();
  await measureProxied(`127.0.0.1:${broker.port}`, frames, mb);
  broker.stored.clear();
  await measureProxied(`127.0.0.1:${broker.port}`, frames, mb, true);
  await broker.close();
}
process.exit(0);
