// Class data sharing (CDS) for the local Kafka JVMs: an archive of the classes a broker loads, parsed and
// verified once, that later JVMs map instead of loading the same ~7,000 classes from ~100 jars again.
// Measured on this project's 2-core machine (Java 17, Kafka 4.1.1, idle; docs/foundation.md): a broker
// start from launch to "Kafka Server started" 2.7-2.9 s → 1.5-1.7 s, its CPU 4.6-4.8 s → 2.5-2.8 s; the
// storage format 0.8-1.7 s → 0.45-0.6 s. It changes nothing the broker does, only how its classes load.
//
// The archive is built once per Kafka install and Java runtime, by the first broker start that finds
// none (the "training" start): that start's first node and its storage format write the list of classes
// they load (-XX:DumpLoadedClassList); once the broker accepts a produce, `java -Xshare:dump` turns the
// lists into <cache>/kafka/<version>/cds/<key>.jsa (5-10 s, once). Every later start maps it
// (-XX:SharedArchiveFile). The key covers the java binary and every jar (name, size, mtime), so a new
// JDK or a re-fetched install gets an archive of its own; the JVM itself also checks the archive
// against its classpath and silently loads classes the usual way when they differ.
// A build that fails leaves <key>.failed (with the dump's output) and is not tried again until that file
// is removed; one that runs out of time (DUMP_TIMEOUT_MS, a very loaded machine) is tried again by the
// next start. FAULTBOX_KAFKA_CDS=0 turns all of it off.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { tryAcquire } from "../process-guard/file-lock.js";
import { resolveBinary } from "../local.js";
import type { KafkaInstall } from "./resolve.js";

/** How one start uses CDS: flags for its JVMs, and whether it trains (builds the archive). */
export interface CdsPlan {
  /** The archive this start maps, if there is one. */
  archive?: string;
  /** Set when this start builds the archive: where its JVMs write their class lists. */
  training?: { lists: string[]; lock: string; target: string };
  /** Flags for node `nodeId`'s broker JVM (a restart never trains). */
  brokerFlags(nodeId: number, firstSpawn: boolean): string[];
  /** Flags for node `nodeId`'s storage format JVM. */
  formatFlags(nodeId: number): string[];
  /** After the start succeeded: builds the archive when training (else nothing). Never throws. */
  finish(): Promise<void>;
  /** After the start failed: gives up training, leaves no lock or half-written list behind. */
  abandon(): void;
}

const DUMP_TIMEOUT_MS = 180_000;

/** What identifies an install's classes for one Java runtime: the java binary and every jar. */
function archiveKey(install: KafkaInstall): string {
  const h = createHash("sha256");
  let java = install.java.path;
  try {
    java = realpathSync(resolveBinary(java, process.cwd(), process.env as Record<string, string>));
    const s = statSync(java);
    h.update(`${java}\0${s.size}\0${s.mtimeMs}\0`);
  } catch {
    h.update(`${java}\0`);
  }
  for (const name of readdirSync(install.libDir).sort()) {
    const s = statSync(join(install.libDir, name));
    h.update(`${name}\0${s.size}\0${s.mtimeMs}\0`);
  }
  return h.digest("hex").slice(0, 16);
}

const NONE: CdsPlan = {
  brokerFlags: () => [],
  formatFlags: () => [],
  finish: async () => undefined,
  abandon: () => undefined,
};

/** Not turned off, and a Java whose archives hold application classes (10+; Kafka needs 11+ anyway). */
const usable = (install: KafkaInstall, env: NodeJS.ProcessEnv) =>
  env.FAULTBOX_KAFKA_CDS !== "0" && install.java.major >= 11;

/** Takes `lock` if no live process holds it (no waiting: a start that cannot train just does not). */
function tryLock(lock: string): boolean {
  try {
    return tryAcquire(lock) || tryAcquire(lock); // the second try takes over a dead holder's lock
  } catch {
    return false; // an unwritable cache: no training
  }
}

/** The archive flag, for any JVM on the install's classpath (tools too), when the archive exists. */
export function cdsArchiveFlags(install: KafkaInstall, env: NodeJS.ProcessEnv = process.env): string[] {
  if (!usable(install, env)) return [];
  try {
    const archive = join(dirname(install.libDir), "cds", `${archiveKey(install)}.jsa`);
    return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [];
  } catch {
    return [];
  }
}

/**
 * Decides how a start of `install` uses CDS; node `trainerNode` writes the class lists when it trains.
 * `mayTrain: false` (a broker under the syscall supervisor, whose faults could hit the list's writes)
 * maps an archive that exists but never builds one.
 */
