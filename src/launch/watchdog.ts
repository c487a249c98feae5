// Services never outlive the run. Every process group we start is registered with a small watchdog
// process; when the runner dies for any reason (Ctrl-C, crash, SIGKILL), the watchdog's stdin pipe
// closes and it kills the registered groups (SIGTERM, then SIGKILL after a grace period) and removes
// the registered containers through the Docker Engine API.
import { spawn, type ChildProcess } from "node:child_process";

const WATCHDOG_SOURCE = `
const groups = new Set();
const containers = new Map();
let buf = "";
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const [op, a, b] = line.split(" ");
    if (op === "+g") groups.add(Number(a));
    else if (op === "-g") groups.delete(Number(a));
    else if (op === "+c") containers.set(b, a);
    else if (op === "-c") containers.delete(a);
  }
});
process.stdin.on("end", () => {
  const http = require("node:http");
  let pending = containers.size;
  for (const [id, socketPath] of containers) {
    const req = http.request({ socketPath, method: "DELETE", path: "/v1.41/containers/" + id + "?force=1", headers: { Host: "docker" } }, (res) => { res.resume(); res.on("end", () => pending--); });
    req.on("error", () => pending--);
    req.setTimeout(5000, () => req.destroy());
    req.end();
  }
  const alive = (g) => { try { process.kill(-g, 0); return true; } catch { return false; } };
  for (const g of groups) { try { process.kill(-g, "SIGTERM"); } catch {} }
  const deadline = Date.now() + 2000;
  const tick = () => {
    const left = [...groups].filter(alive);
    if (Date.now() > deadline) { for (const g of left) { try { process.kill(-g, "SIGKILL"); } catch {} } }
    if ((left.length === 0 || Date.now() > deadline) && (pending <= 0 || Date.now() > deadline + 5000)) process.exit(0);
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
  watchdog().stdin?.write(`+g ${pgid}\n`);
}

export function releaseProcessGroup(pgid: number): void {
  if (child && child.exitCode === null) child.stdin?.write(`-g ${pgid}\n`);
}

/** Containers too: if the runner dies, the watchdog removes them through the engine's socket. */
export function guardContainer(socketPath: string, id: string): void {
  watchdog().stdin?.write(`+c ${socketPath} ${id}\n`);
}

export function releaseContainer(id: string): void {
  if (child && child.exitCode === null) child.stdin?.write(`-c ${id}\n`);
}

/** Pid of the watchdog (tests check it cleans up after a killed runner). */
export function watchdogPid(): number | undefined {
  return child?.pid;
}
