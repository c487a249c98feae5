// Launches the example order services as child processes for the tests: each in its own process
// group (killed at the end, whatever happens), stdout parsed as the JSON event lines the services
// promise, and a way to wait for a given event.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const LIVENESS_MS = 60_000;

export type ServiceName = "order-service" | "order-consumer";
export type OrdersEvent = Record<string, unknown> & { event: string };

export interface RunningService {
  name: ServiceName;
  port: number;
  events: OrdersEvent[];
  stderr(): string;
  /** Resolves with the first event (past or future) matching; rejects if the process exits first. */
  waitFor(what: string, match: (e: OrdersEvent) => boolean, timeoutMs?: number): Promise<OrdersEvent>;
  /** SIGTERM, then the exit code (SIGKILL if it does not stop). */
  stop(): Promise<number | null>;
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every service still running (test teardown). */
export function killAll(): void {
  for (const child of running) killGroup(child, "SIGKILL");
  running.clear();
}
process.on("exit", killAll);

function spawnService(name: ServiceName, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", join("examples", "orders", `${name}.ts`)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", KAFKAJS_NO_PARTITIONER_WARNING: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** Runs a service expected to exit by itself (a startup failure); kills it after the liveness bound. */
export async function runToExit(name: ServiceName, env: Record<string, string>): Promise<Exited> {
  const child = spawnService(name, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), LIVENESS_MS);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export async function startService(name: ServiceName, env: Record<string, string>): Promise<RunningService> {
  const child = spawnService(name, { PORT: "0", HOST: "127.0.0.1", ...env });
  const events: OrdersEvent[] = [];
  const listeners = new Set<() => void>();
  let stderr = "";
  let exitCode: number | null | undefined;
  child.stderr!.on("data", (d) => (stderr += d));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    // stdout must be JSON lines only; anything else is kept as a "not_json" event tests can check
    let parsed: OrdersEvent;
    try {
      parsed = JSON.parse(line) as OrdersEvent;
    } catch {
      parsed = { event: "not_json", line };
    }
    events.push(parsed);
    for (const l of listeners) l();
  });
  // "close", not "exit": every stdout line has been read by then
  const exited = once(child, "close").then(([code]) => {
    exitCode = code as number | null;
    for (const l of listeners) l();
  });

  const waitFor = (what: string, match: (e: OrdersEvent) => boolean, timeoutMs = LIVENESS_MS) =>
    new Promise<OrdersEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(match);
        if (found) return finish(() => resolve(found));
        if (exitCode !== undefined) {
          finish(() =>
            reject(new Error(`${name} exited (code ${exitCode}) before ${what}; stderr:\n${stderr}`)),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`${name}: no ${what} within ${timeoutMs}ms; stderr:\n${stderr}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const listening = await waitFor("listening event", (e) => e.event === "listening");
  return {
    name,
    port: listening.port as number,
    events,
    stderr: () => stderr,
    waitFor,
    async stop() {
      if (exitCode === undefined) {
        killGroup(child, "SIGTERM");
        const timer = setTimeout(() => killGroup(child, "SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      return exitCode ?? null;
    },
  };
}

export interface HttpReply {
  status: number;
  body: Record<string, unknown>;
}

export async function request(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpReply> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
