// Finding processes that belong to a service directory, to prove nothing was left behind: a process
// belongs if its command line mentions the directory (the Kafka JVMs, the postmaster) or its working
// directory lies inside it (PostgreSQL's backends, which chdir into the data directory and whose
// command lines do not name it). Also the processes of an `npm test` run, by the variable every process
// a test starts inherits (scripts/test.mjs stops the ones still running at its end).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

/** Every other process for which `belongs(pid, cmdline)` holds (one gone while looked at is skipped). */
function processesWhere(belongs: (pid: number, cmdline: string) => boolean): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      if (belongs(pid, cmdline)) found.push({ pid, cmdline });
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

export function processesUsing(dir: string): ProcessInfo[] {
  return processesWhere((pid, cmdline) => {
    let cwd = "";
    try {
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // exited, or not ours to read
    }
    return cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + "/");
  });
}

/** The processes whose environment has `name=value` (children inherit it, orphaned ones too). */
export function processesWithEnv(name: string, value: string): ProcessInfo[] {
  const entry = `${name}=${value}\0`;
  return processesWhere((pid) => `${readFileSync(`/proc/${pid}/environ`, "latin1")}\0`.includes(entry));
}
