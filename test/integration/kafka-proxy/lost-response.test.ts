// lose_response against real Kafka 4, with the Java client, librdkafka and kafkajs:
// - a lost Produce answer: a producer with retries and without idempotence stores the batch twice;
//   the idempotent producer under the same fault stores it once (read back from the broker);
// - a lost OffsetCommit answer: the commit is stored (the committed offset is read from the broker
//   while the consumer still believes it failed), and a consumer that processes, then commits, and
//   rewinds when a commit fails, processes those records again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { useKafka } from "../../support/index.js";
import { tool } from "../../support/tools.js";
import { loseResponse } from "../../../src/protocols/kafka/rules/index.js";
import type { KafkaProxyEvent } from "../../../src/protocols/kafka/proxy/index.js";
import { createTopic, faults, kafkajs, proxyFor, run, uniqueTopic } from "./helpers.js";
import { javaConsoleProduce } from "./clients.js";
import { startProcess, type LiveProcess } from "./live-process.js";
import {
  committedOffset,
  javaSourceArgv,
  produceDirect,
  PYTHON_PROCESS_THEN_COMMIT,
  storedValues,
} from "./response-clients.js";

const LINES = ["k1:v1", "k2:v2", "k3:v3"];

/** One producer per client: sends LINES one batch at a time, with retries; idempotent or not. */
const producers: Record<
  string,
  (bootstrap: string, topic: string, idempotent: boolean) => Promise<{ ok: boolean; output: string }>
> = {
  java: (bootstrap, topic, idempotent) =>
    javaConsoleProduce(
      "4",
      bootstrap,
      topic,
      LINES,
      idempotent
        ? ["--producer-property", "enable.idempotence=true"]
        : ["--producer-property", "enable.idempotence=false", "--producer-property", "retries=5"],
    ),
  librdkafka: async (bootstrap, topic, idempotent) => {
    const r = await run(
      [
        "kcat",
        "-P",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-K:",
        "-v",
        "-v", // prints each delivery report
        "-X",
        "batch.num.messages=1",
        "-X",
        "linger.ms=0",
        "-X",
        "acks=all",
        "-X",
        "retries=5",
        "-X",
        "max.in.flight=1",
        "-X",
        `enable.idempotence=${idempotent}`,
      ],
      { input: LINES.join("\n") + "\n", timeoutMs: 60_000 },
    );
    const delivered = r.stderr.match(/Message delivered to partition/g)?.length ?? 0;
    return { ok: r.code === 0 && delivered === LINES.length, output: r.stderr };
  },
  kafkajs: async (bootstrap, topic, idempotent) => {
    const producer = kafkajs(bootstrap, "kafkajs-producer").producer({
      idempotent,
      maxInFlightRequests: 1,
      retry: { retries: 5, initialRetryTime: 100 },
    });
    await producer.connect();
    try {
      for (const line of LINES) {
        const [key, value] = line.split(":");
        await producer.send({ topic, acks: -1, messages: [{ key, value }] });
      }
      return { ok: true, output: "" };
    } catch (e) {
      return { ok: false, output: String(e) };
    } finally {
      await producer.disconnect();
    }
  },
};

for (const [client, produce] of Object.entries(producers)) {
  for (const idempotent of [false, true]) {
    const what = idempotent
      ? "the idempotent producer stores it once"
      : "a producer with retries, not idempotent, stores it twice";
    test(`${client}: the answer to a Produce is lost after the broker stored the batch: ${what}`, async () => {
      const kafka = await useKafka({ nodes: 1, version: "4" });
      const { proxy, events } = await proxyFor(kafka.bootstrap);
      try {
        const topic = uniqueTopic(`lost-ack-${client}`);
        await createTopic(proxy.bootstrap, topic);
        proxy.setRules([loseResponse({ topic, key: "k2", times: 1 })]);
        const sent = await produce(proxy.bootstrap, topic, idempotent);
        assert.ok(sent.ok, `the producer saw success for every send:\n${sent.output}`);
        const lost = faults(events, "lose_response");
        assert.equal(lost.length, 1, "one answer was lost");
        assert.deepEqual(
          lost.map((e) => e.type === "fault" && [e.api, e.topic, e.records, e.idempotent]),
          [["produce", topic, 1, idempotent]],
        );
        assert.deepEqual(
          await storedValues(kafka.bootstrap, topic),
          idempotent ? ["v1", "v2", "v3"] : ["v1", "v2", "v2", "v3"],
          "what the broker stored",
        );
      } finally {
        await proxy.close();
      }
    });
  }
}

/**
 * A processes-then-commits consumer of one client, as a handle the test drives: its output so far,
 * a wait for a line, and the go-ahead after a failed commit.
 */
interface CommitConsumer {
  waitFor(pattern: RegExp): Promise<string>;
  output(): string;
  proceed(): void;
  finished(): Promise<void>;
  stop(): Promise<void>;
}

