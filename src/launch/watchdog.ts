// Services never outlive the run. Every process group we start is registered with a small watchdog
// process; when the runner dies for any reason (Ctrl-C, crash, SIGKILL), the watchdog's stdin pipe
// closes and it kills the registered groups: SIGTERM, then SIGKILL after a grace period.
import { spawn, type ChildProcess } from "node:child_process";

const WATCHDOG_SOURCE = `
const groups = new Set();
let buf = "";
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const pgid = Number(line.slice(1));
    if (line[0] === "+") groups.add(pgid); else groups.delete(pgid);
  }
});
process.stdin.on("end", () => {
  const alive = (g) => { try { process.kill(-g, 0); return true; } catch { return false; } };
  for (const g of groups) { try { process.kill(-g, "SIGTERM"); } catch {} }
  const deadline = Date.now() + 2000;
  const tick = () => {
    const left = [...groups].filter(alive);
    if (left.length === 0) process.exit(0);
    if (Date.now() > deadline) { for (const g of left) { try { process.kill(-g, "SIGKILL"); } catch {} } process.exit(0); }
    setTimeout(tick, 50);
  };
  tick();
});
`;

let child: ChildProcess | undefined;

function watchdog(): ChildProcess {
  if (child && child.exitCode === null) return child;
  child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  child.unref();
  // The pipe must not keep the runner alive, yet must stay open until the runner exits.
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  child.stdin?.on("error", () => undefined);
  return child;
}

export function guardProcessGroup(pgid: number): void {
  watchdog().stdin?.write(`+${pgid}\n`);
}

export function releaseProcessGroup(pgid: number): void {
  if (child && child.exitCode === null) child.stdin?.write(`-${pgid}\n`);
}

/** Pid of the watchdog (tests check it cleans up after a killed runner). */
export function watchdogPid(): number | undefined {
  return child?.pid;
}
