// Finding processes that belong to a service directory, to prove nothing was left behind: a process
// belongs if its command line mentions the directory (the Kafka JVMs, the postmaster) or its working
// directory lies inside it (PostgreSQL's backends, which chdir into the data directory and whose
// command lines do not name it).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  cmdline: string;
}

export function processesUsing(dir: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // exited, or not ours to read
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + "/")) found.push({ pid, cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}
