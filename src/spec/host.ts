// The engine side of the Starlark bridge: runs the worker, answers its operations with SpecBuilder and
// the running TestRun, and invokes Starlark callables (test bodies, lambdas, monitors) through it.
import { MessageChannel, Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import type { ActionTarget } from "../core/actions.js";
import { type ScenarioRef, SpecBuilder } from "../core/builder.js";
import { AssertionFailure, SpecError, TestTimeout, type SourceLocation } from "../core/errors.js";
import { emissionOrigin, type StoredEvent } from "../core/events.js";
import { noteSpecFile } from "../core/files.js";
import type {
  ActionName,
  FaultAssumption,
  Healthcheck,
  LinkRef,
  NodeRef,
  ServiceActionRule,
  InterfaceDef,
  MonitorDef,
  ObserveSource,
  ServiceDef,
  SyscallFault,
} from "../core/model.js";
import { getProtocol, protocolNames } from "../core/protocol.js";
import { preparePorts } from "../core/ports.js";
import type { Response } from "../core/response.js";
import { jsonDecoder, logfmtDecoder, regexDecoder, type Decoder } from "../core/decoders.js";
import { parseDuration } from "../core/duration.js";
import type { SyscallFaultSite } from "./syscall-sites.js";
import {
  historyFailure,
  historyMonitorDef,
  runHistoryCheck,
  verdictForSpec,
  type HistoryCheckOptions,
} from "../core/history/index.js";
import {
  CANCEL_REASON,
  CANCELLED_BELOW,
  CancelReason,
  FLAG_SLOTS,
  cancelMessage,
  notify,
  type BoxedWire,
  type ErrorInfo,
  type ToMain,
  type ToWorker,
  type WorkerData,
} from "./wire.js";

export interface Boxed extends BoxedWire {
  readonly __boxed: true;
}

export function isBoxed(v: unknown): v is Boxed {
  return typeof v === "object" && v !== null && (v as Boxed).__boxed === true;
}

/** A Starlark callable on the main side; `fnId` is the same for every passing of one callable. */
type Fn = ((...args: unknown[]) => Promise<Boxed>) & { fnName: string; fnId: number };

/** Objects the worker refers to by id (services, interfaces, faults, rules, monitors...). */
class RefTable {
  private readonly byId = new Map<number, object>();
  private readonly ids = new WeakMap<object, number>();
  private next = 1;
  id(o: object): number {
    let id = this.ids.get(o);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(o, id);
      this.byId.set(id, o);
    }
    return id;
  }
  get(id: number): object {
    const o = this.byId.get(id);
    if (!o) throw new Error(`stale reference #${id}`);
    return o;
  }
}

export function errorFromInfo(e: ErrorInfo): Error {
  const location: SourceLocation | undefined =
    e.file && e.line ? { file: e.file, line: e.line, column: e.column } : undefined;
  if (e.assertion) return new AssertionFailure(e.assertion, e.message, location);
  return new SpecError(e.message, { location, code: e.spec ? "SPEC_ERROR" : "SPEC_RUNTIME" });
}

