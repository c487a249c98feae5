// One fresh process's first spec load, for bench/starlark/cold.ts: imports the interpreter (timed),
// loads the spec once (timed: the cold load), then again (warm-ish), and prints the figures as JSON.
//   node --import tsx bench/starlark/cold-child.ts SPEC.star [MODULE]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// CPU time of this process (all its threads) as well as wall time: on a shared machine wall time
// measures the neighbours as much as the code.
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const t0 = performance.now();
const c0 = cpu();
const [file, modulePath] = process.argv.slice(2) as [string, string | undefined];
const mod = (await import(
  modulePath ? pathToFileURL(modulePath).href : "../../src/starlark/index.js"
)) as typeof import("../../src/starlark/index.js");
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
const second = time();
console.log(
  JSON.stringify({
    importMs: t1 - t0,
    importCpuMs: c1 - c0,
    firstMs: first.wall,
    firstCpuMs: first.cpu,
    secondMs: second.wall,
    secondCpuMs: second.cpu,
  }),
);
