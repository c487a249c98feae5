// Starting services with something missing or broken fails with a message that says which thing and
// what to do, and leaves nothing running and no directory behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKafka } from "../../../src/launch/kafka-local/index.js";
import { startPostgres } from "../../../src/launch/postgres-local/index.js";
import { LaunchError } from "../../../src/launch/process-guard/launch-error.js";
import { freePort } from "../../../src/launch/process-guard/free-port.js";
import { processesUsing } from "../../support/processes.js";

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-bad-input-"));
  chmodSync(dir, 0o755); // PostgreSQL runs as an unprivileged user and must reach its directory
  return dir;
}

function assertNothingLeft(dir: string): void {
  assert.deepEqual(readdirSync(dir), [], "a service directory was left behind");
  assert.deepEqual(processesUsing(dir), [], "a process was left behind");
  rmSync(dir, { recursive: true, force: true });
}

function listen(): Promise<Server & { port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(Object.assign(server, { port: typeof address === "object" && address ? address.port : 0 }));
    });
  });
}

test("Kafka without Java: says Java was not found, where it looked, and how to install it", async () => {
  const dir = workDir();
  const env = { ...process.env, FAULTBOX_JAVA: "/nonexistent/bin/java" };
  await assert.rejects(startKafka({ version: "4", env, workDir: dir }), (err: Error) => {
    assert.ok(err instanceof LaunchError);
    assert.match(
      err.message,
      /Java not found: could not run "\/nonexistent\/bin\/java" \(from FAULTBOX_JAVA\)/,
    );
    assert.match(err.message, /what to do: install a JDK/);
    return true;
  });
  assertNothingLeft(dir);
});

test("Kafka jars not cached and no Maven: says Maven was not found and how to install it", async () => {
  const dir = workDir();
  const cache = mkdtempSync(join(tmpdir(), "faultbox-empty-cache-"));
  const env = { ...process.env, FAULTBOX_CACHE_DIR: cache, FAULTBOX_MVN: "/nonexistent/bin/mvn" };
  try {
    await assert.rejects(startKafka({ version: "4", env, workDir: dir }), (err: Error) => {
      assert.ok(err instanceof LaunchError);
      assert.match(err.message, /Maven not found: could not run "\/nonexistent\/bin\/mvn"/);
      assert.match(err.message, /apt-get install -y maven/);
      return true;
    });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
  assertNothingLeft(dir);
});

test("Kafka on a port that is taken: names the port and what to do", async () => {
  const dir = workDir();
  const busy = await listen();
  try {
    await assert.rejects(
      startKafka({ version: "4", brokerPorts: [busy.port], workDir: dir }),
      (err: Error) => {
        assert.ok(err instanceof LaunchError);
        assert.match(
          err.message,
          new RegExp(`port 127\\.0\\.0\\.1:${busy.port} requested for a Kafka .* is not free`),
        );
        return true;
      },
    );
  } finally {
    busy.close();
  }
  assertNothingLeft(dir);
});

test("PostgreSQL on a port that is taken: names the port", async () => {
  const dir = workDir();
  const busy = await listen();
  try {
    await assert.rejects(
      startPostgres({ port: busy.port, workDir: dir }),
      /port 127\.0\.0\.1:\d+ requested for PostgreSQL is not free/,
    );
  } finally {
    busy.close();
  }
  assertNothingLeft(dir);
});

test("PostgreSQL binaries missing: says which and how to install them", async () => {
  const dir = workDir();
  const env = { ...process.env, FAULTBOX_PG_BIN: "/nonexistent/pg/bin" };
  await assert.rejects(startPostgres({ env, workDir: dir }), (err: Error) => {
    assert.match(
      err.message,
      /PostgreSQL not found: FAULTBOX_PG_BIN=\/nonexistent\/pg\/bin has no initdb and postgres/,
    );
    assert.match(err.message, /apt-get install -y postgresql/);
    return true;
  });
  assertNothingLeft(dir);
});

test("a broker that never accepts a produce: times out naming the address and the last error, stops it", async () => {
  const dir = workDir();
  // The broker advertises an address where nothing listens (a classic misconfiguration): clients
  // bootstrap, learn that address and can never produce.
  const nowhere = await freePort();
  const start = startKafka({
    version: "4",
    serverProperties: { "advertised.listeners": `PLAINTEXT://127.0.0.1:${nowhere}` },
    readyTimeoutMs: 10_000,
    workDir: dir,
  });
  await assert.rejects(start, (err: Error) => {
    assert.ok(err instanceof LaunchError);
    assert.match(
      err.message,
      /Kafka 4\.\d+\.\d+ at 127\.0\.0\.1:\d+ did not accept a produce \(acks=all\) within 10s/,
    );
    assert.match(err.message, /last error: /);
    return true;
  });
  assertNothingLeft(dir);
});

test("bad server properties: storage formatting fails, says so and shows the tool's output", async () => {
  const dir = workDir();
  const start = startKafka({
    version: "4",
    serverProperties: { "advertised.listeners": "NOSUCH://127.0.0.1:1" },
    workDir: dir,
  });
  await assert.rejects(start, (err: Error) => {
    assert.ok(err instanceof LaunchError);
    assert.match(err.message, /formatting the storage of Kafka 4\.\d+\.\d+ node 1 failed \(exit 1\)/);
    assert.match(err.message, /No security protocol defined for listener NOSUCH/);
    return true;
  });
  assertNothingLeft(dir);
});

test("a broker whose JVM exits during startup: says which node and shows its log", async () => {
  const dir = workDir();
  // Formatting runs with its own heap setting, so only the broker JVM gets the impossible one.
  const start = startKafka({ version: "4", heap: "1k", workDir: dir });
  await assert.rejects(start, (err: Error) => {
    assert.ok(err instanceof LaunchError);
    assert.match(err.message, /Kafka 4\.\d+\.\d+ node 1 exited during startup/);
    assert.match(err.message, /heap/i);
    return true;
  });
  assertNothingLeft(dir);
});
