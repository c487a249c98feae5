// bench/syscall: what the seccomp supervisor costs, next to the same target with no filter.
//   npx tsx bench/syscall/bench.ts [--n 200000] [--rounds 5] [--only wakeup]
// Prints ns per syscall for: no filter; a filter that does not name write; a filter naming write
// with no rule (each write is a round trip answered "continue"); a rule on write whose path does not
// match (round trip + resolving the fd's path); a rule that denies (round trip + path + event).
// Then the wake-up table: an intercepted syscall with the ordinary wake-up of the supervisor (before)
// and with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (after, Linux 6.6+), on an idle machine and on a busy
// one (a CPU-bound process per CPU running alongside), side by side in one run.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  allFamilySyscalls,
  deny,
  launchSupervised,
  op,
  rule,
  syscallFaultsSupported,
  type SyscallRule,
} from "../../src/syscall/index.js";

function buildWriter(): string {
  const src = fileURLToPath(new URL("./writer.c", import.meta.url));
  const hash = createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "faultbox-syscall-bench");
  const bin = join(dir, `writer-${hash}`);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    execFileSync("cc", ["-O2", "-o", `${bin}.tmp`, src]);
    renameSync(`${bin}.tmp`, bin);
  }
  return bin;
}

interface Config {
  name: string;
  /** undefined: run without the supervisor. */
  syscalls?: readonly string[];
  rules?: readonly SyscallRule[];
  /** false: the ordinary wake-up (--no-sync-wakeup). */
  syncWakeup?: boolean;
}

async function runOnce(
  writer: string,
  mode: string,
  file: string,
  n: number,
  config: Config,
): Promise<number> {
  const argv = [writer, mode, file, String(n)];
  let output: string;
  if (!config.syscalls) {
    output = execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  } else {
    // Start a shell that waits for a line on stdin before exec'ing the writer, so the rules are
    // live before the measured loop begins.
    const proc = await launchSupervised({
      argv: ["sh", "-c", 'read go && exec "$@"', "sh", ...argv],
      syscalls: config.syscalls,
      stdio: ["pipe", "pipe", "inherit"],
      syncWakeup: config.syncWakeup,
    });
    if (config.rules) await proc.setRules(config.rules);
    let out = "";
    proc.child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    proc.child.stdin!.write("go\n");
    await proc.exited;
    await proc.close();
    output = out;
  }
  const ns = Number(output.trim().split(" ")[0]);
  if (!Number.isFinite(ns)) throw new Error(`${config.name}: unexpected output ${JSON.stringify(output)}`);
  return ns;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One CPU-bound process per CPU, at the same priority as the writer: a busy machine. */
function startHogs(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }),
  );
}

async function stopHogs(hogs: ChildProcess[]): Promise<void> {
  await Promise.all(
    hogs.map(
      (h) =>
        new Promise<void>((resolve) => {
          h.once("exit", () => resolve());
          h.kill("SIGKILL");
        }),
    ),
  );
}

function row(name: string, runs: number[], base?: number[]): string {
  const med = median(runs);
  const min = Math.min(...runs);
  const vs = base ? `${(med / median(base)).toFixed(2)}x`.padStart(12) : "".padStart(12);
  return `${name.padEnd(44)} ${med.toFixed(0).padStart(10)} ${min.toFixed(0).padStart(8)} ${vs}`;
}

