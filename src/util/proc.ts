// What Linux's /proc says of a process: its state letter and process group, from /proc/<pid>/stat.
import { readFileSync } from "node:fs";

/** State letter (R, S, D, T, t, Z, X, ...) and process group of a pid; undefined when it is gone. */
export function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may itself hold spaces and parentheses: fields follow the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Whether a pid is a living process: it exists and is neither a zombie (Z) nor dead (X). */
export function processLiving(pid: number): boolean {
  const state = procStat(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "X";
}
