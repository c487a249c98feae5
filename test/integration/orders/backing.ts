// Where the tests get PostgreSQL and Kafka. TEMPORARY until test/support lands: a database server
// from ORDERS_TEST_PG_URL and brokers from ORDERS_TEST_KAFKA.
import { randomUUID } from "node:crypto";
import pg from "pg";

export async function adminDatabaseUrl(): Promise<string> {
  const url = process.env.ORDERS_TEST_PG_URL;
  if (!url) throw new Error("ORDERS_TEST_PG_URL is not set");
  return url;
}

/** A new empty database on the test server; its URL. */
export async function freshDatabaseUrl(): Promise<string> {
  const admin = await adminDatabaseUrl();
  const name = `orders_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function kafkaBrokers(): Promise<string[]> {
  const brokers = process.env.ORDERS_TEST_KAFKA;
  if (!brokers) throw new Error("ORDERS_TEST_KAFKA is not set");
  return brokers.split(",");
}
