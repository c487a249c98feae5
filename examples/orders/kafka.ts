// Kafka client setup shared by both services: quiet kafkajs logging (stdout stays ours), bounded
// startup, and the topic created if the broker does not auto-create it.
import { Kafka, logLevel, type LogEntry } from "kafkajs";
import { retryUntil } from "./retry.js";

const LEVEL_NAMES: Record<number, string> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

// The correct mode's idempotent producer keeps kafkajs's bounded retries on purpose (a send that
// gives up leaves the outbox record due, and the relay sends it again), so kafkajs's warning about
// limited retries is expected noise.
const EXPECTED_WARNINGS = ["Limiting retries for the idempotent producer"];

function stderrLogCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, ...rest } = log;
    if (EXPECTED_WARNINGS.some((w) => message.startsWith(w))) return;
    process.stderr.write(
      JSON.stringify({ level: LEVEL_NAMES[level] ?? String(level), logger: "kafkajs", message, ...rest }) +
        "\n",
    );
  };
}

export function describeKafka(brokers: string[]): string {
  return `Kafka at ${brokers.join(",")}`;
}

export function createKafka(clientId: string, brokers: string[]): Kafka {
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    logLevel: logLevel.WARN,
    logCreator: stderrLogCreator,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
}

/**
 * Checks that the cluster answers and that the topic exists (creating it when missing), with
 * bounded retry; throws StartupError when the cluster stays unreachable.
 */
export async function ensureTopic(
  kafka: Kafka,
  brokers: string[],
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<void> {
  await retryUntil(describeKafka(brokers), timeoutMs, async () => {
    const admin = kafka.admin({ retry: { retries: 1 } });
    try {
      await admin.connect();
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) {
        // returns false (no error) when another service created it meanwhile
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
      }
      // A topic another service has just created may have no leader yet: subscribing then fails with
      // UNKNOWN_TOPIC_OR_PARTITION. Wait (retrying) until every partition has one.
      const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const leaderless = meta?.partitions.filter((p) => p.leader < 0).length ?? 1;
      if (!meta || meta.partitions.length === 0 || leaderless > 0)
        throw new Error(`topic ${topic}: ${leaderless} partition(s) without a leader yet`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
}
