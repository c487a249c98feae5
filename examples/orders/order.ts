// The order as the API accepts it and the event published for it.
import { BadRequest } from "./http.js";

export interface Order {
  id: string;
  item: string;
  qty: number;
}

export interface OrderCreatedEvent {
  order_id: string;
  action: "created";
  item: string;
  qty: number;
}

// Ids end up in SQL written by spec authors (the seed's monitor concatenates them into a query),
// so they are restricted to characters that need no quoting.
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Checks the request's shape. The quantity's range (qty > 0) is deliberately left to the orders
 * table's CHECK constraint: a business rule the database enforces, and a deterministic way to make
 * the database write fail.
 */
export function parseOrder(body: unknown): Order {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BadRequest('body must be a JSON object {"id", "item", "qty"}');
  }
  const { id, item, qty } = body as Record<string, unknown>;
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new BadRequest("id must be a string of 1-100 characters from A-Z a-z 0-9 . _ : -");
  }
  if (typeof item !== "string" || item.length === 0 || item.length > 200) {
    throw new BadRequest("item must be a non-empty string of at most 200 characters");
  }
  if (typeof qty !== "number" || !Number.isInteger(qty)) throw new BadRequest("qty must be an integer");
  return { id, item, qty };
}

export function createdEvent(order: Order): OrderCreatedEvent {
  return { order_id: order.id, action: "created", item: order.item, qty: order.qty };
}

/** Parses a record value; undefined when it is not an order-created event. */
export function parseCreatedEvent(value: Buffer | null): OrderCreatedEvent | undefined {
  if (!value) return undefined;
  try {
    const event = JSON.parse(value.toString("utf8")) as Partial<OrderCreatedEvent>;
    if (
      event.action === "created" &&
      typeof event.order_id === "string" &&
      typeof event.item === "string" &&
      typeof event.qty === "number"
    ) {
      return event as OrderCreatedEvent;
    }
  } catch {
    // not JSON: reported by the caller as a skipped record
  }
  return undefined;
}
