// ready()/kafka_ready() for Kafka: the broker is ready when it accepts a produce with acks=all, not
// when its port is open (a KRaft broker listens well before it can elect a leader for a new topic).
import { kafkajsModule } from "../../../core/lazy-module.js";
import type { Address, HealthcheckContext } from "../../../core/protocol.js";
import { kafkajsSasl, saslFromEnv } from "./sasl.js";

/** The topic the probe writes to (the same one src/launch/kafka-local's readiness uses). */
export const READY_TOPIC = "__faultbox_ready";

/** One probe; throws (with the broker's reason) while not ready. The caller polls until its timeout. */
export async function kafkaReadyProbe(target: Address, ctx?: HealthcheckContext): Promise<void> {
  const sasl = saslFromEnv(ctx?.serviceEnv);
  const { Kafka, logLevel } = kafkajsModule();
  const kafka = new Kafka({
    ...(sasl ? { sasl: kafkajsSasl(sasl) } : {}),
    clientId: "faultbox-ready",
    brokers: [`${target.host}:${target.port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  try {
    await admin.connect();
    const existing = await admin.listTopics();
    if (!existing.includes(READY_TOPIC)) {
      await admin.createTopics({
        topics: [{ topic: READY_TOPIC, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
        timeout: 5000,
      });
    }
    await producer.connect();
    await producer.send({ topic: READY_TOPIC, acks: -1, timeout: 5000, messages: [{ value: "ready" }] });
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
