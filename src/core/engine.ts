// Runs a suite: per test, start services, register monitors and observers, run the body, settle,
// decide the verdict, stop what is not reused. Interrupts stop everything before returning.
import { randomBytes } from "node:crypto";
import {
  AssertionFailure,
  ServiceExited,
  ServiceStartError,
  SpecError,
  TestTimeout,
  errorMessage,
} from "./errors.js";
import { matchTestFilter } from "./filter.js";
import type { Suite, TestDef } from "./model.js";
import { createRng } from "./random.js";
import type { FailureMoment, SuiteResult, TestResult } from "./results.js";
import { TestRun } from "./run.js";
import { ServiceManager } from "./services.js";
import { getProtocol, protocolNames } from "./protocol.js";
import { formatDuration } from "./duration.js";
import type { StallGuard } from "./stall-guard.js";
import { pickShard, type Shard } from "./shard.js";

/** Front ends reach the running test through this (builtins like events() are global in a spec). */
export class Runtime {
  current: TestRun | undefined;
  /**
   * Called the moment the running test stops: it timed out, was interrupted, or ended. Front ends
   * abandon the work it left running (the Starlark worker stops a body stuck in a loop).
   */
  readonly onTestCancel = new Set<() => void>();

  /** The running test, or a spec error naming what was attempted outside one. */
  run(what: string): TestRun {
    if (!this.current)
      throw new SpecError(`${what} can only be used while a test runs, not when the spec loads`);
    return this.current;
  }
}

/** A test's time limit unless it or --timeout says otherwise. */
export const DEFAULT_TEST_TIMEOUT_MS = 300_000;
/** Loading a spec normally takes milliseconds; past this, its top level is taken to loop. */
export const DEFAULT_LOAD_TIMEOUT_MS = 60_000;

export interface RunOptions {
  seed: bigint;
  runs?: number;
  filter?: string;
  /** Run only this share of the selected tests (`--shard I/N`). */
  shard?: Shard;
  signal?: AbortSignal;
  /** SIGTERM → SIGKILL grace. */
  stopGraceMs?: number;
  testTimeoutMs?: number;
  /**
   * Ends the process when a test's code blocks the main thread past its time limit (a TypeScript
   * spec's synchronous endless loop, which nothing on this thread can interrupt). See stall-guard.ts.
   */
  stallGuard?: Pick<StallGuard, "arm" | "disarm">;
  onTestStart?: (name: string, index: number, total: number) => void;
  onTestEnd?: (result: TestResult) => void;
  onWarning?: (message: string) => void;
  /** Service output lines, for live display. */
  echo?: (service: string, line: string) => void;
  /**
   * Lanes (--parallel, --pool; core/lanes.ts): whether this lane takes the test (false: another lane
   * took it, this one skips it). Every lane walks the tests in the same order, so each test runs once.
   */
  claim?: (testName: string) => boolean;
  /**
   * Lanes: a body slot, waited for once the test's services are up and released when its body and
   * monitors are done; how many bodies run at once. Time spent waiting is not the test's duration.
   */
  bodySlot?: (signal: AbortSignal) => Promise<() => void>;
}

export class NoTestMatched extends Error {}

export function selectTests(suite: Suite, filter: string | undefined): TestDef[] {
  const tests = [...suite.tests].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (!filter) return tests;
  // A filter that is exactly a test's name selects that test alone (`matrix_a_b` is the cell a x b,
  // not also the row of a scenario named "a_b"), so a replay command selects only the failed test.
  const exact = tests.filter((t) => t.name === filter || t.name === `test_${filter}`);
  const picked = exact.length ? exact : tests.filter((t) => matchTestFilter(filter, t.name));
  if (picked.length === 0) {
    throw new NoTestMatched(
      `no test matched filter "${filter}" (available: ${tests.map((t) => t.name).join(", ")})`,
    );
  }
  return picked;
}

