// A TypeScript spec runs on the main thread. A test body, hook or top level stuck in a synchronous
// loop blocks the event loop: no timer fires, no signal handler runs, and the run would never end. The
// engine cannot interrupt JavaScript on its own thread, so a watcher thread does the one thing left:
// when the main thread's heartbeat has stopped and the armed time limit is past, it says what was
// stuck and ends the process (SIGKILL; the watchdog process then stops every service it started).
// A Starlark spec runs in its own worker, which the engine can stop, so this never fires for one
// unless the engine itself hangs.
import { Worker } from "node:worker_threads";

/** Slots of the shared memory: the main thread's last heartbeat and the armed deadline (0 = none), in ms. */
const HEARTBEAT = 0;
const DEADLINE = 1;

const WATCHER = `
const { workerData, parentPort } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const slots = new BigInt64Array(workerData.shared);
let label = "the run";
parentPort.on("message", (m) => (label = m));
setInterval(() => {
  const now = Date.now();
  const beat = Number(Atomics.load(slots, ${HEARTBEAT}));
  const deadline = Number(Atomics.load(slots, ${DEADLINE}));
  if (deadline === 0 || now < deadline || now - beat < workerData.graceMs) return;
  writeSync(2, "\\nfaultbox: " + label + " has blocked the JavaScript event loop for " +
    Math.round((now - beat) / 1000) + " s, past its time limit. A synchronous endless loop in a " +
    "TypeScript spec cannot be interrupted, so the run stops here (exit by SIGKILL; the watchdog " +
    "stops its services; no report is written). Use await in loops that wait for something.\\n");
  process.kill(process.pid, "SIGKILL");
}, 250);
`;

export interface StallGuard {
  /** From now on, a main thread blocked past `limitMs` (plus the grace) ends the process. */
  arm(label: string, limitMs: number): void;
  disarm(): void;
  close(): void;
}

export function startStallGuard(graceMs = 5000): StallGuard {
  const shared = new SharedArrayBuffer(16);
  const slots = new BigInt64Array(shared);
  const beat = () => Atomics.store(slots, HEARTBEAT, BigInt(Date.now()));
  beat();
  const heartbeat = setInterval(beat, 250);
  heartbeat.unref();
  const watcher = new Worker(WATCHER, { eval: true, workerData: { shared, graceMs } });
  watcher.unref();
  return {
    arm(label, limitMs) {
      watcher.postMessage(label);
      beat();
      Atomics.store(slots, DEADLINE, BigInt(Date.now() + limitMs + graceMs));
    },
    disarm() {
      Atomics.store(slots, DEADLINE, 0n);
    },
    close() {
      clearInterval(heartbeat);
      void watcher.terminate();
    },
  };
}

let shared: StallGuard | undefined;

/** The process's one guard, started on first use (a watcher thread and a heartbeat timer, both unref'd). */
export function processStallGuard(): StallGuard {
  shared ??= startStallGuard();
  return shared;
}
