// A throwaway PostgreSQL: its own data directory (initdb into a fresh temp dir), its own free loopback
// port, a Unix socket in that dir (not the system's /var/run/postgresql), trust authentication for
// user `faultbox`, a database `faultbox`. Durability settings are off: the data is thrown away.
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pgModule } from "../../core/lazy-module.js";
import { runLogged } from "../process-guard/run-logged.js";
import { LaunchError, PortRaceError, retryOnPortRace } from "../process-guard/launch-error.js";
import { freePort, assertPortFree, LOOPBACK } from "../process-guard/free-port.js";
import {
  spawnGuarded,
  stopGuarded,
  groupAlive,
  logTail,
  type GuardedProcess,
} from "../process-guard/guarded-process.js";
import { findPostgresBin, postgresRunAs } from "./binaries.js";

export interface StartPostgresOptions {
  /** The server dies when this process does. Default: the caller. `null`: runs until stopped. */
  ownerPid?: number | null;
  /** Fixed port (default: a free one chosen now). */
  port?: number;
  /** Give up if no connection succeeds within this long. Default 60 s. */
  readyTimeoutMs?: number;
  /** Parent of the server's temporary directory (default: the OS temp dir). */
  workDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface PostgresRecord {
  kind: "postgres";
  host: string;
  port: number;
  user: string;
  database: string;
  connectionString: string;
  dir: string;
  processes: GuardedProcess[];
}

export interface PostgresServer extends PostgresRecord {
  stop(): Promise<void>;
}

export const POSTGRES_USER = "faultbox";
export const POSTGRES_DATABASE = "faultbox";

export async function stopPostgresRecord(record: PostgresRecord): Promise<void> {
  await stopGuarded(record.processes);
  rmSync(record.dir, { recursive: true, force: true });
}

async function query(connectionString: string, sql: string): Promise<void> {
  const client = new (pgModule().Client)({ connectionString, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  // A port chosen free can be taken before the server binds it; a new port fixes that.
  return retryOnPortRace(opts.port === undefined ? 3 : 1, () => startPostgresOnce(opts));
}

async function startPostgresOnce(opts: StartPostgresOptions): Promise<PostgresServer> {
  const env = opts.env ?? process.env;
  const bin = findPostgresBin(env);
  const runAs = postgresRunAs(env);
  const host = LOOPBACK;
  if (opts.port !== undefined) await assertPortFree(opts.port, host, "PostgreSQL");
  const port = opts.port ?? (await freePort(host));
  const dir = mkdtempSync(join(opts.workDir ?? tmpdir(), "faultbox-pg-"));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  const url = (db: string) => `postgresql://${POSTGRES_USER}@${host}:${port}/${db}`;
  const processes: GuardedProcess[] = [];
  const record: PostgresRecord = {
    kind: "postgres",
    host,
    port,
    user: POSTGRES_USER,
    database: POSTGRES_DATABASE,
    connectionString: url(POSTGRES_DATABASE),
    dir,
    processes,
  };
  const fail = async (what: string, hint: string, log: string): Promise<never> => {
    const tail = logTail(log);
    await stopPostgresRecord(record);
    throw new LaunchError(what, hint, tail);
  };
  const prefix = runAs?.prefix ?? [];

  try {
    const initLog = join(dir, "initdb.log");
    const initArgv = [...prefix, join(bin, "initdb"), "-D", data, "-U", POSTGRES_USER, "--auth=trust"];
    const code = await runLogged([...initArgv, "--no-sync", "-E", "UTF8", "--locale=C"], initLog, {
      cwd: "/",
    });
    if (code !== 0) {
      await fail(
        `initdb failed (exit ${code}) for a throwaway PostgreSQL in ${data}`,
        "read initdb's output below",
        initLog,
      );
    }
    const log = join(dir, "postgres.log");
    processes.push(
      await spawnGuarded({
        command: prefix[0] ?? join(bin, "postgres"),
        args: [
          ...prefix.slice(1),
          ...(prefix.length ? [join(bin, "postgres")] : []),
          "-D",
          data,
          "-p",
          String(port),
          "-k",
          dir,
          "-c",
          `listen_addresses=${host}`,
          "-c",
          "fsync=off",
          "-c",
          "synchronous_commit=off",
          "-c",
          "full_page_writes=off",
          "-c",
          "shared_buffers=32MB",
          "-c",
          "max_connections=100",
        ],
        logFile: log,
        ownerPid: opts.ownerPid === undefined ? process.pid : (opts.ownerPid ?? undefined),
        cleanupDir: dir,
        // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
        stopSignal: "SIGINT",
        graceMs: 10_000,
      }),
    );
    const timeout = opts.readyTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeout;
    let lastError = "";
    while (true) {
      if (!groupAlive(processes[0]!.pgid)) {
        const tail = logTail(log);
        if (/could not bind|Address already in use/.test(logTail(log, 50))) {
          await stopPostgresRecord(record);
          throw new PortRaceError(
            `PostgreSQL could not bind ${host}:${port}: another process took the port`,
            tail,
          );
        }
        await fail("PostgreSQL exited during startup", "read the server log below", log);
      }
      try {
        await query(url("postgres"), `CREATE DATABASE ${POSTGRES_DATABASE}`);
        await query(url(POSTGRES_DATABASE), "SELECT 1");
        break;
      } catch (err) {
        lastError = (err as Error).message;
        // A previous attempt may have created the database before failing on the second query.
        if (/already exists/.test(lastError)) {
          await query(url(POSTGRES_DATABASE), "SELECT 1").then(
            () => (lastError = ""),
            () => undefined,
          );
          if (!lastError) break;
        }
      }
      if (Date.now() > deadline) {
        await fail(
          `PostgreSQL at ${host}:${port} did not accept connections within ${Math.round(timeout / 1000)}s; last error: ${lastError}`,
          "read the server log below; on a loaded machine raise readyTimeoutMs",
          log,
        );
      }
      await sleep(200);
    }
  } catch (err) {
    if (err instanceof LaunchError) throw err;
    await stopPostgresRecord(record);
    throw err;
  }
  return { ...record, stop: () => stopPostgresRecord(record) };
}
