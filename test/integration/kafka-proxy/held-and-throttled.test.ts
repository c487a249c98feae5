// delay_response and throttle against real Kafka 4, with the Java client, librdkafka and kafkajs:
// - delay_response: while the producer is still waiting for its ack, the broker already holds the
//   record (read directly from the broker between two looks at the producer: no ack before, none after);
// - throttle: the answers carry throttle_time_ms, and each client reports it (Java in its producer
//   metrics, librdkafka through its throttle callback as kcat prints it, kafkajs in its request queue's
//   log); everything is stored.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { kafkaTool, useKafka } from "../../support/index.js";
import { delayResponse, throttle } from "../../../src/protocols/kafka/rules/index.js";
import type { KafkaProxyEvent } from "../../../src/protocols/kafka/proxy/index.js";
import { createTopic, faults, proxyFor, run, uniqueTopic } from "./helpers.js";
import { eventually, startProcess } from "./live-process.js";
import { javaClassArgv, storedValues } from "./response-clients.js";

type Fault = Extract<KafkaProxyEvent, { type: "fault" }>;

/** A producer sending one record: whether it has its ack yet, and a wait for it. */
interface OneSend {
  /** The value as the broker will store it. */
  value: string;
  acked(): boolean;
  ack: Promise<string>;
  stop(): Promise<void>;
}

// Long enough that reading the broker between two looks at the client fits well inside it, shorter
// than every client's request timeout (30 s), so the client waits instead of retrying.
const HOLD = "20s";

const senders: Record<string, (bootstrap: string, topic: string) => Promise<OneSend>> = {
  java: async (bootstrap, topic) => {
    // Kafka's VerifiableProducer prints a JSON line per acknowledged send; its values are
    // "PREFIX.N" with a numeric prefix.
    const p = startProcess(
      await javaClassArgv("org.apache.kafka.tools.VerifiableProducer", [
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--max-messages",
        "1",
        "--value-prefix",
        "7",
      ]),
    );
    const acked = /"name":"producer_send_success"/;
    return { value: "7.0", acked: () => acked.test(p.output()), ack: p.waitFor(acked), stop: () => p.stop() };
  },
  librdkafka: async (bootstrap, topic) => {
    const value = "held-by-proxy";
    const p = startProcess(["kcat", "-P", "-b", bootstrap, "-t", topic, "-v", "-v", "-X", "linger.ms=0"]);
    p.write(value + "\n");
    p.closeInput();
    const acked = /Message delivered to partition 0 \(offset 0\)/;
    return { value, acked: () => acked.test(p.output()), ack: p.waitFor(acked), stop: () => p.stop() };
  },
  kafkajs: async (bootstrap, topic) => {
    const value = "held-by-proxy";
    const producer = new Kafka({
      clientId: "kafkajs-held",
      brokers: [bootstrap],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    let done = false;
    const ack = producer.send({ topic, messages: [{ value }] }).then((r) => {
      done = true;
      return JSON.stringify(r);
    });
    return { value, acked: () => done, ack, stop: () => producer.disconnect() };
  },
};

for (const [client, send] of Object.entries(senders)) {
  test(`${client}: delay_response: the broker holds the record while the producer still waits for its ack`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    const topic = uniqueTopic(`held-${client}`);
    let sender: OneSend | undefined;
    try {
      await createTopic(kafka.bootstrap, topic);
      proxy.setRules([delayResponse({ topic, delay: HOLD })]);
      sender = await send(proxy.bootstrap, topic);
      // The event marks the broker's answer arriving at the proxy, where it is held.
      const held = await eventually(
        "the answer to be held",
        () => faults(events, "delay_response")[0] as Fault | undefined,
      );
      assert.equal(held.delayMs, 20_000);
      assert.equal(sender.acked(), false, "no ack yet when the hold starts");
      const stored = await storedValues(kafka.bootstrap, topic);
      assert.equal(sender.acked(), false, "still no ack after the broker was read");
      assert.deepEqual(
        stored,
        [sender.value],
        "the broker stored the record before the producer heard of it",
      );
      await sender.ack;
      assert.equal(faults(events, "delay_response").length, 1, "the ack was the held answer, not a retry's");
      assert.deepEqual(await storedValues(kafka.bootstrap, topic), stored, "stored once");
    } finally {
      await sender?.stop().catch(() => undefined);
      await proxy.close();
    }
  });
}

const THROTTLE = "400ms";

const throttledProducers: Record<
  string,
  (bootstrap: string, topic: string) => Promise<{ report: RegExp; output: string }>
> = {
  java: async (bootstrap, topic) => {
    const r = await run(
      [
        ...(await kafkaTool("kafka-producer-perf-test", "4")),
        "--topic",
        topic,
        "--num-records",
        "6",
        "--record-size",
        "10",
        "--throughput",
        "-1",
        "--producer-props",
        `bootstrap.servers=${bootstrap}`,
        "linger.ms=0",
        "--print-metrics",
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return { report: /produce-throttle-time-max:\{client-id=[^}]*\}\s*:\s*400\.000/, output: r.stdout };
  },
  librdkafka: async (bootstrap, topic) => {
    const r = await run(
      ["kcat", "-P", "-b", bootstrap, "-t", topic, "-X", "linger.ms=0", "-X", "batch.num.messages=1"],
      {
        input: ["a", "b", "c", "d", "e", "f"].join("\n") + "\n",
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    return { report: /Broker \S+ \(1\) throttled request for 400ms/, output: r.stderr };
  },
  kafkajs: async (bootstrap, topic) => {
    const lines: string[] = [];
    const producer = new Kafka({
      clientId: "kafkajs-throttled",
      brokers: [bootstrap],
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => lines.push(`${entry.namespace} ${entry.log.message}`),
    }).producer();
    await producer.connect();
    try {
      for (const value of ["a", "b", "c", "d", "e", "f"])
        await producer.send({ topic, messages: [{ value }] });
    } finally {
      await producer.disconnect();
    }
    return { report: /RequestQueue Client side throttling in effect for 400ms/, output: lines.join("\n") };
  },
};

for (const [client, produce] of Object.entries(throttledProducers)) {
  test(`${client}: throttle: answers carry throttle_time_ms and the client reports the throttle time`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    const topic = uniqueTopic(`throttled-${client}`);
    try {
      await createTopic(kafka.bootstrap, topic);
      proxy.setRules([throttle({ topic, time: THROTTLE })]);
      const { report, output } = await produce(proxy.bootstrap, topic);
      assert.match(output, report, "the client reports the throttle");
      const fired = faults(events, "throttle") as Fault[];
      assert.ok(fired.length >= 1);
      assert.ok(fired.every((e) => e.api === "produce" && e.throttleMs === 400 && e.topic === topic));
      assert.equal((await storedValues(kafka.bootstrap, topic)).length, 6, "every record stored");
    } finally {
      await proxy.close();
    }
  });
}
