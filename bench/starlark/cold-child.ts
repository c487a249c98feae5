// One fresh process's first spec load, for bench/starlark/cold.ts: imports the interpreter (timed),
// loads the spec once (timed: the cold load), then again (warm-ish), then HOT_LOADS more times (the
// median of the last HOT_TAIL is the hot figure: the interpreter's code optimized by V8's JIT), and
// prints the figures as JSON.
//   node --import tsx bench/starlark/cold-child.ts SPEC.star [MODULE]
// MODULE: an ES module bundle of the interpreter, or a CommonJS one (.cjs) to load with a code cache.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type CodeCacheStatus, runWithCodeCache, WORKER_LOADED_HOOK } from "../../src/spec/code-cache.js";
import { median } from "../cli-start/measure.js";

// CPU time of this process (all its threads) as well as wall time: on a shared machine wall time
// measures the neighbours as much as the code.
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = performance.now();
const c0 = cpu();
const [file, modulePath] = process.argv.slice(2) as [string, string | undefined];
type Starlark = typeof import("../../src/starlark/index.js");
// A CommonJS bundle is compiled the way the faultbox command's Starlark worker is: with the V8 code
// cache kept beside it (src/spec/code-cache.ts), which the first such process writes after its load.
let cache: CodeCacheStatus | undefined;
process.setSourceMapsEnabled(false); // tsx, which runs this file, turns them on; the product's worker runs without
const mod = modulePath?.endsWith(".cjs")
  ? (runWithCodeCache(modulePath, (s) => (cache = s)) as Starlark)
  : ((await import(modulePath ? pathToFileURL(modulePath).href : "../../src/starlark/index.js")) as Starlark);
const t1 = performance.now();
const c1 = cpu();
const { SPEC_STUBS } = await import("./workloads.js");
const stub = (name: string) =>
  mod.makeBuiltin(
    name,
    (_t, _a, kw) => new mod.Struct(new Map<string, import("../../src/starlark/index.js").Value>(kw)),
  );
const predeclared = Object.fromEntries(SPEC_STUBS.map((n) => [n, stub(n)]));
const src = readFileSync(file, "utf8");
const time = () => {
  const s = performance.now();
  const c = cpu();
  new mod.Interpreter({ predeclared }).execFile(file, src);
  return { wall: performance.now() - s, cpu: cpu() - c };
};
const first = time();
(globalThis as { [WORKER_LOADED_HOOK]?: () => void })[WORKER_LOADED_HOOK]?.(); // as the worker does
const second = time();
const HOT_LOADS = 60;
const HOT_TAIL = 20;
const rest = Array.from({ length: HOT_LOADS }, time).slice(-HOT_TAIL);
console.log(
  JSON.stringify({
    importMs: t1 - t0,
    importCpuMs: c1 - c0,
    firstMs: first.wall,
    firstCpuMs: first.cpu,
    secondMs: second.wall,
    secondCpuMs: second.cpu,
    hotMs: median(rest.map((x) => x.wall)),
    hotCpuMs: median(rest.map((x) => x.cpu)),
    cache,
  }),
);
