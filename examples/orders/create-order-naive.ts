// Naive order creation, the classic dual write: publish the event, then write the order. When the
// database write fails the event is already out: an orphan "created" event for an order that does
// not exist. The producer is not idempotent, so its internal retries may also duplicate records.
import type pg from "pg";
import type { Producer } from "kafkajs";
import type { Reply } from "./http.js";
import { emit, errorText } from "./log.js";
import { createdEvent, type Order } from "./order.js";
import { orderWriteFailure } from "./write-failure.js";

export async function createOrderNaive(
  pool: pg.Pool,
  producer: Producer,
  topic: string,
  order: Order,
): Promise<Reply> {
  try {
    await producer.send({
      topic,
      messages: [{ key: order.id, value: JSON.stringify(createdEvent(order)) }],
    });
  } catch (err) {
    emit("publish_failed", { order_id: order.id, error: errorText(err) });
    return {
      status: 503,
      body: { error: "publish to Kafka failed", order_id: order.id, detail: errorText(err) },
    };
  }
  emit("published", { order_id: order.id, attempt: 1 });

  try {
    await pool.query("INSERT INTO orders (id, item, qty) VALUES ($1, $2, $3)", [
      order.id,
      order.item,
      order.qty,
    ]);
  } catch (err) {
    emit("db_write_failed", { order_id: order.id, error: errorText(err) });
    return orderWriteFailure(err, order.id);
  }
  emit("order_created", { order_id: order.id });
  return { status: 201, body: { order_id: order.id, status: "created" } };
}
