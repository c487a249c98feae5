// One order system under test: a fresh database, a topic and group of its own, both services
// started in the requested mode, a reader of what the broker stored, and direct database access.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { freshDatabaseUrl, kafkaBrokers } from "./backing.js";
import { request, startService, type HttpReply, type RunningService } from "./services.js";
import { readTopic, type TopicReader } from "./topic-reader.js";

export type Mode = "naive" | "correct";

export interface OrdersSystem {
  mode: Mode;
  topic: string;
  brokers: string[];
  service: RunningService;
  consumer: RunningService;
  topicReader: TopicReader;
  db: pg.Pool;
  postOrder(order: { id: string; item: string; qty: number }): Promise<HttpReply>;
  /** Waits for the consumer's "processed" stdout event for the order (bounded). */
  processed(orderId: string): Promise<void>;
  shipmentsOf(orderId: string): Promise<number>;
  stop(): Promise<{ service: number | null; consumer: number | null }>;
}

export async function startOrdersSystem(mode: Mode, env: Record<string, string> = {}): Promise<OrdersSystem> {
  const brokers = await kafkaBrokers();
  const databaseUrl = env.DATABASE_URL ?? (await freshDatabaseUrl());
  const topic = `order-events-${randomUUID().slice(0, 8)}`;
  const common = {
    ORDERS_MODE: mode,
    KAFKA_BROKERS: brokers.join(","),
    DATABASE_URL: databaseUrl,
    TOPIC: topic,
    GROUP: `order-consumer-${topic}`,
    ...env,
  };
  const [service, consumer] = await Promise.all([
    startService("order-service", common),
    startService("order-consumer", common),
  ]);
  const topicReader = await readTopic(brokers, topic);
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on("error", () => undefined); // idle connections die when a test crashes the server on purpose
  let stopped: Promise<{ service: number | null; consumer: number | null }> | undefined;
  return {
    mode,
    topic,
    brokers,
    service,
    consumer,
    topicReader,
    db,
    postOrder: (order) => request(service.port, "POST", "/orders", order),
    processed: async (orderId) => {
      await consumer.waitFor(
        `"processed" event for ${orderId}`,
        (e) => e.event === "processed" && e.order_id === orderId,
      );
    },
    shipmentsOf: async (orderId) => {
      const reply = await request(consumer.port, "GET", `/shipments/${orderId}`);
      return reply.body.shipments as number;
    },
    stop: () =>
      (stopped ??= (async () => {
        await topicReader.close().catch(() => undefined);
        const [s, c] = await Promise.all([service.stop(), consumer.stop()]);
        await db.end();
        return { service: s, consumer: c };
      })()),
  };
}
