// Readiness of a Kafka cluster means it accepts a produce, not that a port is open: every broker is in
// the metadata, and a record with acks=all reaches every partition of a topic replicated to every node
// (so each broker leads a partition and each follows the others).
import { kafkajsModule } from "../../core/lazy-module.js";
import { setTimeout as sleep } from "node:timers/promises";

export const READINESS_TOPIC = "__faultbox_ready";

export interface ReadinessProbe {
  /** Why the last attempt failed; undefined once ready. */
  lastError?: string;
}

/**
 * Tries until the cluster accepts a produce or `deadline` (epoch ms) passes; returns true when ready.
 * `abort()` is polled between attempts (a node that died) and ends the wait with false.
 */
export async function waitForProduce(
  bootstrap: string[],
  nodeCount: number,
  deadline: number,
  abort: () => boolean,
  probe: ReadinessProbe,
): Promise<boolean> {
  const { Kafka, logLevel } = kafkajsModule();
  const kafka = new Kafka({
    clientId: "faultbox-readiness",
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const replication = Math.min(3, nodeCount);
  while (Date.now() < deadline) {
    if (abort()) return false;
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length < nodeCount) {
        throw new Error(`${cluster.brokers.length} of ${nodeCount} brokers registered`);
      }
      await admin.createTopics({
        topics: [{ topic: READINESS_TOPIC, numPartitions: nodeCount, replicationFactor: replication }],
        waitForLeaders: true,
        timeout: 5000,
      });
      await producer.connect();
      await producer.send({
        topic: READINESS_TOPIC,
        acks: -1,
        timeout: 5000,
        messages: Array.from({ length: nodeCount }, (_, partition) => ({ partition, value: "ready" })),
      });
      probe.lastError = undefined;
      return true;
    } catch (err) {
      probe.lastError = (err as Error).message;
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(500);
  }
  return false;
}