function infoFromError(err: unknown): ErrorInfo {
  if (err instanceof AssertionFailure) return { message: err.message, assertion: err.assertion };
  if (err instanceof SpecError) {
    const at = err.location
      ? { file: err.location.file, line: err.location.line, column: err.location.column }
      : {};
    return { message: err.message, spec: true, ...at };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/** How long a worker may take to stop after its work was abandoned before it is terminated. */
const STOP_GRACE_MS = 5000;

export class StarlarkHost {
  readonly builder: SpecBuilder;
  private readonly refs = new RefTable();
  private readonly worker: Worker;
  private readonly port;
  private readonly flag: Int32Array;
  private nextInvoke = 1;
  private readonly pending = new Map<number, { resolve: (b: Boxed) => void; reject: (e: Error) => void }>();
  private loaded!: (e?: ErrorInfo) => void;
  private readonly origins = new Map<number, { monitorId: number }>();
  /** Invocations carry the epoch they were made in; cancelling starts a new one (see wire.ts). */
  private epoch = 0;
  /** Invocations abandoned by a cancellation whose reply has not come yet (the worker is still busy). */
  private readonly abandoned = new Set<number>();
  /** Set once the worker had to be terminated: why, for every later call into Starlark. */
  private dead: string | undefined;
  private readonly loadTimeoutMs: number | undefined;

  constructor(
    readonly file: string,
    options: { loadTimeoutMs?: number } = {},
  ) {
    this.loadTimeoutMs = options.loadTimeoutMs;
    this.builder = new SpecBuilder(file, {
      repr: (v) => (isBoxed(v) ? v.repr : typeof v === "string" ? JSON.stringify(v) : String(v)),
      equals: (a, b) => a === b,
      truthy: (v) => (isBoxed(v) ? v.truth : Boolean(v)),
    });
    // Free ports for the spec's interfaces are found while the worker starts (core/ports.ts).
    void preparePorts();
    const channel = new MessageChannel();
    this.port = channel.port1;
    const sab = new SharedArrayBuffer(4 * FLAG_SLOTS);
    this.flag = new Int32Array(sab);
    const protocols: Record<string, string[]> = {};
    const observers: Record<string, string[]> = {};
    const actions: Record<string, string[]> = {};
    const selectors: Record<string, string[]> = {};
    for (const name of protocolNames()) {
      const p = getProtocol(name)!;
      protocols[name] = Object.keys(p.steps);
      if (p.observers) observers[name] = Object.keys(p.observers);
      for (const [a, support] of Object.entries(p.rules ?? {}))
        actions[a] = [...new Set([...(actions[a] ?? []), ...support.params])];
      if (p.nodeSelectors) selectors[name] = Object.keys(p.nodeSelectors);
    }
    const data: WorkerData = {
      file: resolve(file),
      port: channel.port2,
      flag: sab,
      loadTimeoutMs: this.loadTimeoutMs,
      protocols,
      ruleActions: actions,
      observers,
      selectors,
    };
    const workerOptions = { transferList: [channel.port2 as never], stdout: false, stderr: false };
    if (import.meta.url.endsWith(".ts")) {
      // From the sources: the worker runs them through tsx too.
      const entry = fileURLToPath(new URL("./worker.ts", import.meta.url));
      const tsx = import.meta.resolve("tsx/esm/api");
      const bootstrap = `const { workerData } = require("node:worker_threads");
import(workerData.tsx).then((m) => { m.register(); return import(workerData.entry); });`;
      this.worker = new Worker(bootstrap, {
        ...workerOptions,
        eval: true,
        workerData: { ...data, tsx, entry: new URL(`file://${entry}`).href },
      });
    } else {
      // From the faultbox command's bundle (bin/bundle.js): the worker's entry beside this chunk, which
      // runs worker.cjs with a code cache (code-cache.ts).
      this.worker = new Worker(new URL("./worker-boot.cjs", import.meta.url), {
        ...workerOptions,
        workerData: data,
      });
    }
    this.worker.unref();
    this.port.unref();
    this.port.on("message", (m: ToMain) => void this.onMessage(m));
    this.builder.runtime.onTestCancel.add(() => this.cancel(CancelReason.TestEnded));
    this.worker.on("error", (err) => this.loaded?.({ message: `Starlark worker failed: ${err.message}` }));
  }

  /**
   * Abandons every invocation in flight: they are rejected now, and the worker stops running them at
   * its next step (the interpreter polls the shared flag) or next engine request. A worker that does
   * not stop within STOP_GRACE_MS (stuck outside Starlark code) is terminated.
   */
  cancel(reason: CancelReason): void {
    this.epoch++;
    Atomics.store(this.flag, CANCEL_REASON, reason);
    Atomics.store(this.flag, CANCELLED_BELOW, this.epoch);
    notify(this.flag);
    const message = cancelMessage(reason, this.loadTimeoutMs);
    for (const [id, p] of this.pending) {
      this.abandoned.add(id);
      p.reject(new TestTimeout(message));
    }
    this.pending.clear();
    this.port.unref();
    if (this.abandoned.size === 0) return;
    setTimeout(() => {
      if (this.abandoned.size > 0)
        this.terminate(`Starlark code did not stop within ${STOP_GRACE_MS / 1000}s after ${message}`);
    }, STOP_GRACE_MS).unref();
  }

  private terminate(why: string): void {
    if (this.dead) return;
    this.dead = why;
    this.abandoned.clear();
    for (const p of this.pending.values()) p.reject(new SpecError(`the Starlark worker was stopped: ${why}`));
    this.pending.clear();
    this.port.unref();
    void this.worker.terminate();
  }

  /** Executes the spec; resolves once every declaration is registered. */
  load(): Promise<SpecBuilder> {
    return new Promise((resolveLoad, reject) => {
      this.port.ref();
      let timer: NodeJS.Timeout | undefined;
      if (this.loadTimeoutMs !== undefined) {
        const limit = this.loadTimeoutMs;
        timer = setTimeout(() => {
          // The worker ends the load with a positioned error at its next step; if it is stuck outside
          // Starlark code, it is terminated and the error has no position.
          this.cancel(CancelReason.LoadTimeout);
          timer = setTimeout(() => {
            const message = cancelMessage(CancelReason.LoadTimeout, limit);
            this.terminate(message);
            this.loaded({ message: `${message}; it could not be interrupted and was stopped` });
          }, STOP_GRACE_MS);
        }, limit);
      }
      this.loaded = (e) => {
        clearTimeout(timer);
        this.loaded = () => undefined;
        this.port.unref();
        if (!e) return resolveLoad(this.builder);
        const location = e.file && e.line ? { file: e.file, line: e.line } : undefined;
        reject(
          new SpecError(e.formatted ?? e.message, {
            location: e.formatted ? undefined : location,
            code: e.spec ? "SPEC_ERROR" : "SPEC_LOAD_FAILED",
          }),
        );
      };
    });
  }

  async close(): Promise<void> {
    this.dead ??= "the run ended";
    await this.worker.terminate();
  }

  private send(m: ToWorker): void {
    this.port.postMessage(m);
    notify(this.flag);
  }

  /** Calls a Starlark callable in the worker. */
  invoke(fn: number, args: unknown[]): Promise<Boxed> {
    if (this.dead) return Promise.reject(new SpecError(`the Starlark worker was stopped: ${this.dead}`));
    const id = this.nextInvoke++;
    // A monitor callback's steps must be tagged as its own (it never sees them): keep the caller's origin.
    const origin = emissionOrigin.getStore();
    if (origin) this.origins.set(id, origin);
    this.port.ref();
    return new Promise<Boxed>((resolveCall, reject) => {
      this.pending.set(id, { resolve: resolveCall, reject });
      this.send({ t: "invoke", id, fn, args: args.map((a) => this.toWire(a)), epoch: this.epoch });
    }).finally(() => {
      this.origins.delete(id);
      if (this.pending.size === 0) this.port.unref();
    });
  }

  private fn(id: number, name: string): Fn {
    const f = (async (...args: unknown[]) => this.invoke(id, args)) as Fn;
    f.fnName = name;
    f.fnId = id;
    return f;
  }

  private async onMessage(m: ToMain): Promise<void> {
    switch (m.t) {
      case "print":
        process.stderr.write(m.text + "\n");
        return;
      case "file":
        noteSpecFile(m.path);
        return;
      case "loaded":
        this.loaded(m.ok ? undefined : m.error);
        return;
      case "reply": {
        this.abandoned.delete(m.id);
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve({ ...m.value, __boxed: true });
        else p.reject(errorFromInfo(m.error));
        return;
      }
      case "op": {
        try {
          const origin = m.inv !== undefined ? this.origins.get(m.inv) : undefined;
          const args = this.fromWire(m.args) as Record<string, unknown>;
          const value = origin
            ? await emissionOrigin.run(origin, () => this.op(m.op, args))
            : await this.op(m.op, args);
          this.send({ t: "result", id: m.id, ok: true, value: this.toWire(value) });
        } catch (err) {
          this.send({ t: "result", id: m.id, ok: false, error: infoFromError(err) });
        }
      }
    }
  }

  // ---- marshalling --------------------------------------------------------------------------------

  private toWire(v: unknown): unknown {
    if (
      v === undefined ||
      v === null ||
      typeof v === "string" ||
      typeof v === "number" ||
      typeof v === "boolean"
    )
      return v ?? null;
    if (typeof v === "bigint") return { $big: v.toString() };
    if (isBoxed(v)) return { $h: v.h };
    if (Array.isArray(v)) return v.map((x) => this.toWire(x));
    const o = v as Record<string, unknown>;
    if ("seq" in o && "type" in o && "service" in o && "data" in o && "time" in o) {
      const e = o as unknown as StoredEvent;
      return { $event: { seq: e.seq, time: e.time, type: e.type, service: e.service, data: e.data } };
    }
    if ("duration_ms" in o && "ok" in o && "status" in o) return { $response: o as unknown as Response };
    const kind = (o as { kind?: string }).kind;
    if (kind === "service") {
      const s = o as unknown as ServiceDef;
      return {
        $ref: this.refs.id(o),
        kind,
        info: {
          name: s.name,
          image: !!s.image,
          interfaces: s.interfaces.map((i) => ({ name: i.name, protocol: i.protocol, port: i.port })),
        },
      };
    }
    if (kind === "interface") {
      const i = o as unknown as InterfaceDef;
      return { $ref: this.refs.id(o), kind, info: { name: i.name, protocol: i.protocol, port: i.port } };
    }
    if (kind === "node_ref" || kind === "link_ref") {
      const r = o as unknown as NodeRef | LinkRef;
      return {
        $ref: this.refs.id(o),
        kind,
        info: {
          text: r.text,
          service: r.service,
          ...(kind === "node_ref" ? { node: (r as NodeRef).node } : {}),
        },
      };
    }
    if (
      kind === "service_action" ||
      kind === "fault_assumption" ||
      kind === "monitor" ||
      kind === "proxy_rule" ||
      kind === "syscall_fault" ||
      kind === "scenario" ||
      kind === "healthcheck" ||
      kind === "observe" ||
      kind === "decoder"
    ) {
      return {
        $ref: this.refs.id(o),
        kind,
        info: { name: (o as { name?: string }).name ?? "", text: (o as { text?: string }).text ?? "" },
      };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.toWire(x);
    return out;
  }

  private fromWire(w: unknown): unknown {
    if (w === null || typeof w !== "object") return w;
    if (Array.isArray(w)) return w.map((x) => this.fromWire(x));
    const o = w as Record<string, unknown>;
    if ("$ref" in o) return this.refs.get(o.$ref as number);
    if ("$fn" in o) return this.fn(o.$fn as number, String(o.name ?? "lambda"));
    if ("$h" in o)
      return {
        __boxed: true,
        h: o.$h,
        truth: Boolean(o.truth),
        repr: String(o.repr ?? ""),
        none: false,
      } as Boxed;
    if ("$big" in o) return BigInt(o.$big as string);
    if ("$event" in o) return o.$event;
    if ("$dict" in o) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of o.$dict as [unknown, unknown][]) out[String(k)] = this.fromWire(v);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = this.fromWire(v);
    return out;
  }

  // ---- operations ---------------------------------------------------------------------------------

  private run(what: string) {
    return this.builder.runtime.run(what);
  }

  private async op(op: string, a: Record<string, unknown>): Promise<unknown> {
    const b = this.builder;
    switch (op) {
      case "interface":
        await preparePorts(); // port 0 takes a pooled free port (core/ports.ts)
        return b.interface(a.name as string, a.protocol as string, a.port as number);
      case "service":
        await preparePorts(); // an image's published ports too
        return b.service(a.name as string, {
          interfaces: a.interfaces as InterfaceDef[],
          binary: a.binary as string | undefined,
          image: a.image as string | undefined,
          remote: a.remote as string | undefined,
          args: a.args as string[] | undefined,
          env: stringDict(a.env, `service("${a.name}") env`),
          dependsOn: a.depends_on as (string | ServiceDef)[] | undefined,
          healthcheck: (a.healthcheck as { check: Healthcheck } | undefined)?.check,
          reuse: a.reuse as boolean | undefined,
          mayExit: a.may_exit as boolean | undefined,
          observe: (a.observe as { source: ObserveSource }[] | undefined)?.map((o) => o.source),
          ports: a.ports
            ? Object.fromEntries(Object.entries(a.ports as object).map(([k, v]) => [Number(k), Number(v)]))
            : undefined,
          seed: a.seed as Fn | undefined,
          reset: a.reset as Fn | undefined,
          ops: a.ops as Record<string, { syscalls: string[]; path?: string }> | undefined,
          location: a.location as SourceLocation | undefined,
        });
      case "healthcheck":
        if (a.kind === "kafka_ready") {
          // The reference's kafka_ready(addr, timeout="120s"); addr is optional here (the service's kafka interface).
          return {
            kind: "healthcheck",
            name: a.kind,
            check: b.protocolHealthcheck(
              "kafka_ready",
              "kafka",
              a.target as string | undefined,
              a.timeout as string | undefined,
              120_000,
            ),
          };
        }
        return {
          kind: "healthcheck",
          name: a.kind,
          check: b.healthcheck(
            a.kind as "tcp",
            a.target as string | undefined,
            a.timeout as string | undefined,
          ),
        };
      case "decoder": {
        const d: Decoder =
          a.kind === "json"
            ? jsonDecoder()
            : a.kind === "logfmt"
              ? logfmtDecoder()
              : regexDecoder(a.pattern as string);
        return { kind: "decoder", name: d.name, decoder: d };
      }
      case "observe":
        return {
          kind: "observe",
          name: a.stream,
          source: {
            kind: a.stream as "stdout",
            decoder: (a.decoder as { decoder?: Decoder } | undefined)?.decoder,
          },
        };
      case "syscall_fault":
        return b.syscallFault(a.action as SyscallFault["action"], a.arg as string | undefined, {
          probability: a.probability,
          label: a.label as string | undefined,
          maxFires: a.max_fires,
        });
      case "proxy_rule": {
        const params = { ...(a.params as Record<string, unknown>) };
        // Duration parameters (delay=, throttle's time=) read the one grammar here, so a bare number is
        // refused at load instead of reaching a proxy that takes numbers as milliseconds.
        for (const name of ["delay", "time"]) {
          if (params[name] === undefined) continue;
          params[`${name}Ms`] = parseDuration(params[name], `${a.action}(${name}=)`);
          delete params[name];
        }
        return b.proxyRule(
          a.action as string,
          stringDict(a.match, `${a.action}()`) ?? {},
          params,
          a.probability,
          a.params as Record<string, unknown>,
        );
      }
      case "service_action_rule":
        return b.serviceAction(a.action as ActionName, (a.params ?? {}) as ServiceActionRule["params"]);
      case "node_ref":
        return b.nodeRef(
          a.service as string,
          a.select !== undefined
            ? { select: a.select as string, args: (a.args ?? {}) as Record<string, unknown> }
            : { node: a.node as number },
        );
      case "link_ref":
        return b.linkRef(a.service as string, a.from as NodeRef | number, a.to as NodeRef | number);
      case "service_action": {
        const t = a.target as { service?: string; node?: NodeRef; link?: LinkRef };
        const target: ActionTarget = t.link
          ? { link: t.link }
          : t.node
            ? { node: t.node }
            : { service: t.service! };
        const what = t.link?.text ?? t.node?.text ?? t.service!;
        return this.run(`${what}.${a.verb}()`).serviceAction(
          target,
          a.verb as never,
          (a.params ?? {}) as ServiceActionRule["params"],
        );
      }
      case "syscall_sites":
        return void b.planSyscallSites(a.sites as SyscallFaultSite[]);
      case "fault_assumption":
        return b.faultAssumption(a.name as string, {
          target: a.target as ServiceDef | { service: string; iface: string } | NodeRef | LinkRef | undefined,
          rules: a.rules as never,
          syscall: a.syscall as Record<string, SyscallFault> | undefined,
          monitors: a.monitors as MonitorDef[] | undefined,
          faults: a.faults as FaultAssumption[] | undefined,
          description: a.description as string | undefined,
          location: a.location as SourceLocation | undefined,
        });
      case "scenario": {
        const fn = a.fn as Fn;
        const ref = b.scenario(
          { name: fn.fnName, fn: async () => unboxNone(await fn()), identity: fn.fnId },
          a.location as SourceLocation | undefined,
        );
        return { kind: "scenario", name: ref.name, ref };
      }
      case "fault_scenario": {
        return void b.faultScenario(a.name as string, {
          scenario: scenarioRef(a.scenario),
          faults: a.faults as FaultAssumption[],
          expect: voidFn(a.expect),
          monitors: a.monitors as MonitorDef[] | undefined,
          timeoutMs: a.timeout != null ? parseDuration(a.timeout, "fault_scenario(timeout=)") : undefined,
          location: a.location as SourceLocation | undefined,
        });
      }
      case "fault_matrix":
        return void b.faultMatrix({
          scenarios: (a.scenarios as unknown[]).map(scenarioRef),
          faults: a.faults as FaultAssumption[],
          defaultExpect: voidFn(a.default_expect),
          overrides: (a.overrides as { scenario: string; fault: string; expect: unknown }[] | undefined)?.map(
            (o) => ({ scenario: o.scenario, fault: o.fault, expect: voidFn(o.expect)! }),
          ),
          exclude: a.exclude as { scenario: string; fault: string }[] | undefined,
          monitors: a.monitors as MonitorDef[] | undefined,
          location: a.location as SourceLocation | undefined,
        });
      case "test": {
        const fn = a.fn as Fn;
        return void b.test(a.name as string, async () => unboxNone(await fn()), {
          timeoutMs: a.timeoutMs as number | undefined,
          location: a.location as SourceLocation | undefined,
          discovered: a.discovered === true,
        });
      }
      case "monitor_callback": {
        const fn = a.fn as Fn;
        return b.monitor({
          kind: "monitor",
          form: "callback",
          name: fn.fnName,
          filters: (a.filters as Record<string, unknown>) ?? {},
          callback: async (e) => void (await fn(e)),
          location: a.location as SourceLocation | undefined,
        });
      }
      case "monitor_stateful": {
        const on = a.on as Fn | undefined;
        const filters = a.on_filters as Record<string, unknown> | undefined;
        const { matchesFilters } = await import("../core/events.js");
        return b.monitor({
          kind: "monitor",
          form: "stateful",
          name: a.name as string,
          on: on
            ? wrapFn(on, (f) => async (e: StoredEvent) => (await f(e)).truth)!
            : async (e) => matchesFilters(e, filters ?? {}),
          stateInit: a.state_init,
          update: wrapFn(a.update, (f) => async (e: StoredEvent, s: unknown) => f(e, s)),
          check: wrapFn(a.check, (f) => async (e: StoredEvent, s: unknown) => f(e, s)),
          truthy: (v) => (isBoxed(v) ? v.truth : Boolean(v)),
          location: a.location as SourceLocation | undefined,
        });
      }
      // ---- while a test runs ----
      case "step":
        return this.run(`${a.service}.${a.iface}.${a.method}()`).step(
          a.service as string,
          a.iface as string,
          a.method as string,
          (a.kwargs as Record<string, unknown>) ?? {},
        );
      case "events":
        return this.run("events()").events({ filters: (a.filters as Record<string, unknown>) ?? {} });
      case "events_all": {
        const r = this.run("events()");
        await r.settle();
        return [...r.log.all()];
      }
      case "events_after":
        return this.run("assert_eventually()").eventsAfter(a.after as number, a.timeoutMs as number);
      case "note_query":
        return void this.run("events()").noteQuery(a.found as number);
      case "assert_true":
        return void this.run("assert_true()").assertTrue(a.truth as boolean, a.message as string | undefined);
      case "assert_eq":
        return void this.run("assert_eq()").assertEqOutcome(a as never);
      case "assert_outcome":
        return void this.run(`${a.assertion}()`).assertionOutcome(
          a.assertion as string,
          a.failure as string | undefined,
        );
      case "assert_eventually_filters":
        return this.run("assert_eventually()").assertEventually({
          filters: a.filters as Record<string, unknown>,
          timeoutMs: a.timeoutMs as number,
        });
      case "assert_never_filters":
        return void (await this.run("assert_never()").assertNever({
          filters: a.filters as Record<string, unknown>,
        }));
      case "assert_before":
        return void (await this.run("assert_before()").assertBefore(
          a.first as Record<string, unknown>,
          a.then as Record<string, unknown>,
        ));
      case "fault_window": {
        const r = this.run("fault()");
        const fn = a.run as Fn;
        let assumption = a.assumption as FaultAssumption | undefined;
        if (!assumption) {
          assumption = b.faultAssumption(a.label as string, {
            target: a.target as ServiceDef | { service: string; iface: string } | NodeRef | LinkRef,
            rules: a.rules as never,
            syscall: a.syscall as Record<string, SyscallFault> | undefined,
          });
        }
        const result = await r.withFaults([assumption], () => fn());
        return result.none ? null : result;
      }
      case "observer": {
        const make = getProtocol(a.protocol as string)?.observers?.[a.name as string];
        if (!make)
          throw new SpecError(
            `${a.name}() is not available: protocol "${a.protocol}" offers no such event source`,
          );
        return { kind: "observe", name: a.name, source: make(...(a.args as unknown[]), a.kwargs) };
      }
      case "check_history": {
        const v = await runHistoryCheck(
          this.run("check_history()"),
          a as HistoryCheckOptions,
          "check_history()",
        );
        return { $history: verdictForSpec(v) };
      }
      case "assert_history": {
        const run = this.run("assert_history()");
        const v = await runHistoryCheck(run, a as HistoryCheckOptions, "assert_history()");
        return void run.assertionOutcome("assert_history", historyFailure(v));
      }
      case "history_monitor":
        return b.monitor(
          historyMonitorDef(
            () => this.run("history_monitor()"),
            a as HistoryCheckOptions,
            "history_monitor()",
          ),
        );
      case "random":
        return this.run("random()").rng.next();
    }
    throw new Error(`unknown operation ${op}`);
  }
}

function unboxNone(b: Boxed): Boxed | undefined {
  return b.none ? undefined : b;
}

/** A scenario function (a def, or what scenario(fn) returned); anything else is left for the builder to refuse. */
function scenarioRef(s: unknown): ScenarioRef {
  if (typeof s === "function") {
    const f = s as Fn;
    return { name: f.fnName, fn: async () => unboxNone(await f()), identity: f.fnId };
  }
  const ref = (s as { kind?: string; ref?: { name: string; fn: () => Promise<unknown> } } | null)?.ref;
  return ref ?? (s as { name: string; fn: () => Promise<unknown> });
}

/** Adapts a Starlark callable; anything else is passed on as it is, for the builder to refuse by name. */
function wrapFn<T>(v: unknown, wrap: (f: Fn) => T): T | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === "function" ? wrap(v as Fn) : (v as T);
}

/** A Starlark callable whose result is ignored (expect=). */
function voidFn(v: unknown): ((r: unknown) => Promise<void>) | undefined {
  return wrapFn(v, (f) => async (r: unknown) => void (await f(r)));
}

function stringDict(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as object)) {
    if (typeof x !== "string" && typeof x !== "number" && typeof x !== "boolean") {
      throw new SpecError(`${where}: value of "${k}" must be a string, got ${typeof x}`);
    }
    out[k] = String(x);
  }
  return out;
}
