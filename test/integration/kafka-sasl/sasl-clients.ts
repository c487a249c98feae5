// The proxy-test clients, authenticating: kafkajs (SaslHandshake v1 + SaslAuthenticate), the Java console
// tools (same), kcat/librdkafka (same) and kafka-python 2.0.2 (SaslHandshake v0, then raw SASL tokens).
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";

import { run } from "../kafka-proxy/helpers.js";
import { javaConsoleConsume, javaConsoleProduce, kcatWith, type Client } from "../kafka-proxy/clients.js";
import { tool } from "../../support/tools.js";

export type Mechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface Credentials {
  mechanism: Mechanism;
  username: string;
  password: string;
}

export function saslKafkajs(bootstrap: string, c: Credentials): Kafka {
  const sasl =
    c.mechanism === "PLAIN"
      ? { mechanism: "plain" as const, username: c.username, password: c.password }
      : c.mechanism === "SCRAM-SHA-256"
        ? { mechanism: "scram-sha-256" as const, username: c.username, password: c.password }
        : { mechanism: "scram-sha-512" as const, username: c.username, password: c.password };
  return new Kafka({
    clientId: "faultbox-sasl-test",
    brokers: [bootstrap],
    sasl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100 },
  });
}

export function kafkajsSasl(c: Credentials): Client {
  return {
    name: `kafkajs-${c.mechanism}`,
    external: false,
    async produce(bootstrap, topic, lines) {
      const producer = saslKafkajs(bootstrap, c).producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
        for (const line of lines) {
          const [key, value] = line.split(":");
          await producer.send({ topic, messages: [{ key, value }] });
        }
        return { ok: true, output: "" };
      } catch (e) {
        return { ok: false, output: `${(e as Error).name}: ${(e as Error).message}` };
      } finally {
        await producer.disconnect();
      }
    },
    async consume(bootstrap, topic, n) {
      const consumer = saslKafkajs(bootstrap, c).consumer({ groupId: `g-${randomUUID()}` });
      const values: string[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 20000);
          consumer
            .run({
              eachMessage: async ({ message }) => {
                values.push(message.value?.toString() ?? "");
                if (values.length >= n) {
                  clearTimeout(timer);
                  setTimeout(resolve, 1500); // let an unexpected extra record show up too
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
}

function javaSaslProperties(c: Credentials): string[] {
  const module =
    c.mechanism === "PLAIN"
      ? "org.apache.kafka.common.security.plain.PlainLoginModule"
      : "org.apache.kafka.common.security.scram.ScramLoginModule";
  return [
    "security.protocol=SASL_PLAINTEXT",
    `sasl.mechanism=${c.mechanism}`,
    `sasl.jaas.config=${module} required username="${c.username}" password="${c.password}";`,
  ];
}

export function javaSasl(c: Credentials): Client {
  const props = (flag: string) => javaSaslProperties(c).flatMap((p) => [flag, p]);
  return {
    name: `java-${c.mechanism}`,
    external: true,
    produce: (bootstrap, topic, lines, opts = {}) =>
      javaConsoleProduce("4", bootstrap, topic, lines, props("--producer-property"), {
        timeoutMs: 90000,
        ...opts,
      }),
    consume: (bootstrap, topic, n, opts = {}) =>
      javaConsoleConsume(
        "4",
        bootstrap,
        topic,
        { maxMessages: n, idleMs: 45000, args: props("--consumer-property") },
        opts,
      ),
  };
}

const kcatSaslArgs = (c: Credentials) => [
  "-X",
  "security.protocol=SASL_PLAINTEXT",
  "-X",
  `sasl.mechanism=${c.mechanism}`,
  "-X",
  `sasl.username=${c.username}`,
  "-X",
  `sasl.password=${c.password}`,
];

export const kcatSasl = (c: Credentials): Client => kcatWith(`kcat-${c.mechanism}`, kcatSaslArgs(c));

const PYTHON_SASL = `
import sys, json, uuid
from kafka import KafkaProducer, KafkaConsumer
mode, bootstrap, topic, arg = sys.argv[1:5]
c = json.loads(sys.argv[5])
auth = dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism=c["mechanism"],
            sasl_plain_username=c["username"], sasl_plain_password=c["password"])
try:
    if mode == "produce":
        p = KafkaProducer(bootstrap_servers=bootstrap, retries=5, linger_ms=0, api_version_auto_timeout_ms=10000, **auth)
        for line in sys.stdin.read().split():
            k, v = line.split(":", 1)
            p.send(topic, key=k.encode(), value=v.encode()).get(timeout=20)
        p.close()
    else:
        cons = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="py-" + uuid.uuid4().hex,
                             auto_offset_reset="earliest", consumer_timeout_ms=30000, **auth)
        n = 0
        for m in cons:
            print(m.value.decode(), flush=True)
            n += 1
            if n >= int(arg):
                break
        cons.close()
except Exception as e:
    print("FAILED %s: %s" % (type(e).__name__, e), file=sys.stderr)
    sys.exit(3)
`;

export function pythonSasl(c: Credentials): Client {
  const creds = JSON.stringify(c);
  return {
    name: `kafka-python-${c.mechanism}`,
    external: true,
    async produce(bootstrap, topic, lines, opts = {}) {
      const r = await run(
        [tool("python-kafka-2"), "-c", PYTHON_SASL, "produce", bootstrap, topic, "-", creds],
        {
          input: lines.join("\n"),
          timeoutMs: 60000,
          ...opts,
        },
      );
      return { ok: r.code === 0, output: r.stderr };
    },
    async consume(bootstrap, topic, n, opts = {}) {
      const r = await run(
        [tool("python-kafka-2"), "-c", PYTHON_SASL, "consume", bootstrap, topic, String(n), creds],
        { timeoutMs: 60000, ...opts },
      );
      return r.stdout.split("\n").filter((l) => l !== "");
    },
  };
}
