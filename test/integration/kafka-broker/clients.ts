// The client stacks the embedded broker must fool, each as "produce these values" and "consume N
// values with a consumer group": the Java console tools (Kafka 4 client, idempotent producer by
// default), kcat (librdkafka), kafka-python (subprocess), kafkajs and @platformatic/kafka (in-process).
import { Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { Kafka, logLevel } from "kafkajs";
import { kafkaTool } from "../../support/index.js";
import { runCommand, type CommandResult } from "../../support/run-command.js";
import { tool } from "../../support/tools.js";

export interface ClientStack {
  name: string;
  produce(bootstrap: string, topic: string, values: string[]): Promise<void>;
  /** Consumes (at least) `count` values from the beginning as a member of `group`. */
  consume(bootstrap: string, topic: string, group: string, count: number): Promise<string[]>;
}

function check(r: CommandResult, what: string): string {
  if (r.code !== 0 || r.timedOut) {
    throw new Error(
      `${what} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""}):\n${r.stderr}\n${r.stdout}`,
    );
  }
  return r.stdout;
}

const lines = (s: string): string[] => s.split("\n").filter((l) => l.length > 0);

/** The console tools of a Kafka release ("4" or "3.9"). */
export const javaConsole = (version: string): ClientStack => ({
  name: `java ${version} console tools`,
  async produce(bootstrap, topic, values) {
    const argv = await kafkaTool("kafka-console-producer", version);
    const r = await runCommand(
      [...argv, "--bootstrap-server", bootstrap, "--topic", topic, "--producer-property", "acks=all"],
      { input: values.map((v) => `${v}\n`).join(""), timeoutMs: 90_000 },
    );
    check(r, "kafka-console-producer");
  },
  async consume(bootstrap, topic, group, count) {
    const argv = await kafkaTool("kafka-console-consumer", version);
    const r = await runCommand(
      [
        ...argv,
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--max-messages",
        String(count),
        "--timeout-ms",
        "60000",
      ],
      { timeoutMs: 90_000 },
    );
    return lines(check(r, "kafka-console-consumer"));
  },
});

export const kcat: ClientStack = {
  name: "kcat",
  async produce(bootstrap, topic, values) {
    const r = await runCommand(
      [
        tool("kcat"),
        "-P",
        "-b",
        bootstrap,
        "-t",
        topic,
        "-X",
        "request.required.acks=-1",
        "-X",
        "enable.idempotence=true",
      ],
      {
        input: values.map((v) => `${v}\n`).join(""),
        timeoutMs: 60_000,
      },
    );
    check(r, "kcat -P");
  },
  async consume(bootstrap, topic, group, count) {
    // -G: a balanced consumer group; -c stops after `count` messages.
    const r = await runCommand(
      [
        tool("kcat"),
        "-b",
        bootstrap,
        "-G",
        group,
        "-X",
        "auto.offset.reset=earliest",
        "-c",
        String(count),
        "-q",
        "-f",
        "%s\n",
        topic,
      ],
      { timeoutMs: 60_000 },
    );
    return lines(check(r, "kcat -G"));
  },
};

const PYTHON_PRODUCE = `
import sys
from kafka import KafkaProducer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", enable_idempotence=True)
for v in sys.stdin.read().split("\\n"):
    if v:
        p.send(topic, v.encode()).get(timeout=30)
p.close()
`;

const PYTHON_CONSUME = `
import sys
from kafka import KafkaConsumer
bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=bootstrap.split(","), group_id=group, auto_offset_reset="earliest",
                  consumer_timeout_ms=60000, enable_auto_commit=False)
got = 0
for m in c:
    print(m.value.decode(), flush=True)
    got += 1
    if got >= count:
        break
c.commit()
c.close()
`;

export const kafkaPython: ClientStack = {
  name: "kafka-python",
  async produce(bootstrap, topic, values) {
    const r = await runCommand([tool("python"), "-c", PYTHON_PRODUCE, bootstrap, topic], {
      input: values.join("\n"),
      timeoutMs: 90_000,
    });
    check(r, "kafka-python producer");
  },
  async consume(bootstrap, topic, group, count) {
    const r = await runCommand(
      [tool("python"), "-c", PYTHON_CONSUME, bootstrap, topic, group, String(count)],
      {
        timeoutMs: 90_000,
      },
    );
    return lines(check(r, "kafka-python consumer"));
  },
};

export function kafkajsClient(bootstrap: string): Kafka {
  return new Kafka({
    clientId: "faultbox-embedded-test",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

export const kafkajs: ClientStack = {
  name: "kafkajs",
  async produce(bootstrap, topic, values) {
    const producer = kafkajsClient(bootstrap).producer({ idempotent: true });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    } finally {
      await producer.disconnect();
    }
  },
  async consume(bootstrap, topic, group, count) {
    const consumer = kafkajsClient(bootstrap).consumer({
      groupId: group,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
    });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`kafkajs consumed ${values.length} of ${count} values in 60 s`)),
          60_000,
        );
        consumer
          .run({
            eachMessage: async ({ message }) => {
              values.push(message.value?.toString() ?? "");
              if (values.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return values;
  },
};

/**
 * @platformatic/kafka with its idempotent producer, which asks InitProducerId for an id while presenting
 * producer id 0 and epoch 0 (a real broker hands out a fresh id to any non-transactional request).
 */
export const platformatic: ClientStack = {
  name: "platformatic-kafka",
  async produce(bootstrap, topic, values) {
    const producer = new Producer({
      clientId: "faultbox-platformatic-test",
      bootstrapBrokers: bootstrap.split(","),
      serializers: stringSerializers,
      idempotent: true,
      retries: 8,
    });
    try {
      await producer.send({ messages: values.map((value) => ({ topic, value })) });
    } finally {
      await producer.close();
    }
  },
  async consume(bootstrap, topic, group, count) {
    const consumer = new Consumer({
      clientId: "faultbox-platformatic-test",
      groupId: group,
      bootstrapBrokers: bootstrap.split(","),
      deserializers: stringDeserializers,
      sessionTimeout: 10000,
      heartbeatInterval: 500,
    });
    const values: string[] = [];
    try {
      const stream = await consumer.consume({
        topics: [topic],
        mode: "committed",
        fallbackMode: "earliest",
        autocommit: true,
      });
      const timer = setTimeout(() => void stream.close(), 60_000);
      try {
        for await (const message of stream) {
          values.push(message.value ?? "");
          if (values.length >= count) break;
        }
      } finally {
        clearTimeout(timer);
        await stream.close();
      }
      if (values.length < count)
        throw new Error(`@platformatic/kafka consumed ${values.length} of ${count} values in 60 s`);
    } finally {
      await consumer.close();
    }
    return values;
  },
};

export const ALL_CLIENTS: ClientStack[] = [
  javaConsole("4"),
  javaConsole("3.9"),
  kcat,
  kafkaPython,
  kafkajs,
  platformatic,
];
