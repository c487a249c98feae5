// Benchmark: our Starlark interpreter against starlark-go, same machine, same run.
//
//   node --import tsx bench/starlark/bench.ts [--min-ms 300] [--only REGEXP]
//
// Workloads: starlark-go's own starlark/testdata/benchmark.star (read from a local google/starlark-go
// git mirror: $STARLARK_GO_REPO or /work/.mirror/google+starlark-go/repo; skipped if absent), a generated
// Faultbox-shaped spec (parse+resolve+execute), and monitor-style predicates over a 10,000-event log.
// starlark-go (go.starlark.net@latest from the Go module proxy) is built in a temporary directory outside
// the repository; without Go the TS figures are printed alone. Prints ns/op and the ratio ours/theirs
// (below 1.0 means we are faster).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Interpreter, makeBuiltin, Struct, type Value } from "../../src/starlark/index.js";
import { buildGoDriver } from "./go-driver.js";
import { type BenchResult, runBenchFile } from "./runner.js";
import { generateSpec, MONITOR_BENCH, SPEC_STUBS } from "./workloads.js";

const args = process.argv.slice(2);
const argVal = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const minMs = Number(argVal("--min-ms") ?? 300);
const only = argVal("--only") ? new RegExp(argVal("--only")!) : undefined;
const work = join(tmpdir(), "faultbox-starlark-bench");
mkdirSync(work, { recursive: true });

function readBenchmarkStar(): string | undefined {
  const repo = process.env.STARLARK_GO_REPO ?? "/work/.mirror/google+starlark-go/repo";
  if (!existsSync(repo)) return undefined;
  try {
    return execFileSync("git", ["--git-dir", repo, "show", "HEAD:starlark/testdata/benchmark.star"], {
      encoding: "utf8",
    });
  } catch {
    return undefined;
  }
}

function goBench(bin: string | undefined, file: string): Map<string, BenchResult> {
  const out = new Map<string, BenchResult>();
  if (!bin) return out;
  const text = execFileSync(bin, ["bench", file, String(minMs)], { encoding: "utf8", maxBuffer: 1 << 24 });
  for (const line of text.trim().split("\n")) {
    const r = JSON.parse(line) as BenchResult;
    out.set(r.name, r);
  }
  return out;
}

/** Parse+resolve+execute a spec ITER times with stub builtins (the startup cost of a spec run). */
function tsLoad(file: string, src: string, iter: number): BenchResult {
  const stub = (name: string) => makeBuiltin(name, (_t, _a, kw) => new Struct(new Map<string, Value>(kw)));
  const predeclared = Object.fromEntries(SPEC_STUBS.map((n) => [n, stub(n)]));
  // warm up the JIT like a long-running process would be after its first spec
  for (let i = 0; i < Math.min(iter, 20); i++) new Interpreter({ predeclared }).execFile(file, src);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iter; i++) new Interpreter({ predeclared }).execFile(file, src);
  return { name: "faultbox_spec_load", n: iter, nsPerOp: Number(process.hrtime.bigint() - t0) / iter };
}

const rows: { name: string; ts: number; go?: number }[] = [];
const goBin = buildGoDriver(work);

const benchmarkStar = readBenchmarkStar();
if (benchmarkStar === undefined)
  console.log("benchmark.star: starlark-go mirror not found; skipping its benchmarks");
else {
  const file = join(work, "benchmark.star");
  writeFileSync(file, benchmarkStar);
  const go = goBench(goBin, file);
  for (const r of runBenchFile(file, benchmarkStar, minMs, only))
    rows.push({ name: r.name, ts: r.nsPerOp, go: go.get(r.name)?.nsPerOp });
}

{
  const file = join(work, "monitor.star");
  writeFileSync(file, MONITOR_BENCH);
  const go = goBench(goBin, file);
  for (const r of runBenchFile(file, MONITOR_BENCH, minMs, only))
    rows.push({ name: r.name, ts: r.nsPerOp, go: go.get(r.name)?.nsPerOp });
}

{
  const src = generateSpec(12);
  const file = join(work, "spec.star");
  writeFileSync(file, src);
  const iter = 200;
  const ts = tsLoad(file, src, iter);
  let go: number | undefined;
  if (goBin) {
    const text = execFileSync(goBin, ["load", file, String(iter), SPEC_STUBS.join(",")], {
      encoding: "utf8",
    });
    go = (JSON.parse(text) as BenchResult).nsPerOp;
  }
  rows.push({ name: `faultbox_spec_load (${src.split("\n").length} lines)`, ts: ts.nsPerOp, go });
}

const fmt = (ns: number) =>
  ns >= 1e6
    ? `${(ns / 1e6).toFixed(2)} ms`
    : ns >= 1e3
      ? `${(ns / 1e3).toFixed(2)} us`
      : `${ns.toFixed(0)} ns`;
console.log(
  `\n${"benchmark".padEnd(46)} ${"ours/op".padStart(12)} ${"starlark-go/op".padStart(15)} ${"ratio".padStart(7)}`,
);
let logSum = 0;
let count = 0;
for (const r of rows) {
  const ratio = r.go ? r.ts / r.go : undefined;
  if (ratio) {
    logSum += Math.log(ratio);
    count++;
  }
  console.log(
    `${r.name.padEnd(46)} ${fmt(r.ts).padStart(12)} ${(r.go ? fmt(r.go) : "-").padStart(15)} ${(ratio ? ratio.toFixed(2) : "-").padStart(7)}`,
  );
}
if (count > 0)
  console.log(
    `\ngeometric mean ratio (ours/starlark-go) over ${count} benchmarks: ${Math.exp(logSum / count).toFixed(2)}`,
  );