const fromProcess = (p: LiveProcess): CommitConsumer => ({
  waitFor: (pattern) => p.waitFor(pattern),
  output: () => p.output(),
  proceed: () => p.write("go\n"),
  async finished() {
    const code = await p.exited;
    assert.equal(code, 0, `the consumer exited with ${code}:\n${p.output()}`);
  },
  stop: () => p.stop(),
});

/** The kafkajs consumer in this process, with the same behaviour as the Java and Python ones. */
function kafkajsCommitConsumer(
  bootstrap: string,
  topic: string,
  group: string,
  count: number,
): CommitConsumer {
  let out = "";
  const waiters = new Set<() => void>();
  const log = (line: string) => {
    out += line + "\n";
    for (const w of waiters) w();
  };
  let release: () => void = () => undefined;
  let failed: (e: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    failed = reject;
    release = resolve;
  });
  let goAhead: () => void = () => undefined;
  // Few retries: a commit whose every answer is lost gives up within the session timeout.
  const consumer = new Kafka({
    clientId: "kafkajs-committer",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100 },
  }).consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 });
  let committed = "0";
  void (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        log(`processed ${message.offset} ${message.value?.toString()}`);
        const next = String(Number(message.offset) + 1);
        try {
          await consumer.commitOffsets([{ topic, partition, offset: next }]);
        } catch (e) {
          log(`commit-failed ${next} ${String(e)}`);
          await new Promise<void>((r) => (goAhead = r));
          consumer.seek({ topic, partition, offset: committed });
          log(`rewound ${committed}`);
          return;
        }
        committed = next;
        log(`committed ${next}`);
        if (Number(next) >= count) release();
      },
    });
  })().catch((e) => failed(e));
  return {
    output: () => out,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}:\n${out}`)),
          120_000,
        );
        const check = () => {
          if (!pattern.test(out)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(out);
        };
        waiters.add(check);
        check();
      }),
    proceed: () => goAhead(),
    finished: () => done,
    stop: () => consumer.disconnect(),
  };
}

const commitConsumers: Record<
  string,
  (bootstrap: string, topic: string, group: string, count: number) => Promise<CommitConsumer>
> = {
  java: async (bootstrap, topic, group, count) =>
    fromProcess(
      startProcess(
        await javaSourceArgv("./java/ProcessThenCommit.java", [
          bootstrap,
          topic,
          group,
          `java-${group}`,
          String(count),
          "15000",
        ]),
      ),
    ),
  librdkafka: async (bootstrap, topic, group, count) =>
    fromProcess(
      startProcess([
        tool("python-confluent-kafka"),
        PYTHON_PROCESS_THEN_COMMIT,
        bootstrap,
        topic,
        group,
        `rdkafka-${group}`,
        String(count),
      ]),
    ),
  kafkajs: async (bootstrap, topic, group, count) => kafkajsCommitConsumer(bootstrap, topic, group, count),
};

const processed = (out: string) =>
  [...out.matchAll(/^processed (\d+) (\S+)$/gm)].map((m) => `${m[1]}:${m[2]}`);

for (const [client, start] of Object.entries(commitConsumers)) {
  test(`${client}: a lost OffsetCommit answer: the commit is stored, the consumer is told it failed and processes those records again`, async () => {
    const kafka = await useKafka({ nodes: 1, version: "4" });
    const { proxy, events } = await proxyFor(kafka.bootstrap);
    const topic = uniqueTopic(`lost-commit-${client}`);
    const group = `g-${randomUUID().slice(0, 8)}`;
    let consumer: CommitConsumer | undefined;
    try {
      await createTopic(kafka.bootstrap, topic);
      await produceDirect(
        kafka.bootstrap,
        topic,
        ["r0", "r1", "r2", "r3"].map((value) => ({ value })),
      );
      // The first commit is answered; from the second on, every answer is lost (retries included)
      // until the rule is removed.
      proxy.setRules([loseResponse({ api: "offset_commit", after: 1 })]);
      consumer = await start(proxy.bootstrap, topic, group, 4);
      await consumer.waitFor(/^commit-failed 2 /m);
      // The consumer was told its commit of offset 2 failed; the broker holds it.
      assert.equal(await committedOffset(kafka.bootstrap, group, topic), "2", "the lost commit is stored");
      assert.deepEqual(processed(consumer.output()), ["0:r0", "1:r1"]);
      proxy.clearRules();
      consumer.proceed();
      await consumer.finished();
      assert.deepEqual(
        processed(consumer.output()),
        ["0:r0", "1:r1", "1:r1", "2:r2", "3:r3"],
        "r1 processed twice: its commit had landed, the consumer could not know",
      );
      assert.equal(await committedOffset(kafka.bootstrap, group, topic), "4");
      const lost = faults(events, "lose_response") as Extract<KafkaProxyEvent, { type: "fault" }>[];
      assert.ok(lost.length >= 1, "at least one commit answer was lost");
      assert.ok(lost.every((e) => e.api === "offset_commit" && e.topic === topic && e.partition === 0));
    } finally {
      await consumer?.stop().catch(() => undefined);
      await proxy.close();
    }
  });
}
