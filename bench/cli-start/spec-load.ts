// How long `faultbox check` takes to load a spec and `faultbox test` to run a small one: this checkout
// vs an earlier commit (default d70303f, before the port pool, the worker's code cache and the lazily
// required packages), and this checkout with the code cache off (FAULTBOX_NO_CODE_CACHE=1). Alternating
// rounds in one run; wall time and the CPU the command used (user + system of its process tree, from
// bash's `times`), medians. The earlier commit is checked out in a temporary git worktree with a
// hard-linked copy of node_modules (its own bundle cache), removed at the end.
//   npx tsx bench/cli-start/spec-load.ts [--rounds 9] [--base REV]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, SMALL_SPEC, timeCommand, type Timing } from "./measure.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const rounds = Number(flag("--rounds") ?? 9) || 9;
const base = flag("--base") ?? "d70303f";

const dir = mkdtempSync(join(tmpdir(), "fb-spec-load-bench-"));
const baseTree = join(dir, "base");

// A spec of 12 services, each with two interfaces on free ports (port 0), a fault, a monitor and tests:
// what a fault matrix's spec declares.
const services = Array.from(
  { length: 12 },
  (_, i) => `
svc${i} = service("svc${i}",
    interface("main", "http", 0),
    interface("admin", "tcp", 0),
    binary = "/bin/true",
    env = {"ID": "${i}", "PEER": "svc${(i + 1) % 12}"},
)

slow${i} = fault_assumption("slow${i}", target = svc${i}.main, rules = [delay(path = "/orders/*", delay = "${100 + i}ms")])

def test_up_${i}():
    resp = svc${i}.main.get(path = "/health")
    assert_eq(resp.status, 200)

def test_slow_${i}():
    scenario(faults = [slow${i}], run = lambda: svc${i}.main.get(path = "/orders/1"))
`,
).join("");
const matrixSpec = join(dir, "matrix.star");
writeFileSync(matrixSpec, services);
const smallSpec = join(dir, "small.star");
writeFileSync(smallSpec, SMALL_SPEC);

const jobs: { name: string; args: string[] }[] = [
  { name: "check examples/orders", args: ["check", "examples/orders/faultbox.star"] },
  { name: "check 12 services, 24 ports", args: ["check", matrixSpec] },
  { name: "test (2 tests, no services)", args: ["test", smallSpec, "--no-bundle"] },
];

interface Variant {
  name: string;
  root: string;
  env: Record<string, string>;
}
const variants: Variant[] = [
  { name: `base ${base}`, root: baseTree, env: {} },
  { name: "now", root: ROOT, env: {} },
  { name: "now, no code cache", root: ROOT, env: { FAULTBOX_NO_CODE_CACHE: "1" } },
];

/** One run: its wall time and the CPU it used, both in ms. */
const once = (v: Variant, args: string[]): Timing =>
  timeCommand([process.execPath, join(v.root, "bin", "faultbox.js"), ...args], {
    log: join(dir, "output.log"),
    what: `${v.name}: faultbox ${args.join(" ")}`,
    cwd: v.root,
    env: { ...process.env, FAULTBOX_NO_CODE_CACHE: "", ...v.env },
  });

try {
  execFileSync("git", ["worktree", "add", "--detach", baseTree, base], { cwd: ROOT, stdio: "ignore" });
  execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(baseTree, "node_modules")]);
  rmSync(join(baseTree, "node_modules", ".cache"), { recursive: true, force: true });
  // Warm every variant: each builds its bundle on first use, and writes its code cache.
  for (const job of jobs) for (const v of variants) for (let i = 0; i < 2; i++) once(v, job.args);

  console.log(`${rounds} alternating rounds, medians, wall / CPU ms; node ${process.version}\n`);
  console.log(`${"job".padEnd(30)}${variants.map((v) => v.name.padEnd(22)).join("")}now/base wall, CPU`);
  for (const job of jobs) {
    const runs = variants.map(() => [] as Timing[]);
    for (let i = 0; i < rounds; i++) variants.forEach((v, k) => runs[k]!.push(once(v, job.args)));
    const m = (k: number, f: "wallMs" | "cpuMs") => median(runs[k]!.map((r) => r[f]));
    console.log(
      job.name.padEnd(30) +
        variants
          .map((_, k) => `${m(k, "wallMs").toFixed(0)} / ${m(k, "cpuMs").toFixed(0)}`.padEnd(22))
          .join("") +
        `${(m(1, "wallMs") / m(0, "wallMs")).toFixed(2)}, ${(m(1, "cpuMs") / m(0, "cpuMs")).toFixed(2)}`,
    );
  }
  console.log(
    `\nload average ${(await import("node:os"))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
} finally {
  spawnSync("git", ["worktree", "remove", "--force", baseTree], { cwd: ROOT, stdio: "ignore" });
  rmSync(dir, { recursive: true, force: true });
}
