// A throwaway PostgreSQL launched under the syscall supervisor (the postmaster and every backend it
// forks inherit the filter), for tests that fail its disk with write=deny("EIO"). Shared by the
// supervisor's own test and the orders EIO test.
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { findPostgresBin } from "../../src/launch/postgres-local/index.js";
import { freePort } from "../../src/launch/process-guard/free-port.js";
import {
  launchSupervised,
  syscallFaultsSupported,
  type SupervisedProcess,
  type SyscallFaultEvent,
} from "../../src/syscall/index.js";

/** Why these tests cannot run here (no seccomp notifications, no PostgreSQL), or false. */
export function supervisedPostgresSkip(): string | false {
  const support = syscallFaultsSupported();
  if (!support.ok) return support.reason;
  try {
    findPostgresBin();
    return false;
  } catch (e) {
    return (e as Error).message;
  }
}

export interface SupervisedPostgres {
  server: SupervisedProcess;
  port: number;
  /** The data directory (WAL and tables): what a disk fault's path glob names. */
  data: string;
  /** What the server wrote to stderr so far. */
  log(): string;
  url(db: string): string;
  /** A connected client, retrying (bounded) while the server starts or recovers from a fault. */
  connect(db?: string, limitMs?: number): Promise<pg.Client>;
  /** Runs `fn` on a fresh connection, retrying the whole call while the server recovers. */
  withRecovered<T>(db: string, fn: (c: pg.Client) => Promise<T>, limitMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export async function startSupervisedPostgres(
  o: { syscalls?: string[]; onEvent?: (e: SyscallFaultEvent) => void } = {},
): Promise<SupervisedPostgres> {
  const bin = findPostgresBin();
  const root = mkdtempSync(join(tmpdir(), "faultbox-supervised-pg-"));
  const data = join(root, "data");
  chownSync(root, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0);
  execFileSync(
    "setpriv",
    [
      "--reuid=postgres",
      "--regid=postgres",
      "--init-groups",
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      "postgres",
    ],
    { stdio: "ignore", env: { ...process.env, LC_ALL: "C.UTF-8" } },
  );
  const port = await freePort();
  const server = await launchSupervised({
    argv: [
      join(bin, "postgres"),
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
    syscalls: o.syscalls ?? ["write", "fsync"],
    stdio: ["ignore", "ignore", "pipe"],
    onEvent: o.onEvent,
  });
  let log = "";
  server.child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const url = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;

  async function connect(db = "postgres", limitMs = 30_000): Promise<pg.Client> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const client = new pg.Client({ connectionString: url(db) });
      client.on("error", () => undefined); // a backend killed by the fault ends the connection
      try {
        await client.connect();
        return client;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }

  return {
    server,
    port,
    data,
    log: () => log,
    url,
    connect,
    async withRecovered(db, fn, limitMs = 60_000) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const client = await connect(db, Math.max(0, deadline - Date.now()));
        try {
          return await fn(client);
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(200);
        } finally {
          await client.end().catch(() => undefined);
        }
      }
    },
    async stop() {
      await server.close({ signal: "SIGINT", graceMs: 10_000 });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
