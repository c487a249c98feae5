// The real fault behind the spec's `db_write_error`: PostgreSQL under the syscall supervisor with
// write=deny("EIO") on its data directory (WAL and tables) while one order is placed. PostgreSQL
// fails the write (and PANICs on the WAL); after the rule is cleared it recovers.
// naive mode has already published the order's event: an orphan. correct mode publishes nothing.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { deny, op, rule } from "../../../src/syscall/index.js";
import {
  startSupervisedPostgres,
  supervisedPostgresSkip,
  type SupervisedPostgres,
} from "../../support/supervised-postgres.js";
import { killAll } from "./services.js";
import { startOrdersSystem, type Mode, type OrdersSystem } from "./system.js";

const skip = supervisedPostgresSkip();
let pgs: SupervisedPostgres | undefined;
const running: OrdersSystem[] = [];

/** Runs a statement on a fresh connection, retrying (bounded) while the server recovers. */
const withRecoveredServer = <T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> =>
  pgs!.withRecovered(db, fn);

before(async () => {
  if (skip) return;
  pgs = await startSupervisedPostgres();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

after(async () => {
  killAll();
  await pgs?.stop();
});

async function systemOnSupervisedServer(mode: Mode): Promise<OrdersSystem> {
  const db = `orders_${mode}`;
  await withRecoveredServer("postgres", (c) => c.query(`CREATE DATABASE ${db}`));
  const s = await startOrdersSystem(mode, { DATABASE_URL: pgs!.url(db), RESEND_AFTER_MS: "1000" });
  running.push(s);
  return s;
}

/** Places the order while every write to the data directory fails with EIO. */
async function placeOrderUnderEio(s: OrdersSystem, id: string) {
  await pgs!.server.setRules([rule(op({ syscalls: ["write"], path: `${pgs!.data}/**` }), deny("EIO"))]);
  try {
    return await s.postOrder({ id, item: "book", qty: 1 });
  } finally {
    const [stats] = await pgs!.server.clearRules();
    assert.ok(stats!.fires > 0, "the EIO rule fired");
  }
}

async function orderRows(mode: Mode, id: string): Promise<number> {
  return withRecoveredServer(`orders_${mode}`, async (c) => {
    const { rows } = await c.query("SELECT count(*)::int AS n FROM orders WHERE id = $1", [id]);
    return rows[0].n as number;
  });
}

/** Once the server is back, an order goes through again (the first tries may meet dead connections). */
async function placeOrderAfterRecovery(s: OrdersSystem, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await s.postOrder({ id, item: "book", qty: 1 });
    if (reply.status === 201) return;
    if (reply.status < 500 || Date.now() > deadline)
      assert.fail(`POST ${id} after recovery: ${JSON.stringify(reply)}`);
    await sleep(200);
  }
}

test(
  "naive: under write=deny(EIO) on PostgreSQL the order fails but its event is published (orphan)",
  { skip },
  async () => {
    const s = await systemOnSupervisedServer("naive");
    const reply = await placeOrderUnderEio(s, "eio-1");
    assert.ok(reply.status >= 500, `the failed write is reported: ${JSON.stringify(reply)}`);
    await s.topicReader.waitFor("orphan record for eio-1", (r) => r.value.order_id === "eio-1");
    assert.equal(await orderRows("naive", "eio-1"), 0, "the order is not in the database");
  },
);

test(
  "correct: under write=deny(EIO) on PostgreSQL the order fails and nothing is published",
  { skip },
  async () => {
    const s = await systemOnSupervisedServer("correct");
    const reply = await placeOrderUnderEio(s, "eio-1");
    assert.ok(reply.status >= 500, `the failed write is reported: ${JSON.stringify(reply)}`);
    await placeOrderAfterRecovery(s, "after-eio-1");
    await s.topicReader.waitFor("record for after-eio-1", (r) => r.value.order_id === "after-eio-1");
    await s.processed("after-eio-1");
    assert.deepEqual(
      s.topicReader.records.filter((r) => r.value.order_id === "eio-1"),
      [],
      "no record for the failed order",
    );
    assert.equal(await orderRows("correct", "eio-1"), 0);
  },
);
