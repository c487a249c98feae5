// The order system against real Kafka and PostgreSQL, in both modes: the happy path, and the
// failures the Faultbox specs inject, simulated here deterministically without Faultbox:
// - a failed database write: a CHECK constraint (qty must be > 0) and an I/O-error trigger
//   (SQLSTATE 58030, what PostgreSQL reports for EIO);
// - a duplicated record: the test stores the same event a second time, as a broker `duplicate` does;
// - a lost record: an outbox row marked sent whose record never reached the topic, as after a `drop`.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { killAll, request } from "./services.js";
import { startOrdersSystem, type Mode, type OrdersSystem } from "./system.js";
import { kafkaClient } from "./topic-reader.js";

const running: OrdersSystem[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
after(killAll);

async function system(mode: Mode, env: Record<string, string> = {}): Promise<OrdersSystem> {
  const s = await startOrdersSystem(mode, { RESEND_AFTER_MS: "1000", ...env });
  running.push(s);
  return s;
}

const order = (id: string, qty = 1) => ({ id, item: "book", qty });

async function orderRows(s: OrdersSystem, id: string): Promise<number> {
  const { rows } = await s.db.query("SELECT count(*)::int AS n FROM orders WHERE id = $1", [id]);
  return rows[0].n as number;
}

/** Makes every later INSERT into orders fail the way a disk I/O error does. */
async function failOrderWrites(s: OrdersSystem): Promise<void> {
  await s.db.query(`
    CREATE FUNCTION simulated_io_error() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'could not write block: Input/output error' USING ERRCODE = '58030'; END $$;
    CREATE TRIGGER simulated_io_error BEFORE INSERT ON orders
      FOR EACH ROW EXECUTE FUNCTION simulated_io_error();`);
}

/** A later order, published and processed normally: what was stored before it has been seen. */
async function marker(s: OrdersSystem, id: string): Promise<void> {
  assert.equal((await s.postOrder(order(id))).status, 201);
  await s.topicReader.waitFor(`record for ${id}`, (r) => r.value.order_id === id);
  await s.processed(id);
}

const storedFor = (s: OrdersSystem, id: string) =>
  s.topicReader.records.filter((r) => r.value.order_id === id);

for (const mode of ["naive", "correct"] as const) {
  test(`${mode}: every created order is shipped exactly once on the happy path`, async () => {
    const s = await system(mode);
    const ids = ["o-1", "o-2", "o-3", "o-4", "o-5"];
    for (const id of ids) {
      const reply = await s.postOrder(order(id, 2));
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      assert.deepEqual(reply.body, { order_id: id, status: "created" });
    }
    for (const id of ids) await s.processed(id);
    for (const id of ids) assert.equal(await s.shipmentsOf(id), 1, `order ${id} shipped once`);
    const record = await s.topicReader.waitFor("record for o-1", (r) => r.value.order_id === "o-1");
    assert.equal(record.key, "o-1");
    assert.deepEqual(record.value, { order_id: "o-1", action: "created", item: "book", qty: 2 });
    const stats = await request(s.consumer.port, "GET", "/stats");
    assert.equal(stats.body.shipments, 5);
    assert.equal(stats.body.shipped_more_than_once, 0);
    assert.equal(stats.body.mode, mode);
    const notJson = [...s.service.events, ...s.consumer.events].filter((e) => e.event === "not_json");
    assert.deepEqual(notJson, [], "stdout carries JSON lines only");
  });

  test(`${mode}: the API answers GET /orders/:id, 404, 400 and 409`, async () => {
    const s = await system(mode);
    assert.equal((await s.postOrder(order("a-1"))).status, 201);
    const got = await request(s.service.port, "GET", "/orders/a-1");
    assert.equal(got.status, 200);
    assert.equal(got.body.id, "a-1");
    assert.equal(got.body.qty, 1);
    assert.equal((await request(s.service.port, "GET", "/orders/nope")).status, 404);
    const bad = await request(s.service.port, "POST", "/orders", { id: "a 2", item: "x", qty: 1 });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /id must be/);
    const again = await s.postOrder(order("a-1"));
    assert.equal(again.status, 409);
    assert.equal(again.body.error, "order already exists");
    assert.equal((await request(s.service.port, "GET", "/health")).status, 200);
  });

  test(`${mode}: SIGTERM stops both services cleanly (exit code 0)`, async () => {
    const s = await system(mode);
    assert.equal((await s.postOrder(order("t-1"))).status, 201);
    await s.processed("t-1");
    assert.deepEqual(await s.stop(), { service: 0, consumer: 0 });
    assert.ok(s.service.events.some((e) => e.event === "stopped" && e.signal === "SIGTERM"));
    assert.ok(s.consumer.events.some((e) => e.event === "stopped" && e.signal === "SIGTERM"));
  });
}

// --- a failed database write: no orphan events ---

test("naive: an order the database rejects still publishes its event (orphan), and it ships", async () => {
  const s = await system("naive");
  const reply = await s.postOrder(order("bad-1", 0));
  assert.equal(reply.status, 422);
  assert.equal(reply.body.error, "order rejected by a database constraint");
  await s.topicReader.waitFor("orphan record for bad-1", (r) => r.value.order_id === "bad-1");
  assert.equal(await orderRows(s, "bad-1"), 0, "the order is not in the database");
  await s.processed("bad-1");
  assert.equal(await s.shipmentsOf("bad-1"), 1, "a non-existent order was shipped");
});

