// One test's runtime: its event log, steps, assertions, fault windows, monitors and observers.
// Front ends (Starlark builtins, the TypeScript API) call into the TestRun that is current.
import { AssertionFailure, SpecError, TestTimeout, errorMessage, type SourceLocation } from "./errors.js";
import { EventLog, matchesFilters, type EventPredicate, type StoredEvent } from "./events.js";
import { ActionRunner, type ActionTarget, type ActionVerb } from "./actions.js";
import { ActiveMonitor, type MonitorViolation } from "./monitors.js";
import type {
  FaultAssumption,
  MonitorDef,
  ProxyRule,
  ServiceActionRule,
  ServiceDef,
  Suite,
  TestDef,
} from "./model.js";
import type { Observer } from "./observer.js";
import { getProtocol } from "./protocol.js";
import type { Rng } from "./random.js";
import type { RuleCounts } from "./syscall.js";
import type { FailureMoment, FaultWindowRecord } from "./results.js";
import { TrafficLog } from "./traffic.js";
import { decodeBody, type Response } from "./response.js";
import type { ServiceManager } from "./services.js";
import { formatAddr } from "./topology.js";

/** Step events are the test's own traffic; dict-form queries leave them out (as Faultbox does). */
const STEP_TYPES = new Set(["step_send", "step_recv"]);
const PREVIEW = 200;

export class TestRun {
  readonly log = new EventLog();
  assertions = 0;
  readonly warnings: string[] = [];
  readonly monitorViolations: MonitorViolation[] = [];
  expectationViolated = false;
  /** Names of the fault windows opened during the test (declared or inline), for reports. */
  readonly faultsApplied = new Set<string>();
  /** Every window opened, with per-rule firing counts (filled in when the window closes). */
  readonly faultWindows: FaultWindowRecord[] = [];
  /** Requests the proxies relayed during the test. */
  readonly traffic = new TrafficLog();
  /** When the test's first failure was raised (an assertion, a monitor violation). */
  failedAt: FailureMoment | undefined;
  private readonly monitors = new Set<ActiveMonitor>();
  readonly observers: Observer[] = [];
  /** events() calls since the last assertion, for vacuous-assertion warnings. */
  private queriesSinceAssert = { empty: 0, nonEmpty: 0 };
  readonly abort = new AbortController();
  /** Where the spec currently is (set by the front end), for failure locations. */
  locate: () => SourceLocation | undefined = () => undefined;

  /** Service actions (kill, restart, pause, isolate, ...) of this test. */
  readonly actions: ActionRunner;

  constructor(
    readonly suite: Suite,
    readonly test: TestDef,
    readonly services: ServiceManager,
    readonly rng: Rng,
    readonly nonce: string,
  ) {
    this.actions = new ActionRunner(services, this.log, this.abort.signal);
  }

  /** A service action as a step (`kafka.restart()`, `kafka.leader(topic="t").kill()`); returns its event's data. */
  async serviceAction(
    target: ActionTarget,
    verb: ActionVerb,
    params: ServiceActionRule["params"] = {},
  ): Promise<Record<string, unknown>> {
    return this.actions.perform(target, verb, params, "step");
  }

  private service(name: string): ServiceDef {
    const s = this.suite.services.find((x) => x.name === name);
    if (!s) throw new SpecError(`unknown service "${name}"`);
    return s;
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
    this.log.append("vacuous_property", "test", { reason: message });
  }

  // ---- steps ---------------------------------------------------------------------------------------