async function wakeupTable(writer: string, file: string, n: number, rounds: number): Promise<void> {
  const configs: Config[] = [
    { name: "no filter" },
    { name: "intercepted, ordinary wake-up (before)", syscalls: ["write"], syncWakeup: false },
    { name: "intercepted, SYNC_WAKE_UP (after)", syscalls: ["write"] },
  ];
  const regimes = ["idle", "busy"] as const;
  const runs = new Map<string, number[]>();
  const loadBefore = loadavg()[0]!;
  for (let r = 0; r < rounds; r++) {
    for (const regime of regimes) {
      const hogs = regime === "busy" ? startHogs() : [];
      try {
        for (const c of configs) {
          const key = `${regime}|${c.name}`;
          runs.set(key, [...(runs.get(key) ?? []), await runOnce(writer, "small", file, n, c)]);
        }
      } finally {
        await stopHogs(hogs);
      }
    }
  }
  console.log(
    `\nwake-up of the supervisor: 1-byte pwrite64, filter on write, no rule; ${n} calls per run, ${rounds} runs` +
      `\nkernel ${release()}, ${availableParallelism()} CPUs, load average ${loadBefore.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}` +
      ` (busy: ${availableParallelism()} CPU-bound processes alongside)`,
  );
  for (const regime of regimes) {
    console.log(
      `${regime.padEnd(44)} ${"median ns".padStart(10)} ${"min ns".padStart(8)} ${"vs before".padStart(12)}`,
    );
    const before = runs.get(`${regime}|${configs[1]!.name}`)!;
    for (const c of configs)
      console.log(
        row(`  ${c.name}`, runs.get(`${regime}|${c.name}`)!, c === configs[2] ? before : undefined),
      );
  }
}

async function main(): Promise<void> {
  const support = syscallFaultsSupported();
  if (!support.ok) {
    console.log(`syscall faults unsupported here: ${support.reason}`);
    return;
  }
  const nIdx = process.argv.indexOf("--n");
  const n = nIdx > 0 ? Number(process.argv[nIdx + 1]) : 200_000;
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
  const rounds = process.argv.includes("--rounds")
    ? Number(process.argv[process.argv.indexOf("--rounds") + 1])
    : 5;
  const writer = buildWriter();
  const dir = mkdtempSync(join(tmpdir(), "faultbox-bench-"));
  const file = join(dir, "out.dat");
  if (only === "wakeup") {
    await wakeupTable(writer, file, Math.max(1, Math.floor(n / 10)), rounds);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const otherPath = op({ syscalls: ["write"], path: join(dir, "no-such-file") });
  const configs: Config[] = [
    { name: "no filter" },
    { name: "filter without write (fsync, connect)", syscalls: ["fsync", "connect"] },
    { name: "filter: every family, no rule", syscalls: allFamilySyscalls() },
    { name: "filter: write, no rule (continue)", syscalls: ["write"] },
    { name: "write rule, path does not match", syscalls: ["write"], rules: [rule(otherPath, deny("EIO"))] },
    {
      name: "write rule denies EIO (+event)",
      syscalls: ["write"],
      rules: [rule(op({ syscalls: ["write"], path: file }), deny("EIO"))],
    },
  ];
  // Configurations take turns within each round, so a load spike on this shared machine hits all
  // of them rather than one.
  for (const mode of ["small", "heavy"] as const) {
    const count = mode === "heavy" ? Math.max(1, Math.floor(n / 4)) : n;
    // Nothing is written when every write is denied, so the write-heavy run skips that row.
    const rows = configs.filter((c) => mode === "small" || !c.name.startsWith("write rule denies"));
    const runs = rows.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++)
      for (const [i, config] of rows.entries())
        runs[i]!.push(await runOnce(writer, mode, file, count, config));
    console.log(
      `\n${mode === "small" ? "1-byte pwrite64" : "4 KiB write (write-heavy target)"}, ${count} calls per run, ${rounds} runs`,
    );
    console.log(
      `${"configuration".padEnd(40)} ${"median ns".padStart(10)} ${"min ns".padStart(8)} ${"median/none".padStart(12)} ${"min/none".padStart(9)}`,
    );
    const baseMedian = median(runs[0]!);
    const baseMin = Math.min(...runs[0]!);
    for (const [i, config] of rows.entries()) {
      const med = median(runs[i]!);
      const min = Math.min(...runs[i]!);
      console.log(
        `${config.name.padEnd(40)} ${med.toFixed(0).padStart(10)} ${min.toFixed(0).padStart(8)} ${`${(med / baseMedian).toFixed(2)}x`.padStart(12)} ${`${(min / baseMin).toFixed(2)}x`.padStart(9)}`,
      );
    }
  }
  await wakeupTable(writer, file, Math.max(1, Math.floor(n / 10)), rounds);
  rmSync(dir, { recursive: true, force: true });
}

await main();
