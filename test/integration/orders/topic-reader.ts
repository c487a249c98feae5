// Reads what the broker really stored on a topic (from the beginning, in a group of its own), the
// way Faultbox's topic observer does, so tests can check which events were published.
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Consumer } from "kafkajs";

export interface StoredRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Record<string, unknown>;
}

export interface TopicReader {
  records: StoredRecord[];
  /** Waits until a record matching is stored (bounded), returns it. */
  waitFor(what: string, match: (r: StoredRecord) => boolean, timeoutMs?: number): Promise<StoredRecord>;
  close(): Promise<void>;
}

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: "orders-test", brokers, logLevel: logLevel.NOTHING });
}

export async function readTopic(brokers: string[], topic: string): Promise<TopicReader> {
  const consumer: Consumer = kafkaClient(brokers).consumer({ groupId: `orders-test-reader-${randomUUID()}` });
  const records: StoredRecord[] = [];
  const listeners = new Set<() => void>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const text = message.value?.toString("utf8") ?? "null";
      let value: Record<string, unknown>;
      try {
        value = JSON.parse(text) as Record<string, unknown>;
      } catch {
        value = { raw: text };
      }
      records.push({ partition, offset: message.offset, key: message.key?.toString("utf8") ?? null, value });
      for (const l of listeners) l();
    },
  });
  return {
    records,
    waitFor: (what, match, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = records.find(match);
          if (!found) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`topic ${topic}: no ${what} within ${timeoutMs}ms (stored: ${records.length})`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: () => consumer.disconnect(),
  };
}