  async step(
    serviceName: string,
    ifaceName: string,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Response> {
    const svc = this.service(serviceName);
    const iface = svc.interfaces.find((i) => i.name === ifaceName);
    if (!iface) throw new SpecError(`service "${serviceName}" has no interface "${ifaceName}"`);
    const plugin = getProtocol(iface.protocol);
    if (!plugin)
      throw new SpecError(
        `unsupported protocol "${iface.protocol}" on ${serviceName}.${ifaceName} (no plugin registered)`,
      );
    const m = plugin.steps[method];
    if (!m) {
      throw new SpecError(
        `${serviceName}.${ifaceName} (${iface.protocol}) has no step method "${method}"; available: ${Object.keys(plugin.steps).join(", ")}`,
      );
    }
    for (const k of Object.keys(args)) {
      if (!m.params.includes(k)) {
        throw new SpecError(
          `${iface.protocol}.${method}(): unknown keyword argument "${k}"; valid: ${m.params.join(", ")}`,
        );
      }
    }
    for (const k of m.required ?? []) {
      if (args[k] === undefined) throw new SpecError(`${iface.protocol}.${method} requires ${k}= argument`);
    }
    const target = this.services.stepTarget(svc, ifaceName);
    const preview: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      const s = typeof v === "string" ? v : JSON.stringify(v);
      preview[k] = s.length > PREVIEW ? s.slice(0, PREVIEW) + "…" : s;
    }
    this.log.append("step_send", "test", {
      target: serviceName,
      interface: ifaceName,
      method,
      protocol: iface.protocol,
      addr: formatAddr(target),
      ...preview,
    });
    const started = performance.now();
    const stepRng = this.rng.fork(`step:${this.log.size}`);
    let outcome;
    try {
      outcome = await m.run({
        target,
        args,
        serviceEnv: svc.env,
        service: serviceName,
        iface: ifaceName,
        random: () => stepRng.next(),
        runNonce: this.nonce,
        testName: this.test.name,
        signal: this.abort.signal,
      });
    } catch (err) {
      if (err instanceof SpecError) throw err;
      outcome = { ok: false, error: errorMessage(err) };
    }
    const duration = Math.round(performance.now() - started);
    const body = outcome.body ?? "";
    const response: Response = {
      ok: outcome.ok,
      error: outcome.error ?? "",
      status: outcome.status ?? 0,
      body,
      data: outcome.data !== undefined ? outcome.data : outcome.ok ? decodeBody(body) : null,
      duration_ms: duration,
      step: `${serviceName}.${ifaceName}.${method}`,
    };
    this.log.append("step_recv", "test", {
      target: serviceName,
      interface: ifaceName,
      method,
      ok: response.ok,
      ...(response.status ? { status: response.status } : {}),
      ...(response.error ? { error: response.error.slice(0, PREVIEW) } : {}),
      duration_ms: duration,
      ...(outcome.fields ?? {}),
    });
    return response;
  }

  // ---- settling: verdicts never depend on timing ------------------------------------------------------

