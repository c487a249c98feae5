// The kafka protocol plugin's parts against real Apache Kafka (test/support's shared broker): the
// publish/consume steps, the proxy adapter (rules, retarget) and the topic observer (start offsets,
// drain to the high watermark, decoded payloads). Each test uses its own topics.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import kafkajs from "kafkajs";
import { EventLog } from "../../../src/core/events.js";
import type { Address, StepCall } from "../../../src/core/protocol.js";
import { closeStepClients, startKafkaPluginProxy } from "../../../src/protocols/kafka/plugin/index.js";
import { kafkaSteps } from "../../../src/protocols/kafka/plugin/steps.js";
import { useKafka } from "../../support/index.js";
import { startKafka } from "../../../src/launch/kafka-local/index.js";
import { freePorts } from "../../../src/launch/process-guard/free-port.js";
import { runCommand } from "../../support/run-command.js";
import { root } from "../seed/cli.js";
import { startObserver } from "./observer.js";

const { Kafka, logLevel } = kafkajs;

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

async function broker(): Promise<Address> {
  const k = await useKafka();
  const [host, port] = k.bootstrap.split(",")[0]!.split(":");
  return { host: host!, port: Number(port) };
}

async function produceDirect(addr: Address, topic: string, values: string[]): Promise<void> {
  const kafka = new Kafka({ brokers: [`${addr.host}:${addr.port}`], logLevel: logLevel.NOTHING });
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  await p.disconnect();
}

function stepCall(target: Address, args: Record<string, unknown>, testName = "t"): StepCall {
  return {
    target,
    args,
    serviceEnv: {},
    service: "kafka",
    iface: "broker",
    random: Math.random,
    runNonce: `nonce-${testName}`,
    testName,
    signal: new AbortController().signal,
  };
}

test("topic observer: only records stored after it started, each once, decoded and merged", async () => {
  const addr = await broker();
  const topic = unique("obs");
  await produceDirect(addr, topic, ['{"n":-1}', '{"n":-2}']);
  const log = new EventLog();
  const observer = await startObserver(addr, topic, log);
  try {
    await produceDirect(addr, topic, ['{"n":0,"topic":"payload-topic"}', '{"n":1}', "not json"]);
    await observer.drain();
    await observer.drain();
    const events = log.all().filter((e) => e.type === "topic");
    assert.deepEqual(
      events.map((e) => e.data),
      [
        { n: 0, topic, partition: 0, offset: 2, key: "k0", value: '{"n":0,"topic":"payload-topic"}' },
        { n: 1, topic, partition: 0, offset: 3, key: "k1", value: '{"n":1}' },
        { topic, partition: 0, offset: 4, key: "k2", value: "not json" },
      ],
    );
    assert.ok(events.every((e) => e.service === "kafka"));
  } finally {
    await observer.stop();
  }
});

test("topic observer: a topic created after the test started is read from its first record", async () => {
  const addr = await broker();
  const topic = unique("late");
  const log = new EventLog();
  const observer = await startObserver(addr, topic, log);
  try {
    await produceDirect(addr, topic, ['{"a":1}']);
    await observer.drain();
    assert.deepEqual(
      log
        .all()
        .filter((e) => e.type === "topic")
        .map((e) => e.data.offset),
      [0],
    );
  } finally {
    await observer.stop();
  }
});

test("steps: publish is acknowledged with partition and offset; consume commits one record at a time", async () => {
  const addr = await broker();
  const topic = unique("steps");
  try {
    const p1 = await kafkaSteps.publish!.run(stepCall(addr, { topic, data: "a", key: "k" }));
    const p2 = await kafkaSteps.publish!.run(stepCall(addr, { topic, data: "b" }));
    assert.deepEqual(p1.data, { published: true, topic, partition: 0, offset: 0 });
    assert.deepEqual(p2.data, { published: true, topic, partition: 0, offset: 1 });
    const c1 = await kafkaSteps.consume!.run(stepCall(addr, { topic, group: unique("g") }));
    assert.deepEqual(c1.data, { topic, partition: 0, offset: 0, key: "k", value: "a" });
    // the default group is scoped by run and test: two tests each start at the beginning
    const a = await kafkaSteps.consume!.run(stepCall(addr, { topic }, "first"));
    const b = await kafkaSteps.consume!.run(stepCall(addr, { topic }, "first"));
    const other = await kafkaSteps.consume!.run(stepCall(addr, { topic }, "second"));
    assert.deepEqual(
      [a.data, b.data, other.data].map((d) => (d as { offset: number }).offset),
      [0, 1, 0],
    );
    const none = await kafkaSteps.consume!.run(stepCall(addr, { topic, timeout: "1s" }, "first"));
    assert.equal(none.ok, false);
    assert.match(none.error ?? "", new RegExp(`no message arrived within 1000ms`));
  } finally {
    await closeStepClients();
  }
});

