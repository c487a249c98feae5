// Correct order creation, a transactional outbox: the order and the event to publish are written in
// one transaction, so either both exist or neither does. Publishing is the relay's job
// (outbox-relay.ts); the API answers once the transaction committed.
import type pg from "pg";
import { inTransaction } from "./db.js";
import type { Reply } from "./http.js";
import { emit, errorText } from "./log.js";
import { createdEvent, type Order } from "./order.js";
import { orderWriteFailure } from "./write-failure.js";

export async function createOrderCorrect(pool: pg.Pool, order: Order): Promise<Reply> {
  try {
    await inTransaction(pool, async (client) => {
      await client.query("INSERT INTO orders (id, item, qty) VALUES ($1, $2, $3)", [
        order.id,
        order.item,
        order.qty,
      ]);
      await client.query("INSERT INTO outbox (order_id, payload) VALUES ($1, $2)", [
        order.id,
        JSON.stringify(createdEvent(order)),
      ]);
    });
  } catch (err) {
    emit("db_write_failed", { order_id: order.id, error: errorText(err) });
    return orderWriteFailure(err, order.id);
  }
  emit("order_created", { order_id: order.id });
  return { status: 201, body: { order_id: order.id, status: "created" } };
}