  /** Drains every observer and lets monitors process every event, until nothing new arrives. */
  async settle(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const before = this.log.size;
      const readable = this.observers.filter((o) => !o.source || !this.services.unreachable(o.source));
      await Promise.all(readable.map((o) => o.drain()));
      for (const m of this.monitors) await m.idle();
      if (this.log.size === before) return;
    }
  }

  // ---- queries and assertions -----------------------------------------------------------------------

  /** events(where=) sees every type; dict filters leave out the test's own step events. */
  async events(
    query: { where?: EventPredicate; filters?: Record<string, unknown> } = {},
  ): Promise<StoredEvent[]> {
    await this.settle();
    const out = query.where
      ? await this.log.filter(query.where)
      : this.log.all().filter((e) => !STEP_TYPES.has(e.type) && matchesFilters(e, query.filters ?? {}));
    if (out.length === 0) this.queriesSinceAssert.empty++;
    else this.queriesSinceAssert.nonEmpty++;
    return out;
  }

  private failure(assertion: string, message: string): AssertionFailure {
    this.noteFailure();
    return new AssertionFailure(assertion, message, this.locate());
  }

  /** Remembers the moment of the test's first failure (reports pin it on the timeline). */
  noteFailure(): void {
    this.failedAt ??= { time: new Date().toISOString(), afterSeq: this.log.size };
  }

  private counted(): { empty: number; nonEmpty: number } {
    this.assertions++;
    const q = this.queriesSinceAssert;
    this.queriesSinceAssert = { empty: 0, nonEmpty: 0 };
    return q;
  }

  assertTrue(cond: unknown, message = "assertion failed"): void {
    this.counted();
    if (!this.suite.truthy(cond)) throw this.failure("assert_true", message);
  }

  assertEq(a: unknown, b: unknown, message?: string): void {
    const empty = (v: unknown) =>
      v === 0 || (Array.isArray(v) && v.length === 0) || (typeof v === "bigint" && v === 0n);
    this.assertEqOutcome({
      equal: this.suite.equals(a, b),
      reprA: this.suite.repr(a),
      reprB: this.suite.repr(b),
      emptyA: empty(a),
      emptyB: empty(b),
      message,
    });
  }

  /** assert_eq once the spec language has compared and printed the values (Starlark does both itself). */
  assertEqOutcome(o: {
    equal: boolean;
    reprA: string;
    reprB: string;
    emptyA: boolean;
    emptyB: boolean;
    message?: string;
  }): void {
    const q = this.counted();
    if (!o.equal) {
      throw this.failure(
        "assert_eq",
        `assert_eq failed: ${o.reprA} != ${o.reprB}${o.message ? ` (${o.message})` : ""}`,
      );
    }
    // Two empty event sets: both sides came from event queries that found nothing (`len(events(A)) ==
    // len(events(B))` with no events at all). A count compared with a literal 0 is a claim, not this.
    if (o.emptyA && o.emptyB && q.empty >= 2 && q.nonEmpty === 0) {
      this.warn(
        `assert_eq${o.message ? ` ("${o.message}")` : ""} compared two empty event sets: the assertion is vacuous`,
      );
    }
  }

  /** Counts a query whose filtering happened in the spec language (for vacuous-assertion warnings). */
  noteQuery(found: number): void {
    if (found === 0) this.queriesSinceAssert.empty++;
    else this.queriesSinceAssert.nonEmpty++;
  }

  /** Outcome of an assert_eventually/assert_never/assert_before evaluated by the spec language. */
  assertionOutcome(assertion: string, failure: string | undefined): void {
    this.counted();
    if (failure !== undefined) throw this.failure(assertion, failure);
  }

  /** Events after `afterSeq`, waiting up to timeoutMs for at least one; settles observers when none came. */
  async eventsAfter(afterSeq: number, timeoutMs: number): Promise<StoredEvent[]> {
    if (this.log.size <= afterSeq) {
      await this.log.waitFor((e) => e.seq > afterSeq, timeoutMs, this.abort.signal);
      if (this.log.size <= afterSeq) await this.settle();
    }
    return this.log.all().slice(afterSeq);
  }

  async assertEventually(query: {
    where?: EventPredicate;
    filters?: Record<string, unknown>;
    timeoutMs: number;
  }): Promise<StoredEvent> {
    const pred: EventPredicate =
      query.where ?? ((e) => !STEP_TYPES.has(e.type) && matchesFilters(e, query.filters ?? {}));
    const found = await this.log.waitFor(pred, query.timeoutMs, this.abort.signal);
    // A wait cut short because the test stopped (timeout, Ctrl-C) decided nothing: no outcome, no count.
    if (this.abort.signal.aborted) throw new TestTimeout("the test stopped while assert_eventually waited");
    // Counted once decided, like assertions evaluated by the spec language.
    this.counted();
    if (found) return found;
    await this.settle(); // an observer may hold the record; verdicts must not depend on its lag
    const late = await this.log.find(pred);
    if (late) return late;
    throw this.failure(
      "assert_eventually",
      query.where
        ? `assert_eventually: no event matched where= predicate within ${query.timeoutMs}ms`
        : `assert_eventually: no matching event found (filters: ${describeFilters(query.filters ?? {})}) within ${query.timeoutMs}ms`,
    );
  }

  async assertNever(query: { where?: EventPredicate; filters?: Record<string, unknown> }): Promise<void> {
    this.counted();
    await this.settle();
    const pred: EventPredicate =
      query.where ?? ((e) => !STEP_TYPES.has(e.type) && matchesFilters(e, query.filters ?? {}));
    const hit = await this.log.find(pred);
    if (hit) {
      throw this.failure(
        "assert_never",
        query.where
          ? `assert_never: found matching event #${hit.seq} (${hit.type} on ${hit.service || "-"}) via where= predicate`
          : `assert_never: found matching event #${hit.seq} (${describeFilters(query.filters ?? {})})`,
      );
    }
  }

  async assertBefore(
    first: Record<string, unknown> | EventPredicate,
    then: Record<string, unknown> | EventPredicate,
  ): Promise<void> {
    this.counted();
    await this.settle();
    const toPred = (q: Record<string, unknown> | EventPredicate): EventPredicate =>
      typeof q === "function" ? q : (e) => !STEP_TYPES.has(e.type) && matchesFilters(e, q);
    const describe = (q: Record<string, unknown> | EventPredicate) =>
      typeof q === "function" ? "predicate" : describeFilters(q);
    const a = await this.log.find(toPred(first));
    if (!a)
      throw this.failure("assert_before", `assert_before: no event matching 'first' (${describe(first)})`);
    const b = await this.log.find(toPred(then));
    if (!b)
      throw this.failure("assert_before", `assert_before: no event matching 'then' (${describe(then)})`);
    if (a.seq >= b.seq) {
      throw this.failure(
        "assert_before",
        `assert_before: 'first' event (seq=${a.seq}) did not occur before 'then' event (seq=${b.seq})`,
      );
    }
  }

  /** fail(msg): the message reads `fail: msg`, as Starlark's fail() does. */
  fail(message: string): never {
    throw this.failure("fail", `fail: ${message}`);
  }

  // ---- monitors -------------------------------------------------------------------------------------

  registerMonitor(def: MonitorDef): () => void {
    const m = new ActiveMonitor(def, this.log, (v) => {
      this.noteFailure();
      this.monitorViolations.push(v);
    });
    this.monitors.add(m);
    return () => {
      m.stop();
      this.monitors.delete(m);
    };
  }

  /** Runs the checks of final monitors (history checks) that have not run yet. */
  async finishMonitors(only?: (def: MonitorDef) => boolean): Promise<void> {
    for (const m of [...this.monitors]) if (!only || only(m.def)) await m.finish();
  }

  /** Throws the first monitor violation (after letting monitors catch up and final ones check). */
  async checkMonitors(): Promise<void> {
    await this.settle();
    await this.finishMonitors();
    const v = this.monitorViolations[0];
    if (v) {
      const err = new AssertionFailure("monitor", `monitor violation: ${v.message}`, v.location);
      throw err;
    }
  }

  stopMonitors(): void {
    for (const m of this.monitors) m.stop();
    this.monitors.clear();
  }

  // ---- fault windows --------------------------------------------------------------------------------

  /** Applies the assumptions' rules and monitors, runs fn, and removes them again whatever happens. */
  async withFaults<T>(assumptions: FaultAssumption[], fn: () => Promise<T>): Promise<T> {
    const flat: FaultAssumption[] = [];
    const walk = (a: FaultAssumption) => {
      flat.push(a);
      a.children.forEach(walk);
    };
    assumptions.forEach(walk);
    for (const a of assumptions) this.faultsApplied.add(a.name);
    // Listed before anything can throw, so a window that failed to apply still shows (with 0 fired).
    const records = new Map<FaultAssumption, FaultWindowRecord>();
    for (const a of flat) {
      if (
        a.rules.length === 0 &&
        a.syscall.length === 0 &&
        a.actions.length === 0 &&
        !assumptions.includes(a)
      )
        continue;
      const target = a.targetInterface
        ? `${a.targetInterface.service}.${a.targetInterface.iface}`
        : (a.targetLink?.text ?? a.targetNode?.text ?? a.targetService);
      const record: FaultWindowRecord = {
        assumption: a.name,
        ...(target ? { target } : {}),
        rules: [
          ...a.rules.map((r) => ({ rule: r.text, matched: 0, fired: 0 })),
          ...a.syscall.map((r) => ({ rule: `${r.key}=${r.fault.text}`, matched: 0, fired: 0 })),
          ...a.actions.map((r) => ({ rule: r.text, matched: 0, fired: 0 })),
        ],
        matched: 0,
        fired: 0,
        openedAt: new Date().toISOString(),
      };
      records.set(a, record);
      this.faultWindows.push(record);
    }
    const undo: (() => Promise<void>)[] = [];
    /**
     * Runs every undo (a service that will not come back must not leave a link cut) and fills in the
     * composite records; returns the first undo failure (reported unless the window already failed).
     */
    const closeWindow = async (): Promise<unknown> => {
      let undoFailure: unknown;
      for (const u of undo.reverse()) {
        try {
          await u();
        } catch (err) {
          undoFailure ??= err;
        }
      }
      const closedAt = new Date().toISOString();
      for (const record of records.values()) record.closedAt = closedAt;
      // A composite assumption (faults=[...]) matched and fired as often as the windows inside it.
      const total = (a: FaultAssumption, field: "matched" | "fired"): number | undefined => {
        let n: number | undefined = 0;
        for (const r of records.get(a)?.rules ?? [])
          n = n === undefined || r[field] === undefined ? undefined : n + r[field];
        for (const c of a.children) {
          const m = total(c, field);
          n = n === undefined || m === undefined ? undefined : n + m;
        }
        return n;
      };
      for (const a of assumptions) {
        const record = records.get(a);
        if (!record || !a.children.length) continue;
        record.fired = total(a, "fired") ?? 0;
        const matched = total(a, "matched");
        if (matched === undefined) delete record.matched;
        else record.matched = matched;
      }
      return undoFailure;
    };
    let result: T;
    try {
      for (const a of flat)
        for (const m of a.monitors) {
          const off = this.registerMonitor(m);
          // A final monitor of the window checks what happened by the time the window closes.
          undo.push(async () => {
            await this.finishMonitors((def) => def === m);
            off();
          });
        }
      // Syscall rules: one rule set per service for the whole window.
      const byService = new Map<string, FaultAssumption["syscall"]>();
      for (const a of flat) {
        if (a.syscall.length === 0 || !a.targetService) continue;
        byService.set(a.targetService, [...(byService.get(a.targetService) ?? []), ...a.syscall]);
      }
      for (const [service, rules] of byService) {
        const entry = this.services.running.get(service);
        if (!entry?.syscall)
          throw new SpecError(
            `syscall faults on "${service}" cannot apply: ` +
              (!entry
                ? "the service is not running"
                : (entry.unsupervised ??
                  "it was started without the syscall supervisor: no syscall fault on it was known when the spec " +
                    "loaded. Declare the fault_assumption when the spec loads (at the top level of a .star spec, " +
                    "or in the body of defineSpec), not while a test runs")),
          );
        await entry.syscall.setRules(rules);
        entry.syscallRules = rules;
        this.log.append(
          "fault_applied",
          service,
          Object.fromEntries(rules.map((r) => [r.key, `${r.fault.text} → filter:[${r.syscalls.join(",")}]`])),
        );
        undo.push(async () => {
          // The session of the process running now: a restart inside the window brings a new one.
          entry.syscallRules = undefined;
          const counts = entry.syscall ? await entry.syscall.clearRules() : {};
          for (const a of flat) {
            const record = records.get(a);
            if (!record || a.targetService !== service) continue;
            a.syscall.forEach((r, i) => {
              Object.assign(record.rules[a.rules.length + i]!, counts[r.key] ?? { matched: 0, fired: 0 });
            });
            sumRuleCounts(record);
          }
          for (const r of rules) {
            const { matched = 0, fired = 0 } = counts[r.key] ?? {};
            if (matched === 0)
              this.log.append("fault_zero_traffic", service, { syscall: r.key, action: r.fault.action });
            if (fired === 0 && r.fault.action !== "allow")
              this.warn(
                `fault ${r.key}=${r.fault.text} on "${service}" never fired` +
                  (matched > 0 ? ` (${matched} syscalls matched it, none was faulted)` : ""),
              );
          }
          this.log.append("fault_removed", service, {});
        });
      }
      for (const a of flat) {
        if (a.rules.length === 0 || !a.targetLink) continue;
        const link = a.targetLink;
        const startSeq = this.log.size;
        const applied = await this.actions.addLinkRules(link, a.rules);
        this.log.append("proxy_fault_applied", link.service, {
          link: applied.link,
          assumption: a.name,
          rules: a.rules.map((r) => r.text).join(", "),
        });
        undo.push(async () => {
          await this.settle();
          await applied.undo();
          const { fired } = this.countFirings(
            a.rules,
            records.get(a),
            startSeq,
            (e) => e.service === link.service && e.data.link === applied.link,
          );
          if (fired === 0)
            this.warn(
              `fault "${a.name}" never fired: no traffic matched ${a.rules.map((r) => r.text).join(", ")} on ${link.text} (${applied.link})`,
            );
          this.log.append("proxy_fault_removed", link.service, { link: applied.link, assumption: a.name });
        });
      }
      for (const a of flat) {
        if (a.rules.length === 0 || !a.targetInterface) continue;
        const { service, iface } = a.targetInterface;
        const entry = this.services.proxyFor(service, iface);
        if (!entry)
          throw new SpecError(
            `fault "${a.name}": no proxy runs in front of ${service}.${iface}, so its rules cannot apply`,
          );
        const startSeq = this.log.size;
        const countsBefore = a.rules.map((r) => entry.proxy.ruleCounts?.(r));
        for (const r of a.rules) this.services.addRule(entry, r);
        this.log.append("proxy_fault_applied", service, {
          interface: iface,
          protocol: entry.protocol,
          assumption: a.name,
          rules: a.rules.map((r) => r.text).join(", "),
        });
        const rules: ProxyRule[] = a.rules;
        undo.push(async () => {
          await this.settle();
          this.services.removeRules(entry, rules);
          const { fired, matched = 0 } = this.countFirings(
            rules,
            records.get(a),
            startSeq,
            (e) => e.service === service && e.data.interface === iface,
            { before: countsBefore, now: (r) => entry.proxy.ruleCounts?.(r) },
          );
          if (fired === 0)
            this.warn(
              matched > 0
                ? `fault "${a.name}" never fired: ${matched} requests matched ${rules.map((r) => r.text).join(", ")} on ${service}.${iface}, none was faulted`
                : `fault "${a.name}" never fired: no traffic matched ${rules.map((r) => r.text).join(", ")} on ${service}.${iface}`,
            );
          this.log.append("proxy_fault_removed", service, { interface: iface, assumption: a.name });
        });
      }
      // Service actions last: the window's rules are in place when a service goes down or comes back.
      for (const a of flat) {
        if (a.actions.length === 0) continue;
        const target: ActionTarget = a.targetLink
          ? { link: a.targetLink }
          : a.targetNode
            ? { node: a.targetNode }
            : { service: a.targetService! };
        const record = records.get(a);
        for (const [i, rule] of a.actions.entries()) {
          const back = await this.actions.apply(rule, target, `fault "${a.name}"`);
          if (record) {
            Object.assign(record.rules[a.rules.length + a.syscall.length + i]!, { matched: 1, fired: 1 });
            sumRuleCounts(record);
          }
          if (back) undo.push(back);
        }
      }
      result = await fn();
    } catch (err) {
      await closeWindow();
      throw err;
    }
    const undoFailure = await closeWindow();
    if (undoFailure !== undefined) throw undoFailure;
    return result;
  }

  /**
   * How often a window's rules matched and fired, into its record: from the proxy's own counters
   * (`counters`: their values before the window and now) where it keeps them, else the fires from the
   * `proxy` events since startSeq (on an interface or a link, as `where` says) and no match count.
   */
  private countFirings(
    rules: ProxyRule[],
    record: FaultWindowRecord | undefined,
    startSeq: number,
    where: (e: StoredEvent) => boolean,
    counters?: { before: (RuleCounts | undefined)[]; now: (rule: ProxyRule) => RuleCounts | undefined },
  ): { matched?: number; fired: number } {
    const acted = this.log
      .all()
      .filter((e) => e.seq > startSeq && e.type === "proxy" && e.data.action !== undefined && where(e));
    const fromEvents = countRuleFirings(rules, acted);
    const counts = rules.map((r, i): { matched?: number; fired: number } => {
      const now = counters?.now(r);
      const before = counters?.before[i];
      if (!now || !before) return { fired: fromEvents[i]! };
      return { matched: now.matched - before.matched, fired: now.fired - before.fired };
    });
    if (record) {
      counts.forEach((c, i) => {
        record.rules[i] = { rule: record.rules[i]!.rule, ...c };
      });
      sumRuleCounts(record);
    }
    const fired = counts.reduce((n, c) => n + c.fired, 0);
    return counts.every((c) => c.matched !== undefined)
      ? { matched: counts.reduce((n, c) => n + c.matched!, 0), fired }
      : { fired };
  }

  async stopObservers(): Promise<void> {
    await Promise.all(this.observers.map((o) => o.stop().catch(() => undefined)));
  }
}

/** A window's totals from its rules; no match total when some rule's matches are unknown. */
function sumRuleCounts(record: FaultWindowRecord): void {
  record.fired = record.rules.reduce((n, r) => n + r.fired, 0);
  if (record.rules.every((r) => r.matched !== undefined))
    record.matched = record.rules.reduce((n, r) => n + r.matched!, 0);
  else delete record.matched;
}

/**
 * How many of the proxy's action events each rule caused. Events name their rule (`rule`, as the
 * proxy describes it); one that names none of the window's rules counts for the first rule with the
 * same action, so a proxy describing a rule differently from the spec text is still counted.
 */
export function countRuleFirings(rules: ProxyRule[], acted: StoredEvent[]): number[] {
  const counts = rules.map(() => 0);
  for (const e of acted) {
    let i = rules.findIndex((r) => r.text === e.data.rule);
    if (i < 0) i = rules.findIndex((r) => r.action === e.data.action);
    if (i < 0 && rules.length === 1) i = 0;
    if (i >= 0) counts[i]!++;
  }
  return counts;
}

function describeFilters(f: Record<string, unknown>): string {
  const parts = Object.entries(f).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.length ? parts.join(", ") : "none";
}

export { errorMessage };
