// The consumer's effect: ship the order (a row in `shipments`).
// Naive: ship on every record, so a record delivered twice ships twice.
// Correct: record the order id in `processed` and ship in the same transaction; a record for an
// order already processed (a duplicate, a redelivery, an outbox re-send) changes nothing.
import type pg from "pg";
import { inTransaction } from "./db.js";
import type { OrdersMode } from "./config.js";
import type { OrderCreatedEvent } from "./order.js";

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

const SHIP = `INSERT INTO shipments (order_id, item, qty, "partition", "offset") VALUES ($1, $2, $3, $4, $5)`;

const CLAIM = `
INSERT INTO processed (order_id, topic, "partition", "offset") VALUES ($1, $2, $3, $4)
ON CONFLICT (order_id) DO NOTHING RETURNING order_id`;

/** Applies the effect; returns false when the correct consumer skipped a duplicate. */
export async function applyShipment(
  pool: pg.Pool,
  mode: OrdersMode,
  event: OrderCreatedEvent,
  at: RecordPosition,
): Promise<boolean> {
  const shipment = [event.order_id, event.item, event.qty, at.partition, at.offset];
  if (mode === "naive") {
    await pool.query(SHIP, shipment);
    return true;
  }
  return inTransaction(pool, async (client) => {
    const claimed = await client.query(CLAIM, [event.order_id, at.topic, at.partition, at.offset]);
    if (claimed.rowCount === 0) return false;
    await client.query(SHIP, shipment);
    return true;
  });
}