test("proxy adapter: retarget from a dead address to the broker, drop rule, clearRules", async () => {
  const addr = await broker();
  const topic = unique("proxy");
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", () => r()));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const proxy = await startKafkaPluginProxy({
    upstream: { host: "127.0.0.1", port: deadPort },
    seed: 5n,
    listenHost: "127.0.0.1",
    onEvent: (type, data) => events.push({ type, data }),
  });
  const log = new EventLog();
  const observer = await startObserver(addr, topic, log);
  try {
    await proxy.retarget(addr);
    const rule = {
      kind: "proxy_rule" as const,
      action: "drop",
      match: { topic },
      params: {},
      probability: 1,
      text: `drop(topic="${topic}")`,
    };
    proxy.addRule(rule);
    const lost = await kafkaSteps.publish!.run(stepCall(proxy.listen, { topic, data: '{"id":"lost"}' }));
    assert.equal(lost.ok, true, lost.error);
    proxy.clearRules();
    const kept = await kafkaSteps.publish!.run(stepCall(proxy.listen, { topic, data: '{"id":"kept"}' }));
    assert.equal(kept.ok, true, kept.error);
    await observer.drain();
    assert.deepEqual(
      log
        .all()
        .filter((e) => e.type === "topic")
        .map((e) => e.data.id),
      ["kept"],
    );
    const drops = events.filter((e) => e.type === "proxy" && e.data.action === "drop");
    assert.equal(drops.length, 1);
    assert.equal(drops[0]!.data.topic, topic);
  } finally {
    await closeStepClients();
    await observer.stop();
    await proxy.close();
  }
});

test("proxy adapter: a broker restarted at the same address gets a proxy without the old broker's producer state", async () => {
  // A fresh broker hands out producer id 0 again: the sequence shift a duplicate left for the old
  // broker's producer 0 must not apply to the new one (its second send would be out of order).
  const port = (await freePorts(1, "127.0.0.1"))[0]!;
  const addr = { host: "127.0.0.1", port };
  const proxy = await startKafkaPluginProxy({
    upstream: addr,
    seed: 7n,
    listenHost: "127.0.0.1",
    onEvent: () => {},
  });
  const topic = unique("restart");
  const sendTwice = async (incarnation: string) => {
    const client = new kafkajs.Kafka({
      brokers: [`${proxy.listen.host}:${proxy.listen.port}`],
      logLevel: kafkajs.logLevel.NOTHING,
      retry: { retries: 3 },
    });
    const producer = client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      for (const n of [1, 2])
        await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: `${incarnation}-${n}` }] });
    } finally {
      await producer.disconnect();
    }
  };
  let cluster = await startKafka({ brokerPorts: [port] });
  try {
    await proxy.retarget(addr);
    proxy.addRule({
      kind: "proxy_rule",
      action: "duplicate",
      match: { topic },
      params: {},
      probability: 1,
      text: `duplicate(topic="${topic}")`,
    });
    await sendTwice("first");
    proxy.clearRules();
    await cluster.stop();
    cluster = await startKafka({ brokerPorts: [port] });
    await proxy.retarget(addr);
    await sendTwice("second"); // rejected with OUT_OF_ORDER_SEQUENCE_NUMBER when the old shifts applied
  } finally {
    await proxy.close();
    await cluster.stop();
  }
});

test("a TypeScript spec drives the kafka plugin through the CLI (image stand-in, observer, drop)", async () => {
  const r = await runCommand(
    [
      process.execPath,
      join(root, "bin", "faultbox.js"),
      "test",
      join(root, "test/integration/kafka-spec/specs/smoke.spec.ts"),
    ],
    { timeoutMs: 300_000 },
  );
  assert.equal(r.timedOut, false, "the run must end on its own (no client left open)");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /2 passed, 0 failed/);
});
