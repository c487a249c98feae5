// Helpers for the syscall-fault tests: a compiled C target driven line by line over stdin.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { tool } from "../support/tools.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** Compiles fixtures/<name>.c once per source version into the temp dir; returns the binary. */
export function buildFixture(name: string): string {
  const src = join(fixtures, `${name}.c`);
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "faultbox-syscall-fixtures");
  const bin = join(dir, `${name}-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}`;
  execFileSync(tool("cc"), ["-O1", "-Wall", "-pthread", "-o", tmp, src]);
  renameSync(tmp, bin);
  return bin;
}

/** Sends commands to a line-driven target and reads its answers in order. */
export class LineDriver {
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];
  constructor(
    private readonly stdin: Writable,
    stdout: Readable,
  ) {
    createInterface({ input: stdout }).on("line", (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter(line);
      else this.lines.push(line);
    });
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async ask(command: string): Promise<string> {
    this.stdin.write(command + "\n");
    return this.next();
  }
}

/** Whether a pid is gone (or a zombie nobody reaps, which can run no code either). */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Polls until cond() holds; fails with `what` after a generous limit (never a timing assertion). */
export async function waitFor(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
