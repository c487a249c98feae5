// Services shared by every test file of one `npm test` run, across processes.
//
// scripts/test.mjs creates a state directory and exports it as FAULTBOX_TEST_STATE_DIR, with its own
// pid as FAULTBOX_TEST_OWNER_PID. The first test file that asks for a service starts it under a file
// lock, owned by the runner's pid (so it outlives that test file), and records it as JSON; later files
// read the record. When startup fails, the failure is recorded too, so later files fail at once with
// the same message instead of retrying. The runner stops everything recorded at the end
// (stopRecordedServices), also on failure and on SIGINT/SIGTERM; if the runner itself is killed, the
// services' watchdogs see its pid vanish and stop them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withFileLock } from "../../src/launch/process-guard/file-lock.js";
import { groupAlive } from "../../src/launch/process-guard/guarded-process.js";
import { stopKafkaRecord, type KafkaClusterRecord } from "../../src/launch/kafka-local/index.js";
import { stopPostgresRecord, type PostgresRecord } from "../../src/launch/postgres-local/index.js";

export type ServiceRecord = KafkaClusterRecord | PostgresRecord;

export interface SharedRun {
  stateDir: string;
  ownerPid: number;
}

/** The shared run this process belongs to, or undefined when a test file runs on its own. */
export function sharedRun(env: NodeJS.ProcessEnv = process.env): SharedRun | undefined {
  const stateDir = env.FAULTBOX_TEST_STATE_DIR;
  const ownerPid = Number(env.FAULTBOX_TEST_OWNER_PID);
  if (!stateDir || !existsSync(stateDir) || !Number.isInteger(ownerPid) || ownerPid <= 0) return undefined;
  return { stateDir, ownerPid };
}

function alive(record: ServiceRecord): boolean {
  return record.processes.every((p) => groupAlive(p.pgid));
}

/** The record of service `key`, starting it with `start(ownerPid)` if no live one is recorded. */
export async function sharedService<R extends ServiceRecord>(
  run: SharedRun,
  key: string,
  start: (ownerPid: number) => Promise<R>,
): Promise<R> {
  const recordFile = join(run.stateDir, `${key}.json`);
  const failureFile = join(run.stateDir, `${key}.failed`);
  return withFileLock(join(run.stateDir, `${key}.lock`), async () => {
    if (existsSync(failureFile)) {
      throw new Error(`${key} failed to start earlier in this run:\n${readFileSync(failureFile, "utf8")}`);
    }
    if (existsSync(recordFile)) {
      const record = JSON.parse(readFileSync(recordFile, "utf8")) as R;
      if (alive(record)) return record;
      throw new Error(
        `${key} was started earlier in this run but has died; see ${record.processes[0]?.logFile}`,
      );
    }
    try {
      const service = await start(run.ownerPid);
      const record = { ...service } as R & { stop?: unknown };
      delete record.stop;
      writeFileSync(recordFile, JSON.stringify(record, null, 2));
      return record;
    } catch (err) {
      writeFileSync(failureFile, (err as Error).message);
      throw err;
    }
  });
}

/** Stops every service recorded in `stateDir` (all at once). */
export async function stopRecordedServices(stateDir: string): Promise<void> {
  if (!existsSync(stateDir)) return;
  const records = readdirSync(stateDir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(stateDir, f), "utf8")) as ServiceRecord);
  await Promise.all(records.map((r) => (r.kind === "kafka" ? stopKafkaRecord(r) : stopPostgresRecord(r))));
}

/**
 * Runs `fn` while no other test file of this `npm test` run is inside `withPortLock` for the same
 * port: for specs that bind a fixed host port (the seed's integrity.star runs PostgreSQL on 25432,
 * verbatim from the product's reference), so two files that run them can share a track. Outside a
 * shared run (a file run on its own) it just runs `fn`.
 */
export async function withPortLock<T>(port: number, fn: () => Promise<T>): Promise<T> {
  const run = sharedRun();
  if (!run) return fn();
  return withFileLock(join(run.stateDir, `port-${port}.lock`), fn);
}

/** The fixed host ports a spec's text gives PostgreSQL (`"PGPORT": "25432"`): what withPortLock guards. */
export function fixedPorts(specText: string): number[] {
  return [...specText.matchAll(/"PGPORT"\s*:\s*"(\d+)"/g)].map((m) => Number(m[1]));
}

/** withPortLock for every port of `ports`, taken in ascending order (so two holders never deadlock). */
export async function withPortLocks<T>(ports: number[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const take = (i: number): Promise<T> =>
    i < sorted.length ? withPortLock(sorted[i]!, () => take(i + 1)) : fn();
  return take(0);
}

/** Runs `fn` (a run of the spec `specFile`) holding the locks of the fixed ports the spec binds, if any. */
export async function withSpecPortLocks<T>(specFile: string, fn: () => Promise<T>): Promise<T> {
  return withPortLocks(fixedPorts(readFileSync(specFile, "utf8")), fn);
}