export function planCds(
  install: KafkaInstall,
  trainerNode: number,
  env: NodeJS.ProcessEnv = process.env,
  mayTrain = true,
  dumpTimeoutMs = DUMP_TIMEOUT_MS,
): CdsPlan {
  if (!usable(install, env)) return NONE;
  let dir: string;
  let key: string;
  try {
    dir = join(dirname(install.libDir), "cds");
    key = archiveKey(install);
    mkdirSync(dir, { recursive: true });
  } catch {
    return NONE; // an unreadable or read-only cache: start the usual way
  }
  const archive = join(dir, `${key}.jsa`);
  if (existsSync(archive)) {
    const flags = [`-XX:SharedArchiveFile=${archive}`];
    return { ...NONE, archive, brokerFlags: () => flags, formatFlags: () => flags };
  }
  const lock = join(dir, `${key}.lock`);
  if (!mayTrain || existsSync(join(dir, `${key}.failed`)) || !tryLock(lock)) return NONE;
  const lists = [
    join(dir, `${key}.${process.pid}.format.classlist`),
    join(dir, `${key}.${process.pid}.broker.classlist`),
  ];
  const training = { lists, lock, target: archive };
  const release = () => {
    for (const f of [...lists, lock]) {
      try {
        rmSync(f, { force: true });
      } catch {
        // an unwritable cache: nothing more to do
      }
    }
  };
  const trainer = (nodeId: number, list: string) =>
    nodeId === trainerNode ? [`-XX:DumpLoadedClassList=${list}`] : [];
  return {
    training,
    // A node started again (restart) maps the archive if this start has built it by then.
    brokerFlags: (nodeId, firstSpawn) =>
      firstSpawn
        ? trainer(nodeId, lists[1]!)
        : existsSync(archive)
          ? [`-XX:SharedArchiveFile=${archive}`]
          : [],
    formatFlags: (nodeId) => trainer(nodeId, lists[0]!),
    finish: async () => {
      try {
        await buildArchive(install, training, join(dir, `${key}.failed`), dumpTimeoutMs);
      } catch {
        // The broker is up: a build that could not even write its files only means no archive yet.
      } finally {
        release();
      }
    },
    abandon: release,
  };
}

/** Complete lines of a class list a running JVM may still be writing. */
function completeLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const end = text.lastIndexOf("\n");
  return end < 0 ? [] : text.slice(0, end).split("\n");
}

let running: ChildProcess | undefined;
process.on("exit", () => running?.kill("SIGKILL"));

async function buildArchive(
  install: KafkaInstall,
  training: { lists: string[]; target: string },
  failedMarker: string,
  timeoutMs: number,
): Promise<void> {
  // One list from both runs: the format's classes first, then the broker's (a class once; lambda and
  // other @-lines kept in order after the classes they name).
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const line of training.lists.flatMap(completeLines)) {
    if (line.startsWith("#") || line.trim() === "" || seen.has(line)) continue;
    seen.add(line);
    merged.push(line);
  }
  if (merged.length < 1000) return; // a broker that loaded this little is not worth archiving yet
  const list = `${training.target}.${process.pid}.classlist`;
  const partial = `${training.target}.${process.pid}.partial`;
  const out: Buffer[] = [];
  let timedOut = false;
  let code: number;
  try {
    writeFileSync(list, merged.join("\n") + "\n");
    code = await dump(install, list, partial, out, timeoutMs, () => (timedOut = true));
  } finally {
    rmSync(list, { force: true });
  }
  if (code === 0 && existsSync(partial)) {
    renameSync(partial, training.target);
    return;
  }
  rmSync(partial, { force: true });
  if (timedOut) return; // a machine too busy this time: the next start tries again
  // Not tried again: a JVM that cannot dump an archive will not learn to on the next start.
  writeFileSync(
    failedMarker,
    `java -Xshare:dump exited ${code} (${new Date().toISOString()}); remove this file to try again\n` +
      Buffer.concat(out).toString("utf8").slice(-20_000),
  );
}

/** Runs `java -Xshare:dump`; its exit code (-1: killed or not started), its output into `out`. */
function dump(
  install: KafkaInstall,
  list: string,
  partial: string,
  out: Buffer[],
  timeoutMs: number,
  onTimeout: () => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const child = spawn(
      install.java.path,
      [
        "-Xshare:dump",
        `-XX:SharedClassListFile=${list}`,
        `-XX:SharedArchiveFile=${partial}`,
        "-cp",
        install.classpath,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    running = child;
    const timer = setTimeout(() => {
      onTimeout();
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => out.push(d));
    child.on("error", (err) => out.push(Buffer.from(String(err))));
    child.on("close", (c) => {
      clearTimeout(timer);
      running = undefined;
      resolve(c ?? -1);
    });
  });
}
