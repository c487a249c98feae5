// order-service: POST /orders writes an order to PostgreSQL and publishes an `order-events` record
// (key = order id, value {"order_id","action":"created","item","qty"}); GET /orders/:id; GET /health.
// ORDERS_MODE=naive publishes before the database write; ORDERS_MODE=correct uses an outbox.
// Configuration: env vars only, see config.ts and docs/orders.md.
import { Partitioners, type Producer } from "kafkajs";
import type pg from "pg";
import { serviceConfig, type ServiceConfig } from "./config.js";
import { createOrderCorrect } from "./create-order-correct.js";
import { createOrderNaive } from "./create-order-naive.js";
import { openDatabase } from "./db.js";
import { readJson, serve, type Reply, type Route } from "./http.js";
import { createKafka, describeKafka, ensureTopic } from "./kafka.js";
import { runService } from "./lifecycle.js";
import { emit } from "./log.js";
import { parseOrder } from "./order.js";
import { startOutboxRelay, type OutboxRelay } from "./outbox-relay.js";
import { retryUntil } from "./retry.js";

async function getOrder(pool: pg.Pool, id: string): Promise<Reply> {
  const { rows } = await pool.query(
    `SELECT o.id, o.item, o.qty, o.created_at, b.attempts, b.last_sent_at, b.confirmed_at
       FROM orders o LEFT JOIN outbox b ON b.order_id = o.id WHERE o.id = $1`,
    [id],
  );
  if (rows.length === 0) return { status: 404, body: { error: "order not found", order_id: id } };
  const r = rows[0];
  const order: Record<string, unknown> = { id: r.id, item: r.item, qty: r.qty, created_at: r.created_at };
  if (r.attempts !== null) {
    order.outbox = {
      publish_attempts: r.attempts,
      last_sent_at: r.last_sent_at,
      processed: r.confirmed_at !== null,
    };
  }
  return { status: 200, body: order };
}

function createProducer(config: ServiceConfig, kafka: ReturnType<typeof createKafka>): Producer {
  return config.mode === "correct"
    ? kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      })
    : kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

async function start() {
  const config = serviceConfig(process.env);
  const pool = await openDatabase(config.databaseUrl, config.startupTimeoutMs);
  const kafka = createKafka("order-service", config.brokers);
  const producer = createProducer(config, kafka);
  let relay: OutboxRelay | undefined;
  try {
    await ensureTopic(kafka, config.brokers, config.topic, config.topicPartitions, config.startupTimeoutMs);
    await retryUntil(describeKafka(config.brokers), config.startupTimeoutMs, () => producer.connect());
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  if (config.mode === "correct") {
    relay = startOutboxRelay({
      pool,
      producer,
      topic: config.topic,
      intervalMs: config.relayIntervalMs,
      resendAfterMs: config.resendAfterMs,
    });
  }

  const routes: Route[] = [
    {
      method: "GET",
      path: /^\/health$/,
      handler: async () => ({ status: 200, body: { status: "ok", mode: config.mode } }),
    },
    {
      method: "POST",
      path: /^\/orders$/,
      handler: async (req) => {
        const order = parseOrder(await readJson(req));
        if (config.mode === "naive") return createOrderNaive(pool, producer, config.topic, order);
        const reply = await createOrderCorrect(pool, order);
        relay?.wake();
        return reply;
      },
    },
    { method: "GET", path: /^\/orders\/([^/]+)$/, handler: async (_req, [id]) => getOrder(pool, id) },
  ];
  const server = await serve(config.host, config.port, routes);
  emit("listening", { host: config.host, port: server.port, mode: config.mode, topic: config.topic });

  return async () => {
    await server.close();
    await relay?.stop();
    await producer.disconnect();
    await pool.end();
  };
}

runService("order-service", start);
