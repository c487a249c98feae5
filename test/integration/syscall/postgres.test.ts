// PostgreSQL under the supervisor: the postmaster and every backend it forks inherit the filter,
// so `write=deny("EIO")` on the data directory makes an INSERT fail; after the rule is cleared
// the server recovers and the row that failed is not there.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  deny,
  launchSupervised,
  op,
  rule,
  syscallFaultsSupported,
  type SupervisedProcess,
  type SyscallFaultEvent,
} from "../../../src/syscall/index.js";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const support = syscallFaultsSupported();
const skip = !support.ok
  ? support.reason
  : !existsSync(join(PG_BIN, "postgres"))
    ? `PostgreSQL 15 not installed (${PG_BIN})`
    : false;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function connect(port: number, limitMs: number): Promise<pg.Client> {
  const start = Date.now();
  for (;;) {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
    client.on("error", () => {}); // a backend killed by the fault ends the connection
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() - start > limitMs) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let server: SupervisedProcess | undefined;
const root = mkdtempSync(join(tmpdir(), "faultbox-pg-"));
after(async () => {
  await server?.close({ signal: "SIGINT", graceMs: 10_000 });
  rmSync(root, { recursive: true, force: true });
});

test(
  "PostgreSQL under write=deny(EIO) on its data files fails an INSERT",
  { skip, timeout: 120_000 },
  async () => {
    const data = join(root, "data");
    chownSync(root, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0);
    execFileSync(
      "setpriv",
      [
        "--reuid=postgres",
        "--regid=postgres",
        "--init-groups",
        join(PG_BIN, "initdb"),
        "-D",
        data,
        "-U",
        "postgres",
      ],
      { stdio: "ignore", env: { ...process.env, LC_ALL: "C.UTF-8" } },
    );
    const port = await freePort();
    const events: SyscallFaultEvent[] = [];
    let log = "";
    server = await launchSupervised({
      argv: [
        join(PG_BIN, "postgres"),
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        root,
        "-c",
        "listen_addresses=127.0.0.1",
      ],
      user: "postgres",
      syscalls: ["write", "fsync"],
      stdio: ["ignore", "ignore", "pipe"],
      onEvent: (e) => events.push(e),
    });
    server.child.stderr!.on("data", (d: Buffer) => (log += d.toString()));

    const client = await connect(port, 30_000);
    await client.query("CREATE TABLE orders (id int PRIMARY KEY)");
    await client.query("INSERT INTO orders VALUES (1)");

    await server.setRules([
      rule(op({ syscalls: ["write"], path: `${data}/**` }), deny("EIO", { label: "disk" })),
    ]);
    await assert.rejects(client.query("INSERT INTO orders VALUES (2)"));
    const stats = await server.clearRules();
    await client.end().catch(() => {});

    assert.ok(stats[0]!.fires > 0, "the rule fired");
    // The fault hit a backend: a child of the postmaster, which inherited the filter.
    assert.ok(
      events.some((e) => e.pid !== server!.pid && e.errno === "EIO" && e.path!.startsWith(`${data}/`)),
    );
    assert.match(log, /could not write|PANIC/);

    // With the rule gone the server recovers; the failed row was never committed.
    const after = await connect(port, 60_000);
    const rows = await after.query("SELECT id FROM orders ORDER BY id");
    assert.deepEqual(
      rows.rows.map((r: { id: number }) => r.id),
      [1],
    );
    await after.query("INSERT INTO orders VALUES (3)");
    await after.end();
  },
);
