// examples/orders/db.ts against the shared PostgreSQL: a transaction whose connection the server ends
// between two queries (what crash recovery after a real EIO does to every backend) fails the
// transaction, and the service process lives on to answer with an error. Before the fix, the
// checked-out client's 'error' event had no listener and ended the process (seen once in eio.test.ts:
// the order API closed the request's connection without an answer).
import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { createPool, inTransaction } from "../../../examples/orders/db.js";
import { adminDatabaseUrl } from "./backing.js";

test("a transaction's connection ended by the server between two queries fails the transaction, not the process", async () => {
  const url = await adminDatabaseUrl();
  const pool = createPool(url);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    let pid = 0;
    const outcome = await inTransaction(pool, async (client) => {
      pid = (await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid as number;
      // Between two queries of the transaction, the server terminates this backend.
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      // Wait until the client has heard of it (the 'error' event, or its connection ending).
      await new Promise((resolve) => setTimeout(resolve, 500));
      return client.query("SELECT 1");
    }).then(
      () => "committed",
      (err: Error) => `failed: ${err.message}`,
    );
    assert.ok(pid > 0);
    assert.match(outcome, /^failed: /, "the transaction reports the broken connection");
    // The pool hands out a working connection afterwards (the broken one was not put back).
    const { rows } = await pool.query("SELECT 2 AS two");
    assert.equal(rows[0].two, 2);
  } finally {
    await admin.end();
    await pool.end();
  }
});
