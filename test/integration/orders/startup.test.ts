// Startup and configuration behaviour of the order services: a missing or wrong setting, or an
// unreachable dependency, gives one clear line on stderr and a non-zero exit, within a bounded time.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { adminDatabaseUrl } from "./backing.js";
import { killAll, runToExit } from "./services.js";

after(killAll);

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("order-service rejects an unknown ORDERS_MODE with exit code 2", async () => {
  const r = await runToExit("order-service", {
    ORDERS_MODE: "sloppy",
    KAFKA_BROKERS: "127.0.0.1:9092",
    DATABASE_URL: "postgres://x@127.0.0.1/x",
  });
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /order-service: configuration error: ORDERS_MODE="sloppy" must be "naive" or "correct"/,
  );
});

test("order-consumer names the missing KAFKA_BROKERS with exit code 2", async () => {
  const r = await runToExit("order-consumer", { DATABASE_URL: "postgres://x@127.0.0.1/x" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /order-consumer: configuration error: KAFKA_BROKERS is not set/);
});

test("order-service rejects a malformed broker address", async () => {
  const r = await runToExit("order-service", {
    KAFKA_BROKERS: "localhost",
    DATABASE_URL: "postgres://x@127.0.0.1/x",
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /KAFKA_BROKERS entry "localhost" must look like host:port/);
});

for (const name of ["order-service", "order-consumer"] as const) {
  test(`${name} exits 1 naming PostgreSQL when the database is unreachable`, async () => {
    const port = await closedPort();
    const r = await runToExit(name, {
      KAFKA_BROKERS: "127.0.0.1:9092",
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/orders`,
      STARTUP_TIMEOUT_MS: "1000",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${name}: cannot reach PostgreSQL at 127.0.0.1:${port}/orders after`));
    assert.equal(r.stdout, "", "nothing on stdout: no event may claim the service started");
  });

  test(`${name} exits 1 naming Kafka when no broker answers`, async () => {
    const port = await closedPort();
    const r = await runToExit(name, {
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      DATABASE_URL: await adminDatabaseUrl(),
      STARTUP_TIMEOUT_MS: "1000",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`${name}: cannot reach Kafka at 127.0.0.1:${port} after`));
    assert.equal(r.stdout, "");
  });
}
