// Cold spec load: the first parse+resolve+execute of a spec in a fresh process, ours against
// starlark-go's, in one run. Each round starts fresh processes, alternating the contenders:
//   - starlark-go: `benchgo load SPEC 1` (its first and only load in the process);
//   - ours through tsx (how the faultbox CLI runs today): import of the interpreter, first load, second load;
//   - ours from a plain-JavaScript bundle of the interpreter (esbuild, no tsx), the same figures;
//   - ours from a CommonJS bundle compiled with a V8 code cache, as the faultbox command's Starlark
//     worker runs (src/spec/code-cache.ts); the first such process writes the cache, the rest use it.
// Each of our processes then loads the spec 60 more times: the "hot" figure (median of the last 20) is
// the same interpreter once V8 has optimized it, beside starlark-go's mean over 200 loads in one
// process, to show how much of the first load is the JIT's warm-up rather than the interpreter's work.
// Prints the median of each figure; CPU time (all threads of the process) beside wall time, since on a
// shared machine wall time measures the neighbours too.
//   node --import tsx bench/starlark/cold.ts [--rounds 7]
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "../cli-start/measure.js";
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

// The interpreter as one plain-JavaScript file: an ES module, and a CommonJS file that the child loads
// with a V8 code cache, as the faultbox command's Starlark worker loads its bundle.
const esbuild = (format: string, outfile: string) =>
  execFileSync(
    join(root, "node_modules", ".bin", "esbuild"),
    [
      join(root, "src/starlark/index.ts"),
      "--bundle",
      `--format=${format}`,
      "--platform=node",
      `--outfile=${outfile}`,
    ],
    { stdio: "ignore" },
  );
const bundle = join(work, "starlark-bundle.mjs");
esbuild("esm", bundle);
const cjsBundle = join(work, "starlark-bundle.cjs");
esbuild("cjs", cjsBundle);
// No cache from an earlier run: the first of these processes writes it, the others use it.
for (const f of readdirSync(work)) if (f.endsWith(".codecache")) rmSync(join(work, f));

interface Figures {
  importMs: number;
  importCpuMs: number;
  firstMs: number;
  firstCpuMs: number;
  secondMs: number;
  secondCpuMs: number;
  hotMs: number;
  hotCpuMs: number;
  cache?: string;
}
const ours = (module?: string): Figures =>
  JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", child, spec, ...(module ? [module] : [])], {
      encoding: "utf8",
    }),
  ) as Figures;

const goBin = buildGoDriver(work);
const go: number[] = [];
const goHot: number[] = [];
const viaTsx: Figures[] = [];
const viaBundle: Figures[] = [];
const viaCache: Figures[] = [];
const cacheStatus: string[] = [];
const cached = () => {
  const f = ours(cjsBundle);
  cacheStatus.push(f.cache ?? "none");
  if (f.cache === "used") viaCache.push(f);
};
cached(); // the process that writes the cache
for (let r = 0; r < ROUNDS; r++) {
  cached();
  if (goBin) {
    const out = execFileSync(goBin, ["load", spec, "1", SPEC_STUBS.join(",")], { encoding: "utf8" });
    go.push((JSON.parse(out) as { nsPerOp: number }).nsPerOp / 1e6);
    const hot = execFileSync(goBin, ["load", spec, "200", SPEC_STUBS.join(",")], { encoding: "utf8" });
    goHot.push((JSON.parse(hot) as { nsPerOp: number }).nsPerOp / 1e6);
  }
  viaTsx.push(ours());
  viaBundle.push(ours(bundle));
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const row = (name: string, f: Figures[]) =>
  console.log(
    `${name.padEnd(30)} import ${ms(median(f.map((x) => x.importMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.importCpuMs)))})` +
      `  first load ${ms(median(f.map((x) => x.firstMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.firstCpuMs)))})` +
      `  second ${ms(median(f.map((x) => x.secondMs))).padStart(9)} (cpu ${ms(median(f.map((x) => x.secondCpuMs)))})` +
      `  hot ${ms(median(f.map((x) => x.hotMs))).padStart(8)} (cpu ${ms(median(f.map((x) => x.hotCpuMs)))})`,
  );
const load = (await import("node:os")).loadavg().map((x) => x.toFixed(1));
console.log(
  `cold load of a generated ${src.split("\n").length}-line spec, median of ${ROUNDS} fresh processes each (load average ${load.join(" ")})`,
);
if (go.length)
  console.log(
    `${"starlark-go".padEnd(30)} first load ${ms(median(go))}; mean of 200 loads in one process ${ms(median(goHot))}`,
  );
row("ours through tsx", viaTsx);
row("ours from a JS bundle", viaBundle);
if (viaCache.length) row("ours, bundle + V8 code cache", viaCache);
console.log(`code cache per process: ${cacheStatus.join(" ")}`);
const ratio = (f: Figures[]) => (median(f.map((x) => x.firstMs)) / median(go)).toFixed(1);
if (go.length)
  console.log(
    `first load ratio ours/starlark-go: through tsx ${ratio(viaTsx)}, bundle ${ratio(viaBundle)}` +
      (viaCache.length ? `, bundle + code cache ${ratio(viaCache)}` : ""),
  );
if (go.length && viaCache.length)
  console.log(
    `hot load ratio ours/starlark-go (after 60 loads in the process / mean of 200): ` +
      `${(median(viaCache.map((x) => x.hotMs)) / median(goHot)).toFixed(2)}`,
  );
