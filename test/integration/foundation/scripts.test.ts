// The by-hand scripts: start prints a usable service as JSON, stop leaves no process and no directory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { runCommand } from "../../support/run-command.js";
import { processesUsing } from "../../support/processes.js";

const scripts = fileURLToPath(new URL("../../../scripts/", import.meta.url));

async function script(name: string, ...args: string[]): Promise<string> {
  const r = await runCommand([join(scripts, name), ...args], { timeoutMs: 180_000 });
  assert.equal(r.code, 0, `${name} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

test("scripts/kafka start, tool, stop: a working broker, then nothing left", async () => {
  // --owner-pid: should this test die half-way, the broker goes with it.
  const cluster = JSON.parse(
    await script("kafka/start", "--nodes", "1", "--owner-pid", String(process.pid)),
  ) as {
    bootstrap: string;
    dir: string;
  };
  try {
    assert.ok(existsSync(join(cluster.dir, "service.json")));
    const topic = `foundation-scripts-${process.pid}`;
    await script(
      "kafka/tool",
      "kafka-topics",
      "--bootstrap-server",
      cluster.bootstrap,
      "--create",
      "--topic",
      topic,
    );
    const listed = await script(
      "kafka/tool",
      "kafka-topics",
      "--bootstrap-server",
      cluster.bootstrap,
      "--list",
    );
    assert.ok(listed.split("\n").includes(topic), listed);
  } finally {
    await script("kafka/stop", cluster.dir);
  }
  assert.deepEqual(processesUsing(cluster.dir), []);
  assert.equal(existsSync(cluster.dir), false);
});

test("scripts/postgres start, stop: a working server, then nothing left", async () => {
  const server = JSON.parse(await script("postgres/start", "--owner-pid", String(process.pid))) as {
    connectionString: string;
    dir: string;
  };
  try {
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      assert.equal((await client.query("SELECT 6 * 7 AS n")).rows[0].n, 42);
    } finally {
      await client.end();
    }
  } finally {
    await script("postgres/stop", server.dir);
  }
  assert.deepEqual(processesUsing(server.dir), []);
  assert.equal(existsSync(server.dir), false);
});
