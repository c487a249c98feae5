// Proxy relay cost without Kafka: a pipelined client sends Produce requests (16 KiB batches) through
// the proxy to a scripted broker; prints requests/s, MB/s and the proxy process's CPU per MB.
//   node --import tsx bench/kafka-proxy/relay-cpu.ts [--requests N]
import { startKafkaProxy } from "../../src/protocols/kafka/proxy/index.js";
import { encodeRecordBatch, encodeRequest } from "../../src/protocols/kafka/wire/index.js";
import { startFakeBroker } from "../../test/kafka/fake-broker.js";
import { rawClient } from "../../test/kafka/raw-client.js";

const i = process.argv.indexOf("--requests");
const REQUESTS = i > 0 ? Number(process.argv[i + 1]) : 20000;
const IN_FLIGHT = 5;

async function measure(address: string, label: string): Promise<void> {
  const c = await rawClient(address);
  const batch = encodeRecordBatch(
    Array.from({ length: 80 }, (_, k) => ({ key: `k${k}`, value: "x".repeat(200) })),
    { producerId: 1n, producerEpoch: 0, baseSequence: 0 },
  );
  const frames = Array.from({ length: IN_FLIGHT }, (_, k) =>
    encodeRequest(0, 9, k, "bench", {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records: batch }] }],
    }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  while (sent < Math.min(IN_FLIGHT, REQUESTS)) c.send(frames[sent++ % IN_FLIGHT]!);
  while (c.responses.length < REQUESTS) {
    const before = c.responses.length;
    await c.waitFor(before + 1, 30000);
    while (sent < REQUESTS && sent - c.responses.length < IN_FLIGHT) c.send(frames[sent++ % IN_FLIGHT]!);
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mb = (REQUESTS * frames[0]!.length) / 1e6;
  console.log(
    `${label}: ${(REQUESTS / secs).toFixed(0)} req/s, ${(mb / secs).toFixed(1)} MB/s, process CPU ${((cpu.user + cpu.system) / 1000 / mb).toFixed(2)} ms/MB (client+broker+proxy in one process)`,
  );
  c.socket.destroy();
}

const broker = await startFakeBroker();
broker.stored.clear();
await measure(`127.0.0.1:${broker.port}`, "direct ");
broker.stored.clear();
const proxy = await startKafkaProxy({ upstream: `127.0.0.1:${broker.port}` });
await measure(proxy.bootstrap, "proxied");
await proxy.close();
await broker.close();