export async function runSuite(suite: Suite, runtime: Runtime, options: RunOptions): Promise<SuiteResult> {
  const started = performance.now();
  const selected = selectTests(suite, options.filter);
  const tests = pickShard(selected, options.shard);
  const rng = createRng(options.seed);
  const signal = options.signal ?? new AbortController().signal;
  const warnings = [...suite.warnings];
  if (options.shard && tests.length === 0)
    warnings.push(
      `shard ${options.shard.index}/${options.shard.count} has no tests: only ${selected.length} were selected`,
    );
  const warn = (m: string) => {
    if (!warnings.includes(m)) {
      warnings.push(m);
      options.onWarning?.(m);
    }
  };
  const services = new ServiceManager(suite, rng, {
    stopGraceMs: options.stopGraceMs ?? 5000,
    signal,
    echo: options.echo,
  });
  const results: TestResult[] = [];
  const notRun: string[] = [];
  const nonce = randomBytes(4).toString("hex");
  try {
    await services.startProxies(warn);
    for (const [index, test] of tests.entries()) {
      if (signal.aborted) {
        notRun.push(test.name);
        continue;
      }
      if (options.claim && !options.claim(test.name)) continue;
      options.onTestStart?.(test.name, index, tests.length);
      const runs = Math.max(1, options.runs ?? 1);
      let result: TestResult | undefined;
      let passed = 0;
      let total = 0;
      for (let i = 0; i < runs && !signal.aborted; i++) {
        total++;
        result = await runTest(suite, runtime, test, services, runSeed(options.seed, i), options, nonce);
        if (result.result === "pass") passed++;
        else break;
      }
      if (!result) {
        notRun.push(test.name);
        continue;
      }
      if (runs > 1) result.runs = { total, passed };
      results.push(result);
      options.onTestEnd?.(result);
    }
  } finally {
    await services.shutdown();
  }
  const count = (v: string) => results.filter((r) => r.result === v).length;
  return {
    file: suite.file,
    seed: options.seed.toString(),
    durationMs: Math.round(performance.now() - started),
    pass: count("pass"),
    fail: count("fail") + count("error"),
    inconclusive: count("inconclusive"),
    tests: results,
    matrix: suite.matrix,
    warnings,
    notRun,
    ...(options.shard ? { shard: { ...options.shard, selected: selected.length } } : {}),
  };
}

/**
 * The seed of run `index` of a test under --runs: the first run uses the run's seed itself, each later
 * run its own derived seed. A test's randomness (its steps, its proxies' draws, its services' syscall
 * faults) depends only on that seed and the test's name, so `--test NAME --seed <run seed>` replays
 * exactly the run that failed.
 */
export function runSeed(seed: bigint, index: number): bigint {
  return index === 0 ? seed : createRng(seed).fork(`run:${index}`).seed;
}

