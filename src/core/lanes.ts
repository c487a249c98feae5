// Lanes: `--parallel N` and `--pool` run a suite on several loaded copies of one spec, each with its own
// services, ports, proxies, Starlark worker and event logs. Every lane walks the tests in the same order
// and takes the next one no lane has taken. A lane holds a body slot while a test's body runs; lanes
// beyond the slots (the pool) start the next tests' fresh services meanwhile, so a test waits for its
// services only when the pool is empty. Services are never shared between tests or lanes: a test gets
// the fresh services it would get in a serial run (reuse=True services are kept per lane).
// Results come back in the serial order, whatever order the tests finished in.
import { runSuite, selectTests, type RunOptions, type Runtime } from "./engine.js";
import type { Suite } from "./model.js";
import type { LaneSummary, SuiteResult, TestResult } from "./results.js";
import { pickShard } from "./shard.js";

export interface Lane {
  suite: Suite;
  runtime: Runtime;
}

export interface LaneOptions extends RunOptions {
  /** Test bodies at once (--parallel N; 1 with --pool alone). */
  parallel: number;
  /** Whether the lanes beyond `parallel` start services ahead (--pool). */
  pool: boolean;
}

/** A counting semaphore whose waiters give up (and get a no-op release) when their test stops. */
function slots(count: number): (signal: AbortSignal) => Promise<() => void> {
  let free = count;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return (signal) => {
    if (free > 0) {
      free--;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve) => {
      const take = () => {
        signal.removeEventListener("abort", giveUp);
        resolve(once(release));
      };
      const giveUp = () => {
        const i = waiting.indexOf(take);
        if (i >= 0) waiting.splice(i, 1);
        resolve(() => undefined);
      };
      waiting.push(take);
      signal.addEventListener("abort", giveUp, { once: true });
    });
  };
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}

/**
 * Reports tests in the serial order: a test's start is passed on once every test before it has ended,
 * its end right after. What the console shows (and in which order) is then the same as a serial run's.
 */
function inOrder(names: string[], options: RunOptions) {
  const started = new Set<string>();
  const ended = new Map<string, TestResult>();
  let next = 0;
  let announced = -1;
  const pump = () => {
    while (next < names.length) {
      const name = names[next]!;
      if (announced < next && started.has(name)) {
        options.onTestStart?.(name, next, names.length);
        announced = next;
      }
      const r = ended.get(name);
      if (!r || announced < next) return;
      options.onTestEnd?.(r);
      next++;
    }
  };
  return {
    start(name: string) {
      started.add(name);
      pump();
    },
    end(r: TestResult) {
      started.add(r.name);
      ended.set(r.name, r);
      pump();
    },
    /** At the end: whatever was held back (a test that never ran ends the ordered part). */
    flush() {
      for (; next < names.length; next++) {
        const r = ended.get(names[next]!);
        if (!r) continue;
        if (announced < next) options.onTestStart?.(r.name, next, names.length);
        announced = next;
        options.onTestEnd?.(r);
      }
    },
  };
}

type Guard = NonNullable<RunOptions["stallGuard"]>;

/**
 * The process has one stall guard (one main thread), and lanes run tests at the same time: a lane's
 * disarm must not drop another lane's running test. Each lane gets a view; the process guard stays
 * armed while any lane's test is, until the latest of their limits.
 */
function laneGuards(guard: Guard): () => Guard {
  const armed = new Map<number, { label: string; until: number }>();
  const apply = () => {
    let latest: { label: string; until: number } | undefined;
    for (const a of armed.values()) if (!latest || a.until > latest.until) latest = a;
    if (latest) guard.arm(latest.label, Math.max(0, latest.until - Date.now()));
    else guard.disarm();
  };
  let lanes = 0;
  return () => {
    const lane = lanes++;
    return {
      arm(label, limitMs) {
        armed.set(lane, { label, until: Date.now() + limitMs });
        apply();
      },
      disarm() {
        armed.delete(lane);
        apply();
      },
    };
  };
}

