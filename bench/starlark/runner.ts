// Runs every global bench_*(b) function of a Starlark file the way starlark-go's BenchmarkStarlark does
// (b.n iterations; b.start/stop/restart control the timer), calibrating b.n until one run takes at least
// `minMs`, and returns nanoseconds per iteration for each benchmark.
import {
  builtinModule,
  call,
  EvalError,
  HostObject,
  Interpreter,
  makeBuiltin,
  STRICT_OPTIONS,
  type Value,
} from "../../src/starlark/index.js";

class BenchState extends HostObject {
  n = 1;
  private startedAt = 0n;
  elapsed = 0n;
  private running = false;
  typeName(): string {
    return "benchmark";
  }
  reset(n: number): void {
    this.n = n;
    this.elapsed = 0n;
    this.running = true;
    this.startedAt = process.hrtime.bigint();
  }
  finish(): void {
    if (this.running) this.elapsed += process.hrtime.bigint() - this.startedAt;
    this.running = false;
  }
  override attr(name: string): Value | undefined {
    switch (name) {
      case "n":
        return this.n;
      case "restart":
        return makeBuiltin("restart", () => {
          this.elapsed = 0n;
          this.startedAt = process.hrtime.bigint();
          return null;
        });
      case "start":
        return makeBuiltin("start", () => {
          if (!this.running) {
            this.running = true;
            this.startedAt = process.hrtime.bigint();
          }
          return null;
        });
      case "stop":
        return makeBuiltin("stop", () => {
          this.finish();
          return null;
        });
    }
    return undefined;
  }
  override attrNames(): string[] {
    return ["n", "restart", "start", "stop"];
  }
  override hashKey(): never {
    throw new EvalError("unhashable: benchmark");
  }
}

export interface BenchResult {
  name: string;
  n: number;
  nsPerOp: number;
}

export function runBenchFile(filename: string, source: string, minMs = 300, only?: RegExp): BenchResult[] {
  const interp = new Interpreter({
    predeclared: { json: builtinModule("json") },
    options: { ...STRICT_OPTIONS, set: source.includes("option:set") },
  });
  const thread = interp.newThread();
  const mod = interp.execFile(filename, source, thread);
  const results: BenchResult[] = [];
  for (const [name, fn] of mod.globals) {
    if (!name.startsWith("bench_") || (only && !only.test(name))) continue;
    const b = new BenchState();
    // Warm up first (untimed): the first calls run in V8's interpreter before the JIT has optimized the
    // compiled closures; a monitor over a large event log runs long enough to be fully optimized.
    const warmUntil = performance.now() + minMs / 2;
    do {
      b.reset(1);
      call(thread, fn, [b]);
      b.finish();
    } while (performance.now() < warmUntil);
    let n = 1;
    while (true) {
      b.reset(n);
      call(thread, fn, [b]);
      b.finish();
      const ms = Number(b.elapsed) / 1e6;
      if ((ms >= minMs && n >= 3) || n >= 1e9) {
        results.push({ name, n, nsPerOp: Number(b.elapsed) / n });
        break;
      }
      // aim a little past minMs, growing at most 100x per step (like Go's testing package)
      const next = ms <= 0 ? n * 100 : Math.ceil((n * minMs * 1.2) / ms);
      n = Math.max(n + 1, Math.min(next, n * 100));
    }
  }
  return results;
}
