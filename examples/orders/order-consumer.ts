// order-consumer: consumes `order-events` in a consumer group and ships each created order (a row
// in `shipments`); logs {"event":"processed","order_id":...} on stdout per shipment made.
// GET /stats, GET /shipments/:order_id, GET /health. ORDERS_MODE=naive ships duplicates twice;
// ORDERS_MODE=correct deduplicates by order id in the transaction that ships.
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { applyShipment } from "./apply-shipment.js";
import { consumerConfig } from "./config.js";
import { openDatabase } from "./db.js";
import { serve, type Reply, type Route } from "./http.js";
import { createKafka, describeKafka, ensureTopic } from "./kafka.js";
import { EXIT_STARTUP_FAILED, runService } from "./lifecycle.js";
import { emit, errorText } from "./log.js";
import { parseCreatedEvent } from "./order.js";
import { retryUntil } from "./retry.js";

const MAX_APPLY_BACKOFF_MS = 2_000;

class ShuttingDown extends Error {}

interface Counters {
  records_seen: number;
  duplicates_skipped: number;
  records_skipped: number;
  apply_failures: number;
}

async function stats(pool: pg.Pool, base: Record<string, unknown>, counters: Counters): Promise<Reply> {
  const { rows } = await pool.query(
    "SELECT count(*)::int AS shipments, count(DISTINCT order_id)::int AS shipped_orders FROM shipments",
  );
  const { shipments, shipped_orders } = rows[0] as { shipments: number; shipped_orders: number };
  return {
    status: 200,
    body: {
      ...base,
      shipments,
      shipped_orders,
      shipped_more_than_once: shipments - shipped_orders,
      ...counters,
    },
  };
}

async function shipmentsOf(pool: pg.Pool, orderId: string): Promise<Reply> {
  const { rows } = await pool.query("SELECT count(*)::int AS n FROM shipments WHERE order_id = $1", [
    orderId,
  ]);
  return { status: 200, body: { order_id: orderId, shipments: (rows[0] as { n: number }).n } };
}

async function start() {
  const config = consumerConfig(process.env);
  const pool = await openDatabase(config.databaseUrl, config.startupTimeoutMs);
  const kafka = createKafka("order-consumer", config.brokers);
  // A short fetch wait keeps shutdown quick: kafkajs lets the fetch in flight finish before leaving.
  const consumer = kafka.consumer({
    groupId: config.group,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 1_000,
  });
  const counters: Counters = {
    records_seen: 0,
    duplicates_skipped: 0,
    records_skipped: 0,
    apply_failures: 0,
  };
  let stopping = false;
  try {
    await ensureTopic(kafka, config.brokers, config.topic, config.topicPartitions, config.startupTimeoutMs);
    await retryUntil(describeKafka(config.brokers), config.startupTimeoutMs, () => consumer.connect());
    await retryUntil(describeKafka(config.brokers), config.startupTimeoutMs, () =>
      consumer.subscribe({ topic: config.topic, fromBeginning: true }),
    );
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }

  // kafkajs restarts the consumer after retriable errors; when it gives up, a consumer that no
  // longer consumes must not keep answering /health, so the process exits for its supervisor to see.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    process.stderr.write(
      `order-consumer: the Kafka consumer stopped for good: ${errorText(payload.error)}\n`,
    );
    process.exit(EXIT_STARTUP_FAILED);
  });

  await consumer.run({
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      counters.records_seen++;
      const at = { topic, partition, offset: message.offset };
      const event = parseCreatedEvent(message.value);
      if (!event) {
        counters.records_skipped++;
        emit("skipped", { ...at, reason: "not an order-created event" });
        return;
      }
      // The database may be failing (a fault, a restart): keep this record until its effect is
      // committed, so the group offset never moves past an unapplied record.
      for (let failures = 0; ; failures++) {
        if (stopping) throw new ShuttingDown("stopping before the record was applied");
        try {
          const applied = await applyShipment(pool, config.mode, event, at);
          if (applied) emit("processed", { order_id: event.order_id, ...at });
          else {
            counters.duplicates_skipped++;
            emit("duplicate_skipped", { order_id: event.order_id, ...at });
          }
          return;
        } catch (err) {
          counters.apply_failures++;
          emit("apply_failed", { order_id: event.order_id, ...at, error: errorText(err) });
          await heartbeat().catch(() => undefined);
          await sleep(Math.min(100 * 2 ** failures, MAX_APPLY_BACKOFF_MS));
        }
      }
    },
  });

  const base = { mode: config.mode, topic: config.topic, group: config.group };
  const routes: Route[] = [
    {
      method: "GET",
      path: /^\/health$/,
      handler: async () => ({ status: 200, body: { status: "ok", mode: config.mode } }),
    },
    { method: "GET", path: /^\/stats$/, handler: async () => stats(pool, base, counters) },
    { method: "GET", path: /^\/shipments\/([^/]+)$/, handler: async (_req, [id]) => shipmentsOf(pool, id) },
  ];
  const server = await serve(config.host, config.port, routes);
  emit("listening", {
    host: config.host,
    port: server.port,
    mode: config.mode,
    topic: config.topic,
    group: config.group,
  });

  return async () => {
    stopping = true;
    await server.close();
    await consumer.disconnect();
    await pool.end();
  };
}

runService("order-consumer", start);