/** Runs the suite on `lanes` (loaded copies of one spec) and returns one result, as a serial run would. */
export async function runInLanes(lanes: Lane[], options: LaneOptions): Promise<SuiteResult> {
  const first = lanes[0];
  if (!first) throw new Error("runInLanes needs at least one lane");
  const started = performance.now();
  const order = pickShard(selectTests(first.suite, options.filter), options.shard).map((t) => t.name);
  const claimed = new Set<string>();
  const claim = (name: string) => !claimed.has(name) && claimed.add(name) !== undefined;
  const report = inOrder(order, options);
  const warned = new Set<string>();
  const bodySlot = slots(options.parallel); // one set of slots for all lanes
  const guardOf = options.stallGuard ? laneGuards(options.stallGuard) : undefined;
  const results = await Promise.all(
    lanes.map((lane) =>
      runSuite(lane.suite, lane.runtime, {
        ...options,
        claim,
        bodySlot,
        ...(guardOf ? { stallGuard: guardOf() } : {}),
        onTestStart: (name) => report.start(name),
        onTestEnd: (r) => report.end(r),
        onWarning: (m) => {
          if (!warned.has(m)) {
            warned.add(m);
            options.onWarning?.(m);
          }
        },
      }),
    ),
  );
  report.flush();
  return mergeLaneResults(results, order, {
    lanes: lanes.length,
    parallel: options.parallel,
    pool: options.pool,
    wallMs: performance.now() - started,
  });
}

function mergeLaneResults(
  results: SuiteResult[],
  order: string[],
  how: { lanes: number; parallel: number; pool: boolean; wallMs: number },
): SuiteResult {
  const position = new Map(order.map((name, i) => [name, i]));
  const tests = results.flatMap((r) => r.tests).sort((a, b) => position.get(a.name)! - position.get(b.name)!);
  const ran = new Set(tests.map((t) => t.name));
  const notRun = order.filter((name) => !ran.has(name) && results.some((r) => r.notRun.includes(name)));
  const warnings: string[] = [];
  for (const w of results.flatMap((r) => r.warnings)) if (!warnings.includes(w)) warnings.push(w);
  const count = (v: string) => tests.filter((t) => t.result === v).length;
  const testsMs = tests.reduce((n, t) => n + t.durationMs, 0);
  const lanes: LaneSummary = {
    lanes: how.lanes,
    parallel: how.parallel,
    pool: how.pool,
    testsMs,
    savedMs: Math.max(0, Math.round(testsMs - how.wallMs)),
  };
  const first = results[0]!;
  return {
    ...first,
    durationMs: Math.round(how.wallMs),
    pass: count("pass"),
    fail: count("fail") + count("error"),
    inconclusive: count("inconclusive"),
    tests,
    warnings,
    notRun,
    lanes,
  };
}

const MIB = 1024 * 1024;

/**
 * About how much memory one lane's copy of the suite's services takes: a Kafka broker (a JVM whose
 * heap may grow to 1 GiB) 1 GiB, any other service 150 MiB, and the lane's own worker and proxies
 * 100 MiB. A guess on the safe side, used only to bound the pool.
 */
export function laneMemoryEstimate(suite: Suite): number {
  let bytes = 100 * MIB;
  for (const svc of suite.services) {
    if (svc.remote) continue;
    bytes += svc.interfaces.some((i) => i.protocol === "kafka") ? 1024 * MIB : 150 * MIB;
  }
  return bytes;
}

/**
 * How many lanes to run: `parallel` for the bodies, as many again for the pool, no more than there are
 * tests, and the pool's share only as far as available memory allows (three quarters of it).
 */
export function laneCount(
  suite: Suite,
  tests: number,
  parallel: number,
  pool: boolean,
  availableBytes: number,
): { lanes: number; boundedBy?: string } {
  const wanted = Math.max(1, Math.min(tests, pool ? 2 * parallel : parallel));
  if (!pool) return { lanes: wanted };
  const perLane = laneMemoryEstimate(suite);
  const fit = Math.floor((0.75 * availableBytes) / perLane);
  if (fit >= wanted) return { lanes: wanted };
  const lanes = Math.max(Math.min(parallel, wanted), fit);
  return {
    lanes,
    boundedBy: `${Math.round(availableBytes / MIB)} MiB available, about ${Math.round(perLane / MIB)} MiB per lane`,
  };
}
