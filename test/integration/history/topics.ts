// Creating topics on a multi-node cluster and waiting until every broker knows their leaders (a loaded
// machine lets a broker's metadata lag a new topic by seconds; a producer started earlier gets
// UNKNOWN_TOPIC_OR_PARTITION).
import kafkajsModule from "kafkajs";

const { Kafka, logLevel } = kafkajsModule;

export interface TopicSpec {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  /** Replica lists per partition (the first replica is the preferred leader). */
  assignments?: number[][];
  config?: Record<string, string>;
}

const client = (broker: string) =>
  new Kafka({ clientId: "faultbox-test-topics", brokers: [broker], logLevel: logLevel.NOTHING });

export async function createTopics(
  brokers: string[],
  topics: TopicSpec[],
  timeoutMs = 60_000,
): Promise<void> {
  const admin = client(brokers[0]!).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: false,
      topics: topics.map((t) => ({
        topic: t.topic,
        ...(t.assignments
          ? { replicaAssignment: t.assignments.map((replicas, partition) => ({ partition, replicas })) }
          : { numPartitions: t.partitions ?? 1, replicationFactor: t.replicationFactor ?? 1 }),
        ...(t.config
          ? { configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })) }
          : {}),
      })),
    });
  } finally {
    await admin.disconnect();
  }
  const deadline = Date.now() + timeoutMs;
  for (const broker of brokers) {
    const a = client(broker).admin();
    await a.connect();
    try {
      for (;;) {
        const md = await a.fetchTopicMetadata({ topics: topics.map((t) => t.topic) }).catch(() => undefined);
        const ready = md?.topics.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`topics not ready on ${broker} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await a.disconnect();
    }
  }
}
