// A cross-process lock on a path, for work several processes may start at once (resolving Kafka with
// Maven into a shared cache, starting a service shared by test files). The lock file holds the owner's
// pid; a lock whose owner is gone is stale and taken over.
import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { LaunchError } from "./launch-error.js";

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock if it is free (or its holder is gone: then it is removed and a second try takes it). */
export function tryAcquire(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    let holder = NaN;
    try {
      holder = Number(readFileSync(lockPath, "utf8"));
    } catch {
      return false; // released between open and read: try again
    }
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
      try {
        unlinkSync(lockPath);
      } catch {
        // another waiter removed it first
      }
    }
    return false;
  }
}

/** Runs `fn` while holding the lock `lockPath`; waits up to `timeoutMs` for another holder. */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  timeoutMs = 600_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(lockPath)) {
    if (Date.now() > deadline) {
      throw new LaunchError(
        `timed out after ${Math.round(timeoutMs / 1000)}s waiting for the lock ${lockPath}`,
        "another process holds it; if none should, delete the file",
      );
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // already gone
    }
  }
}
