// Where the tests get PostgreSQL and Kafka: the shared test services of test/support. Each test
// gets a database of its own on the shared server (and a topic of its own, see system.ts).
import { randomUUID } from "node:crypto";
import pg from "pg";
import { useKafka, usePostgres } from "../../support/index.js";

/** A connection string to the shared server's default database (for creating databases). */
export async function adminDatabaseUrl(): Promise<string> {
  return (await usePostgres()).connectionString;
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
  return (await useKafka({ nodes: 1 })).bootstrap.split(",");
}
