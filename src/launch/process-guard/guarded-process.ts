// Local service processes that never outlive their owner.
//
// Each service runs in its own process group, led by a tiny /bin/sh watchdog that starts the service
// as its child. With an owner pid, a second shell in the group polls the owner every 0.5 s; when the
// owner is gone (exited, SIGKILLed, crashed) it signals the group, waits a short grace, SIGKILLs
// whatever is left and deletes the service's directory. A normal stop signals the whole group the same
// way from Node. This covers the cases PR_SET_PDEATHSIG cannot: the owner may be a process other than
// the parent (the test runner owns services started by a test file), and the service's own children
// (PostgreSQL backends) go too.
//
// A stop lets the watchdog shell reap the service before it exits (it traps the group's SIGTERM and
// waits again, and waits for its poller too): a child it left behind would be reparented to init as a
// zombie, and the group counts as alive until init reaps it (about 1.2 s on the sandbox this project
// is built on, whose init reaps slowly), which every stop waited out.
import { spawn } from "node:child_process";
import { openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

// $1 owner pid ("" for none)  $2 dir to delete when the owner dies  $3 stop signal  $4 grace (tenths
// of a second)  $5 file that receives the service pid  $6... the service command.
const WATCHDOG = `
owner="$1"; dir="$2"; sig="$3"; grace="$4"; pidfile="$5"; shift 5
alive() { kill -0 "$1" 2>/dev/null || return 1; case "$(sed 's/.*) //' /proc/$1/stat 2>/dev/null)" in Z*) return 1;; esac; return 0; }
"$@" &
svc=$!
echo "$svc" > "$pidfile"
if [ -n "$owner" ]; then
  (
    trap 'exit 0' TERM
    while alive "$owner"; do sleep 0.5; done
    trap '' TERM INT HUP
    kill -s "$sig" "$svc" 2>/dev/null
    i=0; while alive "$svc" && [ "$i" -lt "$grace" ]; do sleep 0.1; i=$((i+1)); done
    kill -s KILL "$svc" 2>/dev/null
    [ -n "$dir" ] && rm -rf "$dir"
    kill -s KILL 0
  ) &
  poller=$!
fi
trap : TERM
wait "$svc"; status=$?
while kill -0 "$svc" 2>/dev/null; do wait "$svc"; status=$?; done
if [ -n "\${poller:-}" ]; then kill "$poller" 2>/dev/null; wait "$poller"; fi
exit $status
`;

export interface GuardedSpawnOptions {
  command: string;
  args: string[];
  /** Stdout and stderr of the service go here. */
  logFile: string;
  /** The service dies when this pid disappears; undefined: it runs until stopped. */
  ownerPid?: number;
  /** Deleted by the watchdog when the owner dies (a normal stop deletes it too). */
  cleanupDir?: string;
  stopSignal?: NodeJS.Signals;
  /** How long a stop waits after the stop signal before SIGKILL. */
  graceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What is needed to stop a guarded process from any process (it is plain JSON). */
export interface GuardedProcess {
  /** Process group id (= pid of the watchdog shell). */
  pgid: number;
  /** Pid of the service itself. */
  pid: number;
  stopSignal: NodeJS.Signals;
  graceMs: number;
  logFile: string;
}

export async function spawnGuarded(opts: GuardedSpawnOptions): Promise<GuardedProcess> {
  const stopSignal = opts.stopSignal ?? "SIGTERM";
  const graceMs = opts.graceMs ?? 5000;
  const pidFile = `${opts.logFile}.pid`;
  const out = openSync(opts.logFile, "a");
  let child;
  try {
    child = spawn(
      "/bin/sh",
      [
        "-c",
        WATCHDOG,
        "faultbox-watchdog",
        opts.ownerPid === undefined ? "" : String(opts.ownerPid),
        opts.cleanupDir ?? "",
        stopSignal.replace(/^SIG/, ""),
        String(Math.ceil(graceMs / 100)),
        pidFile,
        opts.command,
        ...opts.args,
      ],
      { detached: true, stdio: ["ignore", out, out], env: opts.env ?? process.env, cwd: opts.cwd },
    );
  } finally {
    closeSync(out);
  }
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`could not spawn /bin/sh to run ${opts.command}`);
  child.unref();
  // The shell writes the service pid right after forking it.
  for (let i = 0; i < 100; i++) {
    try {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 0) return { pgid, pid, stopSignal, graceMs, logFile: opts.logFile };
    } catch {
      // not written yet
    }
    await sleep(20);
  }
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // already gone
  }
  throw new Error(`the watchdog shell for ${opts.command} did not start the service`);
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Stops the groups (all at once): stop signal, then SIGKILL after the grace, then waits for exit. */
export async function stopGuarded(procs: GuardedProcess[]): Promise<void> {
  // The stop signal goes to the service itself; the group gets SIGTERM, which ends the watchdog shells
  // (background shells ignore SIGINT, so a group-wide SIGINT would leave the owner poller running).
  for (const p of procs) {
    try {
      process.kill(p.pid, p.stopSignal);
    } catch {
      // already gone
    }
    signalGroup(p.pgid, "SIGTERM");
  }
  const start = Date.now();
  const grace = Math.max(0, ...procs.map((p) => p.graceMs));
  let killed = false;
  while (procs.some((p) => groupAlive(p.pgid))) {
    if (!killed && Date.now() - start >= grace) {
      for (const p of procs) signalGroup(p.pgid, "SIGKILL");
      killed = true;
    }
    if (Date.now() - start > grace + 10_000) break; // unkillable (D state): give up waiting
    await sleep(50);
  }
}

/** Synchronous last-resort stop for `process.on("exit")`: SIGKILL the groups and delete the dirs. */
export function killGuardedSync(procs: GuardedProcess[], dirs: string[]): void {
  for (const p of procs) signalGroup(p.pgid, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(file: string, lines = 25): string {
  try {
    const text = readFileSync(file, "utf8").trimEnd().split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
