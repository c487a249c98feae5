// Real Kafka and PostgreSQL for integration tests.
//
//   import { useKafka, usePostgres, kafkaTool } from "../../support/index.js";
//
//   useKafka({ nodes?: 1 | 3, version?: "4" | "3.9" })
//     -> Promise<{ bootstrap: string, brokers: { nodeId, host, port }[], version: string, dir: string }>
//     bootstrap is "127.0.0.1:p1,127.0.0.1:p2,..."; version is the exact release ("4.1.1").
//   usePostgres()
//     -> Promise<{ host, port, user, database, connectionString, dir }>   (trust auth, no password)
//     dir: the service's temporary directory (logs: node-N/server.log, postgres.log)
//   kafkaTool(name, version?) -> Promise<string[]>
//     argv prefix of a Java tool of that release: "kafka-console-producer", "kafka-console-consumer",
//     "kafka-producer-perf-test", "kafka-consumer-perf-test", "kafka-topics", "kafka-consumer-groups",
//     "kafka-get-offsets", "kafka-metadata-quorum". Append the tool's own arguments.
//
// Under `npm test` (scripts/test.mjs) each distinct service (per version and node count) starts once
// and is shared by every test file of the run; the runner stops it at the end, also after failures
// and Ctrl-C. A test file run on its own (`node --import tsx --test FILE`) starts its own services and
// they stop when that process exits, however it exits. Tests must therefore not stop, reconfigure or
// break the shared services: create topics and databases with unique names and leave the rest alone.
// A test that needs to break a broker should start its own with startKafka() from
// src/launch/kafka-local/ and stop it itself.
//
// The readiness probe leaves a topic "__faultbox_ready" on every cluster.
import { canonicalKafkaVersion, kafkaToolCommand, startKafka } from "../../src/launch/kafka-local/index.js";
import type { KafkaBroker, KafkaClusterRecord } from "../../src/launch/kafka-local/index.js";
import { startPostgres, type PostgresRecord } from "../../src/launch/postgres-local/index.js";
import { killGuardedSync, type GuardedProcess } from "../../src/launch/process-guard/guarded-process.js";
import { sharedRun, sharedService, type ServiceRecord } from "./shared-services.js";

export interface UseKafkaOptions {
  nodes?: 1 | 3;
  version?: "4" | "3.9" | string;
}

export interface TestKafka {
  bootstrap: string;
  brokers: KafkaBroker[];
  version: string;
  /** The cluster's temporary directory (config, data, logs: node-N/server.log), for diagnostics. */
  dir: string;
}

export interface TestPostgres {
  host: string;
  port: number;
  user: string;
  database: string;
  connectionString: string;
  /** The server's temporary directory (data/, postgres.log), for diagnostics. */
  dir: string;
}

// Per process: one start per key, whoever asks first.
const started = new Map<string, Promise<ServiceRecord>>();
// Services this process owns (stand-alone mode only), for the exit hook.
const owned: ServiceRecord[] = [];

function ownAndCleanUpAtExit(record: ServiceRecord): void {
  if (owned.length === 0) {
    // The watchdogs would stop the services within a second of this process's death anyway; doing it
    // here too makes a normal exit leave nothing behind immediately.
    process.on("exit", () => {
      killGuardedSync(
        owned.flatMap((r): GuardedProcess[] => r.processes),
        owned.map((r) => r.dir),
      );
    });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));
    }
  }
  owned.push(record);
}

function service<R extends ServiceRecord>(key: string, start: (ownerPid: number) => Promise<R>): Promise<R> {
  let promise = started.get(key) as Promise<R> | undefined;
  if (!promise) {
    const run = sharedRun();
    promise = run
      ? sharedService(run, key, start)
      : start(process.pid).then((r) => {
          ownAndCleanUpAtExit(r);
          return r;
        });
    started.set(key, promise);
  }
  return promise;
}

function stripRuntime<R extends ServiceRecord>(service: R & { stop?: unknown }): R {
  const { stop: _stop, ...record } = service;
  return record as unknown as R;
}

export async function useKafka(opts: UseKafkaOptions = {}): Promise<TestKafka> {
  const nodes = opts.nodes ?? 1;
  const version = canonicalKafkaVersion(opts.version ?? process.env.FAULTBOX_KAFKA_VERSION ?? "4");
  const record = await service<KafkaClusterRecord>(`kafka-${version}-${nodes}n`, async (ownerPid) =>
    stripRuntime(await startKafka({ nodes, version, ownerPid })),
  );
  return { bootstrap: record.bootstrap, brokers: record.brokers, version: record.version, dir: record.dir };
}

export async function usePostgres(): Promise<TestPostgres> {
  const record = await service<PostgresRecord>("postgres", async (ownerPid) =>
    stripRuntime(await startPostgres({ ownerPid })),
  );
  const { host, port, user, database, connectionString, dir } = record;
  return { host, port, user, database, connectionString, dir };
}

export function kafkaTool(name: string, version?: string): Promise<string[]> {
  return kafkaToolCommand(name, version ?? process.env.FAULTBOX_KAFKA_VERSION);
}
