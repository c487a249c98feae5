// PostgreSQL access shared by both services: one pool, and the schema both of them expect.
import pg from "pg";
import { errorText, warn } from "./log.js";
import { retryUntil } from "./retry.js";

// Both services may start at once against an empty database; the advisory lock serialises the DDL
// (concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on the catalog's unique indexes).
const SCHEMA_LOCK = 4_242_001;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id         text PRIMARY KEY,
  item       text NOT NULL,
  qty        integer NOT NULL CHECK (qty > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- correct mode: the events to publish, written in the same transaction as the order
CREATE TABLE IF NOT EXISTS outbox (
  seq          bigserial PRIMARY KEY,
  order_id     text NOT NULL UNIQUE REFERENCES orders(id),
  payload      text NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  last_sent_at timestamptz,
  confirmed_at timestamptz
);
-- correct mode: which orders the consumer has applied (the dedupe key, written with the effect)
CREATE TABLE IF NOT EXISTS processed (
  order_id     text PRIMARY KEY,
  topic        text NOT NULL,
  "partition"  integer NOT NULL,
  "offset"     bigint NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now()
);
-- the consumer's effect: one row per shipment made (an order shipped twice has two rows)
CREATE TABLE IF NOT EXISTS shipments (
  id         bigserial PRIMARY KEY,
  order_id   text NOT NULL,
  item       text NOT NULL,
  qty        integer NOT NULL,
  "partition" integer NOT NULL,
  "offset"   bigint NOT NULL,
  shipped_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS shipments_order_id ON shipments (order_id);
`;

/** "host:port/database" for messages, never the password. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL is not a URL)";
  }
}

export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    connectionTimeoutMillis: 5_000,
    // a database hung by a fault must not hang a request forever
    query_timeout: 15_000,
  });
  // an idle connection dropped by the server (restart, fault) is replaced on next use
  pool.on("error", (err) => warn("idle database connection failed", { error: errorText(err) }));
  return pool;
}

export async function ensureSchema(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
    await client.query(SCHEMA);
  });
}

/** Connects (with bounded retry) and creates the schema; throws StartupError when it cannot. */
export async function openDatabase(url: string, timeoutMs: number): Promise<pg.Pool> {
  const pool = createPool(url);
  try {
    await retryUntil(describeDatabase(url), timeoutMs, () => ensureSchema(pool));
    return pool;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** Runs fn in a transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failed = false;
  // The pool listens for a connection's errors only while it is idle. Checked out, a connection the
  // server ends between two queries (its crash recovery after an I/O fault terminates every backend)
  // emits 'error' on the client, and an error nobody listens to would end the whole service: the
  // client that sent the request would see its connection closed instead of a 5xx. The next query
  // fails too, and that failure is what the caller handles.
  const onError = (err: Error) => {
    failed = true;
    warn("database connection failed during a transaction", { error: errorText(err) });
  };
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    failed = true;
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    // after a failure the connection may be broken (server restart, I/O fault): do not reuse it
    client.off("error", onError);
    client.release(failed);
  }
}
