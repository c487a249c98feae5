import { test } from "node:test";
import assert from "node:assert/strict";
import pg from "pg";
import { usePostgres } from "../../support/index.js";

test("usePostgres gives a PostgreSQL that stores and returns rows", async () => {
  const db = await usePostgres();
  assert.equal(db.host, "127.0.0.1");
  const client = new pg.Client({ connectionString: db.connectionString });
  await client.connect();
  try {
    const table = `foundation_${process.pid}`;
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
    await client.query(`INSERT INTO ${table} VALUES ($1, $2), ($3, $4)`, [1, "one", 2, "two"]);
    const rows = await client.query(`SELECT id, note FROM ${table} ORDER BY id`);
    assert.deepEqual(rows.rows, [
      { id: 1, note: "one" },
      { id: 2, note: "two" },
    ]);
    const who = await client.query("SELECT current_user AS u, current_database() AS d, version() AS v");
    assert.equal(who.rows[0].u, db.user);
    assert.equal(who.rows[0].d, db.database);
    assert.match(who.rows[0].v, /^PostgreSQL \d+/);
    await client.query(`DROP TABLE ${table}`);
  } finally {
    await client.end();
  }
});

test("the same run reuses one PostgreSQL", async () => {
  const a = await usePostgres();
  const b = await usePostgres();
  assert.equal(a.port, b.port);
});
