// SIGSTOP takes effect asynchronously: kill() returns before the target has stopped. A pause action
// must mean "stopped now", so it waits until every process it signalled shows state T (stopped) or t
// (traced) in /proc, or is gone.
import { readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { procStat as stat } from "../../util/proc.js";

/** Pids whose process group is pgid. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    if (stat(Number(name))?.pgrp === pgid) out.push(Number(name));
  }
  return out;
}

/** Waits until each pid is stopped (or gone); throws after timeoutMs naming the ones still running. */
export async function untilStopped(pids: () => number[], what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = pids().filter((p) => {
      const s = stat(p)?.state;
      return s !== undefined && s !== "T" && s !== "t" && s !== "Z" && s !== "X";
    });
    if (running.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: process${running.length > 1 ? "es" : ""} ${running.join(", ")} did not stop within ${timeoutMs / 1000}s of SIGSTOP`,
      );
    await sleep(5);
  }
}