test("naive: a database I/O error on the order write leaves an orphan event", async () => {
  const s = await system("naive");
  await failOrderWrites(s);
  const reply = await s.postOrder(order("io-1"));
  assert.equal(reply.status, 500);
  assert.equal(reply.body.error, "database write failed");
  assert.match(String(reply.body.detail), /Input\/output error/);
  await s.topicReader.waitFor("orphan record for io-1", (r) => r.value.order_id === "io-1");
  assert.equal(await orderRows(s, "io-1"), 0);
});

test("correct: an order the database rejects publishes nothing", async () => {
  const s = await system("correct");
  const reply = await s.postOrder(order("bad-1", 0));
  assert.equal(reply.status, 422);
  await marker(s, "after-bad-1");
  assert.deepEqual(storedFor(s, "bad-1"), [], "no record for the rejected order");
  assert.equal(await s.shipmentsOf("bad-1"), 0);
});

test("correct: a database I/O error on the order write publishes nothing", async () => {
  const s = await system("correct");
  await failOrderWrites(s);
  const reply = await s.postOrder(order("io-1"));
  assert.equal(reply.status, 500);
  assert.equal(reply.body.error, "database write failed");
  await s.db.query("DROP TRIGGER simulated_io_error ON orders");
  await marker(s, "after-io-1");
  assert.deepEqual(storedFor(s, "io-1"), []);
  const { rows } = await s.db.query("SELECT count(*)::int AS n FROM outbox WHERE order_id = 'io-1'");
  assert.equal(rows[0].n, 0, "nothing left in the outbox to publish later");
});

// --- a duplicated record: exactly-once effect ---

async function storeDuplicate(s: OrdersSystem, id: string): Promise<void> {
  // The test's own topic reader may lag the consumer that already processed the record: wait for it.
  const first = await s.topicReader.waitFor(`record for ${id}`, (r) => r.value.order_id === id);
  const producer = kafkaClient(s.brokers).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: s.topic,
      messages: [{ key: first.key, value: JSON.stringify(first.value) }],
    });
  } finally {
    await producer.disconnect();
  }
  await s.topicReader.waitFor(
    `second record for ${id}`,
    (r) => r.value.order_id === id && r.offset !== first.offset,
  );
}

test("naive: a duplicated record ships the order twice", async () => {
  const s = await system("naive");
  assert.equal((await s.postOrder(order("dup-1"))).status, 201);
  await s.processed("dup-1");
  await storeDuplicate(s, "dup-1");
  await s.consumer.waitFor(
    "second processed event",
    (e) => e.event === "processed" && e.order_id === "dup-1" && e.offset !== storedFor(s, "dup-1")[0].offset,
  );
  assert.equal(await s.shipmentsOf("dup-1"), 2);
  assert.equal((await request(s.consumer.port, "GET", "/stats")).body.shipped_more_than_once, 1);
});

test("correct: a duplicated record is skipped, the order ships once", async () => {
  const s = await system("correct");
  assert.equal((await s.postOrder(order("dup-1"))).status, 201);
  await s.processed("dup-1");
  await storeDuplicate(s, "dup-1");
  await s.consumer.waitFor(
    "duplicate_skipped event",
    (e) => e.event === "duplicate_skipped" && e.order_id === "dup-1",
  );
  assert.equal(await s.shipmentsOf("dup-1"), 1);
  assert.equal((await request(s.consumer.port, "GET", "/stats")).body.shipped_more_than_once, 0);
});

// --- a lost record: every created order is eventually processed ---

test("correct: a record acknowledged but never stored is re-sent until the order ships", async () => {
  const s = await system("correct");
  // what the database holds after the relay sent o-lost and a `drop` swallowed it behind a success ack
  await s.db.query("INSERT INTO orders (id, item, qty) VALUES ('o-lost', 'book', 1)");
  await s.db.query(
    `INSERT INTO outbox (order_id, payload, attempts, last_sent_at)
     VALUES ('o-lost', '{"order_id":"o-lost","action":"created","item":"book","qty":1}', 1, now())`,
  );
  await s.processed("o-lost");
  // the service reports the send after recording it; the consumer may have shipped before that
  const republished = await s.service.waitFor(
    "re-send of o-lost",
    (e) => e.event === "published" && e.order_id === "o-lost",
  );
  assert.equal(republished.attempt, 2, "the relay sent it again on its own");
  assert.equal(await s.shipmentsOf("o-lost"), 1);
  const got = await request(s.service.port, "GET", "/orders/o-lost");
  assert.ok((got.body.outbox as { publish_attempts: number }).publish_attempts >= 2);
});

test("naive: a record acknowledged but never stored is never processed", async () => {
  const s = await system("naive");
  // what the database holds after naive published o-lost (a `drop` acked it) and wrote the order
  await s.db.query("INSERT INTO orders (id, item, qty) VALUES ('o-lost', 'book', 1)");
  await marker(s, "after-o-lost");
  assert.equal(await s.shipmentsOf("o-lost"), 0, "nothing will ever re-send it");
  assert.ok(!s.service.events.some((e) => e.event === "published" && e.order_id === "o-lost"));
});
