// A client process the test watches while it runs: its output so far, waiting for a line, writing to
// its stdin, and stopping it. The response-fault tests need this to look at the broker while a client
// is still waiting for an answer.
import { spawn } from "node:child_process";

export interface LiveProcess {
  /** stdout and stderr so far, interleaved as they came. */
  output(): string;
  /** Resolves with the output once `pattern` matches it; rejects if the process ends or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  write(text: string): void;
  /** Closes its stdin (end of input). */
  closeInput(): void;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
  stop(): Promise<void>;
}

export function startProcess(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): LiveProcess {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  let out = "";
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  child.stdout.on("data", (d) => ((out += d), wake()));
  child.stderr.on("data", (d) => ((out += d), wake()));
  child.stdin.on("error", () => undefined);
  let ended = false;
  // Every run ends: a client that hangs is killed at the deadline.
  const deadline = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (e) => {
      out += `\n[spawn failed: ${e.message}]`;
      ended = true;
      clearTimeout(deadline);
      wake();
      resolve(-1);
    });
    child.on("close", (code) => {
      ended = true;
      clearTimeout(deadline);
      wake();
      resolve(code);
    });
  });
  return {
    output: () => out,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in the output of ${argv[0]}:\n${out}`));
        }, timeoutMs);
        const check = () => {
          if (pattern.test(out)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(out);
          } else if (ended) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`${argv[0]} ended before ${pattern} appeared:\n${out}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    write: (text) => void child.stdin.write(text),
    closeInput: () => void child.stdin.end(),
    exited,
    async stop() {
      if (!ended) {
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(force);
      }
    },
  };
}

/** Polls `probe` until it returns a value other than undefined; throws with `what` at the deadline. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}
