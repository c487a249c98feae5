// How long the faultbox command takes to start and finish a small job, run from its bundle (how it
// runs now, bin/bundle.js) vs from the TypeScript sources through tsx (FAULTBOX_NO_BUNDLE=1, how every
// command but `faultbox proxy` ran before). Alternating rounds in one run; wall time and the CPU the
// command used (user + system, from bash's `times`), medians.
//   npx tsx bench/cli-start/bench.ts [--rounds 7]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median, SMALL_SPEC, timeCommand, type Timing } from "./measure.js";

const BIN = fileURLToPath(new URL("../../bin/faultbox.js", import.meta.url));
const argv = process.argv.slice(2);
const rounds = Number(argv[argv.indexOf("--rounds") + 1] ?? 7) || 7;

const dir = mkdtempSync(join(tmpdir(), "fb-cli-bench-"));
const spec = join(dir, "faultbox.star");
writeFileSync(spec, SMALL_SPEC);

const jobs: { name: string; args: string[] }[] = [
  { name: "faultbox --version", args: ["--version"] },
  { name: "faultbox check (2 tests)", args: ["check", spec] },
  { name: "faultbox test (2 tests)", args: ["test", spec, "--no-bundle"] },
];

/** One run: its wall time and the CPU it used, both in ms. */
const once = (args: string[], bundle: boolean): Timing =>
  timeCommand([process.execPath, BIN, ...args], {
    log: join(dir, "output.log"),
    what: `faultbox ${args.join(" ")}`,
    env: { ...process.env, ...(bundle ? {} : { FAULTBOX_NO_BUNDLE: "1" }) },
  });

// Warm both: the bundle is built on first use, tsx caches its transforms.
for (const job of jobs) for (const bundle of [true, false]) once(job.args, bundle);

console.log(`${rounds} alternating rounds, medians (ms); node ${process.version}\n`);
console.log("job                         bundle wall/CPU    tsx wall/CPU       bundle/tsx wall, CPU");
for (const job of jobs) {
  const runs = {
    bundle: [] as Timing[],
    tsx: [] as Timing[],
  };
  for (let i = 0; i < rounds; i++) {
    runs.bundle.push(once(job.args, true));
    runs.tsx.push(once(job.args, false));
  }
  const m = (k: "bundle" | "tsx", f: "wallMs" | "cpuMs") => median(runs[k].map((r) => r[f]));
  const cell = (k: "bundle" | "tsx") =>
    `${m(k, "wallMs").toFixed(0)} / ${m(k, "cpuMs").toFixed(0)}`.padEnd(19);
  console.log(
    `${job.name.padEnd(28)}${cell("bundle")}${cell("tsx")}` +
      `${(m("bundle", "wallMs") / m("tsx", "wallMs")).toFixed(2)}, ${(m("bundle", "cpuMs") / m("tsx", "cpuMs")).toFixed(2)}`,
  );
}
