// One node of a local Kafka cluster as something faultbox acts on: kill (SIGKILL), stop (SIGTERM, a
// controlled shutdown), start again on the same server.properties and log dirs, pause and resume
// (SIGSTOP/SIGCONT to the JVM; its watchdog shell keeps watching the owner). A started node is back
// when its own Metadata lists it among the brokers (it registered with the controller quorum and was
// unfenced); a one-node cluster must also accept a produce again, as at its first start.
import { readFileSync } from "node:fs";
import { kafkajsModule } from "../../core/lazy-module.js";
import { setTimeout as sleep } from "node:timers/promises";
import { groupAlive, logTail, stopGuarded, type GuardedProcess } from "../process-guard/guarded-process.js";
import { untilStopped } from "../process-guard/stopped.js";
import { waitForProduce, type ReadinessProbe } from "./readiness.js";

export interface KafkaNodeControl {
  readonly nodeId: number;
  /** The node's client listener. */
  readonly address: { host: string; port: number };
  /** Whether its JVM runs (paused counts as running). */
  running(): boolean;
  kill(): Promise<void>;
  stop(graceMs: number): Promise<void>;
  /**
   * Starts the node again on its data; resolves once it is back in the cluster. `commandPrefix`: the
   * argv of a fresh syscall supervisor when the node runs supervised (one supervisor serves one run).
   */
  start(commandPrefix?: readonly string[]): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Pid of the JVM now, or of the supervisor that runs it (changes with every start). */
  pid(): number;
}

export interface NodeControlOptions {
  nodeId: number;
  clientAddress: { host: string; port: number };
  /** Nodes in the cluster: a one-node cluster is back when it accepts a produce. */
  clusterSize?: number;
  version: string;
  current: () => GuardedProcess;
  replace: (p: GuardedProcess) => void;
  spawn: (commandPrefix?: readonly string[]) => Promise<GuardedProcess>;
  readyTimeoutMs: number;
}

/** A process and its children (a supervisor and the broker JVM it runs). */
function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return [pid, ...(children ? children.split(" ").map(Number) : [])];
  } catch {
    return [pid];
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function untilGone(p: GuardedProcess): Promise<void> {
  while (groupAlive(p.pgid)) await sleep(25);
}

/** Whether the node's own metadata names it as a broker (registered and unfenced). */
async function listsItself(
  address: { host: string; port: number },
  nodeId: number,
): Promise<string | undefined> {
  const { Kafka, logLevel } = kafkajsModule();
  const kafka = new Kafka({
    clientId: "faultbox-node-ready",
    brokers: [`${address.host}:${address.port}`],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.some((b) => b.nodeId === nodeId)) return undefined;
    return `its metadata lists brokers ${cluster.brokers.map((b) => b.nodeId).join(", ") || "none"}`;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function nodeControl(o: NodeControlOptions): KafkaNodeControl {
  let paused = false;
  const who = `Kafka ${o.version} node ${o.nodeId}`;
  return {
    nodeId: o.nodeId,
    address: o.clientAddress,
    running: () => groupAlive(o.current().pgid),
    pid: () => o.current().pid,
    async kill() {
      const p = o.current();
      if (paused) signal(p.pid, "SIGCONT");
      paused = false;
      signal(p.pid, "SIGKILL");
      await untilGone(p);
    },
    async stop(graceMs) {
      const p = o.current();
      if (paused) signal(p.pid, "SIGCONT");
      paused = false;
      await stopGuarded([{ ...p, graceMs }]);
    },
    async start(commandPrefix) {
      if (groupAlive(o.current().pgid)) throw new Error(`${who} is running; kill or stop it first`);
      const p = await o.spawn(commandPrefix);
      o.replace(p);
      const deadline = Date.now() + o.readyTimeoutMs;
      let last = "not asked yet";
      if ((o.clusterSize ?? 1) === 1) {
        const probe: ReadinessProbe = {};
        const ok = await waitForProduce(
          [`${o.clientAddress.host}:${o.clientAddress.port}`],
          1,
          deadline,
          () => !groupAlive(p.pgid),
          probe,
        );
        if (ok) return;
        last = probe.lastError ?? last;
      } else {
        while (Date.now() < deadline && groupAlive(p.pgid)) {
          const why = await listsItself(o.clientAddress, o.nodeId);
          if (why === undefined) return;
          last = why;
          await sleep(250);
        }
      }
      if (!groupAlive(p.pgid))
        throw new Error(
          `${who} exited while starting again on its data; its log ends:\n${logTail(p.logFile, 15)}`,
        );
      throw new Error(
        `${who} did not come back within ${Math.round(o.readyTimeoutMs / 1000)}s of starting again (last: ${last})`,
      );
    },
    async pause() {
      // The JVM, and the JVM itself when a syscall supervisor runs it (the supervisor's child).
      const pids = withChildren(o.current().pid);
      for (const pid of pids) signal(pid, "SIGSTOP");
      paused = true;
      await untilStopped(() => pids, `pausing ${who}`);
    },
    async resume() {
      if (paused) for (const pid of withChildren(o.current().pid)) signal(pid, "SIGCONT");
      paused = false;
    },
  };
}