async function runTest(
  suite: Suite,
  runtime: Runtime,
  test: TestDef,
  services: ServiceManager,
  seed: bigint,
  options: RunOptions,
  nonce: string,
): Promise<TestResult> {
  const started = performance.now();
  /** Time spent waiting for a body slot (lanes): another test's time, not this one's. */
  let queuedMs = 0;
  const startedAt = new Date().toISOString();
  const seedRng = createRng(seed);
  const run = new TestRun(suite, test, services, seedRng.fork(`test:${test.name}`), `${nonce}-${test.name}`);
  runtime.current = run;
  services.traffic = run.traffic;
  const base = {
    name: test.name,
    seed: seed.toString(),
    faults: test.faults,
    ...(test.matrix ? { matrix: test.matrix } : {}),
  };
  const finish = (partial: Partial<TestResult> & Pick<TestResult, "result">): TestResult => ({
    ...base,
    durationMs: Math.round(performance.now() - started - queuedMs),
    ...(queuedMs >= 1 ? { queuedMs: Math.round(queuedMs) } : {}),
    assertions: run.assertions,
    warnings: run.warnings,
    events: run.log.all().map(({ seq, time, type, service, data }) => ({ seq, time, type, service, data })),
    faults: [...new Set([...test.faults, ...run.faultsApplied])],
    ...(run.faultWindows.length ? { faultWindows: run.faultWindows } : {}),
    startedAt,
    ...(partial.result !== "pass" ? { failedAt: failureMoment(run) } : {}),
    ...(run.traffic.all().length ? { traffic: run.traffic.all() } : {}),
    ...partial,
  });
  /**
   * A service that exited on its own during the test fails it, naming the service, whatever the body
   * did (`after`: the body's own failure, kept as what followed).
   */
  const exitVerdict = (after?: string): TestResult | undefined => {
    const exit = services.exitsDuringTest()[0];
    if (!exit) return undefined;
    return finish({
      result: "fail",
      failureType: "service_exited",
      reason: after && after !== exit.reason ? `${exit.reason}; then: ${after}` : exit.reason,
      serviceOutput: { service: exit.service, lines: exit.lastLines },
    });
  };
  const timeoutMs = test.timeoutMs ?? options.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  // Hooks (seed/reset) get the test's limit each, the body its own: armed again when it starts.
  options.stallGuard?.arm(`test "${test.name}"`, timeoutMs);
  // Stopping a test (timeout, interrupt, end) takes effect at once: its Starlark work is abandoned, the
  // requests its proxies hold are released, and its steps and waits are cut short (they get the signal).
  run.abort.signal.addEventListener(
    "abort",
    () => {
      for (const f of runtime.onTestCancel) f();
      services.releaseHeld();
    },
    { once: true },
  );
  const stopped = new Promise<never>((_, reject) => {
    const stop = () => {
      const reason: unknown = run.abort.signal.reason;
      reject(
        reason instanceof TestTimeout || reason instanceof ServiceExited
          ? reason
          : new TestTimeout("interrupted"),
      );
    };
    if (run.abort.signal.aborted) stop();
    else run.abort.signal.addEventListener("abort", stop, { once: true });
  });
  stopped.catch(() => undefined); // only raced below; a test that ends normally aborts it too
  const onAbort = () => run.abort.abort(new TestTimeout("interrupted"));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort);
  try {
    try {
      await Promise.race([
        services.startAll(run.log, (m) => run.warn(m), seedRng, {
          signal: run.abort.signal,
          hookTimeoutMs: timeoutMs,
        }),
        stopped,
      ]);
    } catch (err) {
      if (err instanceof TestTimeout)
        return finish({ result: "inconclusive", failureType: "timeout", reason: err.message });
      const svc = err instanceof ServiceStartError ? err.service : undefined;
      return finish({
        result: "fail",
        failureType: "service_start",
        reason: `failed to start services: ${errorMessage(err)}`,
        ...(svc ? { serviceOutput: { service: svc, lines: (err as ServiceStartError).lastLines } } : {}),
      });
    }
    for (const svc of suite.services) {
      for (const source of svc.observe) {
        if (source.kind !== "observer") continue;
        const iface = svc.interfaces.find((i) => !source.protocol || i.protocol === source.protocol);
        try {
          run.observers.push(
            await source.start({
              service: svc.name,
              upstream: iface ? services.upstream(svc, iface.name) : undefined,
              serviceEnv: svc.env,
              emit: (type, data) => run.log.append(type, svc.name, data),
              log: run.log,
              seed: run.rng.fork(`observer:${svc.name}:${source.name}`).seed,
            }),
          );
        } catch (err) {
          return finish({
            result: "fail",
            failureType: "service_start",
            reason: `failed to start services: observer ${source.name} on "${svc.name}": ${errorMessage(err)}`,
          });
        }
      }
    }
    const exitedWhileStarting = exitVerdict();
    if (exitedWhileStarting) return exitedWhileStarting;
    // From here a service's own exit ends the body at once (its steps would only see refusals).
    services.onExit = (exit) => run.abort.abort(new ServiceExited(exit.reason, exit.service, exit.lastLines));
    for (const m of suite.monitors) run.registerMonitor(m);
    let releaseSlot: (() => void) | undefined;
    if (options.bodySlot) {
      const queued = performance.now();
      releaseSlot = await options.bodySlot(run.abort.signal);
      queuedMs = performance.now() - queued;
    }
    // Armed once the body may run: waiting for a body slot is not the body blocking the thread.
    options.stallGuard?.arm(`test "${test.name}"`, timeoutMs);
    const timer = setTimeout(
      () => run.abort.abort(new TestTimeout(`test timed out after ${formatDuration(timeoutMs)}`)),
      timeoutMs,
    );
    try {
      // The monitors' verdict is part of the test: a monitor callback that never returns times out too.
      const value = await Promise.race([
        (async () => {
          const v = await test.body();
          await run.checkMonitors();
          return v;
        })(),
        stopped,
      ]);
      await services.settleExits(30);
      return (
        exitVerdict() ??
        finish({
          result: "pass",
          ...(value !== undefined && value !== null ? { returnValue: suite.repr(value) } : {}),
        })
      );
    } catch (err) {
      // A failing body may be failing because a service died (its proxy answered 502 before the exit
      // was reported): let a dead service's exit notice arrive, then name it as the cause.
      if (!(err instanceof TestTimeout) && !(err instanceof ServiceExited)) await services.settleExits(200);
      const exited = options.signal?.aborted ? undefined : exitVerdict(errorMessage(err));
      if (exited) return exited;
      if (err instanceof TestTimeout)
        return finish({ result: "inconclusive", failureType: "timeout", reason: err.message });
      if (err instanceof AssertionFailure) {
        return finish({
          result: "fail",
          failureType: err.assertion === "monitor" ? "monitor" : "assertion",
          reason: err.message,
          ...(err.location ? { location: err.location } : {}),
          ...(run.expectationViolated ? { expectationViolated: true } : {}),
        });
      }
      const location = err instanceof SpecError ? err.location : undefined;
      return finish({
        result: err instanceof SpecError ? "error" : "fail",
        failureType: "error",
        reason: errorMessage(err),
        ...(location ? { location } : {}),
        ...(run.expectationViolated ? { expectationViolated: true } : {}),
      });
    } finally {
      clearTimeout(timer);
      releaseSlot?.();
    }
  } finally {
    services.onExit = undefined;
    options.stallGuard?.disarm();
    options.signal?.removeEventListener("abort", onAbort);
    run.abort.abort(new TestTimeout("the test ended")); // no-op when it was stopped already
    run.stopMonitors();
    await run.stopObservers();
    const addresses = services.addresses();
    for (const name of protocolNames())
      await getProtocol(name)
        ?.afterTest?.({ addresses })
        .catch(() => undefined);
    runtime.current = undefined;
    run.log.close();
    run.traffic.close();
    if (services.traffic === run.traffic) services.traffic = undefined;
    await services.afterTest();
  }
}

/** The first failure's moment, or now (an error or timeout that no assertion raised). */
function failureMoment(run: TestRun): FailureMoment {
  return run.failedAt ?? { time: new Date().toISOString(), afterSeq: run.log.size };
}
