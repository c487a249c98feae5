// Cold spec load: the first parse+resolve+execute of a spec in a fresh process, ours against
// starlark-go's, in one run. Each round starts fresh processes, alternating the contenders:
//   - starlark-go: `benchgo load SPEC 1` (its first and only load in the process);
//   - ours through tsx (how the faultbox CLI runs today): import of the interpreter, first load, second load;
//   - ours from a plain-JavaScript bundle of the interpreter (esbuild, no tsx), the same figures.
// Prints the median of each figure; CPU time (all threads of the process) beside wall time, since on a
// shared machine wall time measures the neighbours too.
//   node --import tsx bench/starlark/cold.ts [--rounds 7]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGoDriver } from "./go-driver.js";
import { generateSpec, SPEC_STUBS } from "./workloads.js";

const i = process.argv.indexOf("--rounds");
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 7;
const work = join(tmpdir(), "faultbox-starlark-bench");
mkdirSync(work, { recursive: true });
const spec = join(work, "cold-spec.star");
const src = generateSpec(12);
writeFileSync(spec, src);
const child = fileURLToPath(new URL("./cold-child.ts", import.meta.url));
const root = fileURLToPath(new URL("../..", import.meta.url));

// The interpreter as one plain-JavaScript file (what a prebuilt CLI bundle would load).
const bundle = join(work, "starlark-bundle.mjs");
execFileSync(
  join(root, "node_modules", ".bin", "esbuild"),
  [join(root, "src/starlark/index.ts"), "--bundle", "--format=esm", "--platform=node", `--outfile=${bundle}`],
  { stdio: "ignore" },
);

interface Figures {
  importMs: number;
  importCpuMs: number;
  firstMs: number;
  firstCpuMs: number;
  secondMs: number;
  secondCpuMs: number;
}
const ours = (module?: string): Figures =>
  JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", child, spec, ...(module ? [module] : [])], {
      encoding: "utf8",
    }),
  ) as Figures;

const goBin = buildGoDriver(work);
const go: number[] = [];
const viaTsx: Figures[] = [];
const viaBundle: Figures[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (goBin) {
    const out = execFileSync(goBin, ["load", spec, "1", SPEC_STUBS.join(",")], { encoding: "utf8" });
    go.push((JSON.parse(out) as { nsPerOp: number }).nsPerOp / 1e6);
  }
  viaTsx.push(ours());
  viaBundle.push(ours(bundle));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const row = (name: string, f: Figures[]) =>
  console.log(
    `${name.padEnd(30)} import ${ms(median(f.map((x) => x.importMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.importCpuMs)))})` +
      `  first load ${ms(median(f.map((x) => x.firstMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.firstCpuMs)))})` +
      `  second ${ms(median(f.map((x) => x.secondMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.secondCpuMs)))})`,
  );
const load = (await import("node:os")).loadavg().map((x) => x.toFixed(1));
console.log(
  `cold load of a generated ${src.split("\n").length}-line spec, median of ${ROUNDS} fresh processes each (load average ${load.join(" ")})`,
);
if (go.length) console.log(`${"starlark-go".padEnd(30)} first load ${ms(median(go))}`);
row("ours through tsx", viaTsx);
row("ours from a JS bundle", viaBundle);
if (go.length)
  console.log(
    `first load ratio ours/starlark-go: through tsx ${(median(viaTsx.map((x) => x.firstMs)) / median(go)).toFixed(1)}, bundle ${(median(viaBundle.map((x) => x.firstMs)) / median(go)).toFixed(1)}`,
  );
