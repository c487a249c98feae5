// The local Kafka that stands in for a Kafka image survives what a real broker with Kafka's defaults
// survives: two clients that each declare a request of socket.request.max.bytes (100 MiB, Kafka's
// default), sent straight to the broker and through the proxy. The broker allocates a declared request
// in full as it reads it, so its heap must hold two at once (Kafka's own start script gives it 1 GiB).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import kafkajs from "kafkajs";
import type { ServiceDef } from "../../../src/core/model.js";
import type { Address } from "../../../src/core/protocol.js";
import { localKafkaSubstitute, startKafkaPluginProxy } from "../../../src/protocols/kafka/plugin/index.js";

const { Kafka, logLevel } = kafkajs;
const DECLARED = 100 * 1024 * 1024;

/** A raw client that declares a DECLARED-byte request and sends all of it but the last byte. */
function bigRequest(to: Address): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(to);
    s.on("error", () => resolve(s));
    const size = Buffer.alloc(4);
    size.writeInt32BE(DECLARED);
    s.write(size);
    const chunk = Buffer.alloc(1024 * 1024);
    let left = DECLARED - 1;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once("drain", pump);
      }
      // Everything written has left this process: the broker has read (and allocated) the request.
      s.once("drain", () => resolve(s));
      if (s.writableLength === 0) resolve(s);
    };
    pump();
  });
}

async function roundTrip(to: Address, topic: string, value: string): Promise<string[]> {
  const kafka = new Kafka({
    brokers: [`${to.host}:${to.port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `g-${randomBytes(4).toString("hex")}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no record on ${topic} within 60 s`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        clearTimeout(timer);
        resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

test(
  "the Kafka stand-in survives two clients declaring 100 MiB requests, direct and through the proxy",
  { timeout: 300_000 },
  async () => {
    const service: ServiceDef = {
      kind: "service",
      name: "kafka",
      interfaces: [{ kind: "interface", name: "broker", protocol: "kafka", port: 9092, service: "kafka" }],
      image: "confluentinc/cp-kafka:7.6",
      args: [],
      env: {},
      dependsOn: [],
      reuse: false,
      observe: [],
      ports: {},
      ops: {},
      cwd: process.cwd(),
      index: 0,
    };
    const lines: string[] = [];
    const broker = await localKafkaSubstitute.launch({
      service,
      env: {},
      onLine: (_stream, line) => lines.push(line),
    });
    const direct = broker.addresses.broker!;
    const proxy = await startKafkaPluginProxy({
      upstream: direct,
      seed: 1n,
      listenHost: "127.0.0.1",
      onEvent: () => undefined,
    });
    let died = false;
    void broker.exited.then(() => (died = true));
    try {
      for (const [name, to] of [
        ["direct", direct],
        ["through the proxy", proxy.listen],
      ] as const) {
        const big = await Promise.all([bigRequest(to), bigRequest(to)]);
        // While both 100 MiB requests are held, ordinary clients are served.
        const topic = `mem-${randomBytes(4).toString("hex")}`;
        assert.deepEqual(
          await roundTrip(direct, topic, name),
          [name],
          `${name}: broker log:\n${broker.lastLines(20).join("\n")}`,
        );
        for (const s of big) s.destroy();
        assert.equal(died, false, `${name}: the broker exited:\n${broker.lastLines(20).join("\n")}`);
      }
    } finally {
      await proxy.close();
      await broker.stop(3000);
    }
  },
);
