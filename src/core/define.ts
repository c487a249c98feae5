// The TypeScript front end: `export default defineSpec((fb) => { ... })` declares a spec with the same
// engine the Starlark builtins use. `faultbox test spec.ts` loads it like a .star file.
import { isDeepStrictEqual, inspect } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  FAULTABLE_SYSCALLS,
  SpecBuilder,
  type AssumptionOptions,
  type FaultMatrixOptions,
  type ScenarioRef,
  type ServiceOptions,
} from "./builder.js";
import { SpecError, type SourceLocation } from "./errors.js";
import { jsonDecoder, logfmtDecoder, regexDecoder, type Decoder } from "./decoders.js";
import type { EventPredicate, StoredEvent } from "./events.js";
import { loadFile, loadJson, loadYaml } from "./files.js";
import type { ActionTarget, ActionVerb } from "./actions.js";
import type {
  FaultAssumption,
  InterfaceDef,
  LinkRef,
  MonitorDef,
  NodeRef,
  ServiceActionRule,
  ObserveSource,
  ProxyRule,
  ServiceDef,
  SyscallFault,
} from "./model.js";
import { parseDuration } from "./duration.js";
import { checkOptionKeys, type KeyList } from "./options.js";
import {
  historyFailure,
  historyMonitorDef,
  runHistoryCheck,
  type HistoryCheckOptions,
  type HistoryVerdict,
} from "./history/index.js";
import type { Response } from "./response.js";
import { preparePorts } from "./ports.js";
import { formatAddr, proxyPlaceholder } from "./topology.js";

export interface InterfaceHandle {
  readonly service: string;
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly host: string;
  readonly addr: string;
  readonly internalAddr: string;
  /** Late-bound: resolves to the proxy's address inside env values. */
  readonly proxyAddr: string;
  readonly proxyHost: string;
  readonly proxyPort: string;
  call(method: string, args?: Record<string, unknown>): Promise<Response>;
  get(args?: Record<string, unknown>): Promise<Response>;
  post(args?: Record<string, unknown>): Promise<Response>;
  put(args?: Record<string, unknown>): Promise<Response>;
  patch(args?: Record<string, unknown>): Promise<Response>;
  delete(args?: Record<string, unknown>): Promise<Response>;
  send(args: { data: string }): Promise<Response>;
  query(args: { sql: string } & Record<string, unknown>): Promise<Response>;
  exec(args: { sql: string } & Record<string, unknown>): Promise<Response>;
}

/** Service actions as steps; each resolves with the data of its `service_action` event. */
export interface ActionSteps {
  kill(): Promise<Record<string, unknown>>;
  stop(): Promise<Record<string, unknown>>;
  start(): Promise<Record<string, unknown>>;
  /** Graceful stop then start; `{ kill: true }`: SIGKILL instead of the graceful stop. */
  restart(options?: { kill?: boolean }): Promise<Record<string, unknown>>;
  pause(): Promise<Record<string, unknown>>;
  resume(): Promise<Record<string, unknown>>;
  /** Heals the links this service's or node's actions cut. */
  heal(): Promise<Record<string, unknown>>;
}

/** One node of a service (`svc.node(2)`, `svc.select("leader", { topic: "t" })`). */
export interface NodeHandle extends ActionSteps {
  readonly ref: NodeRef;
  /**
   * Cuts every link to and from this node (a network partition around it); `clients: true` cuts the
   * service's clients off it too (their connections through the proxy are held).
   */
  isolate(options?: { clients?: boolean }): Promise<Record<string, unknown>>;
}

/** The connections one node opens to another (`svc.link(1, 2)`). */
export interface LinkHandle {
  readonly ref: LinkRef;
  cut(options?: { oneWay?: boolean }): Promise<Record<string, unknown>>;
  heal(): Promise<Record<string, unknown>>;
}

export type ServiceHandle<N extends string> = {
  readonly name: string;
  readonly def: ServiceDef;
  iface(name: N): InterfaceHandle;
  /** Node n (1 is the first; a process or container has node 1 only). */
  node(id: number): NodeHandle;
  /** A node chosen by a protocol's selector when an action fires, e.g. ("leader", { topic: "t", partition: 0 }). */
  select(selector: string, args?: Record<string, unknown>): NodeHandle;
  link(from: number | NodeHandle, to: number | NodeHandle): LinkHandle;
} & ActionSteps & { readonly [K in N]: InterfaceHandle };

/** What service actions take as a target: a service handle (any interfaces), a node or a link. */
type ActionTargetHandle = Pick<ServiceHandle<string>, "def" | "name"> | NodeHandle | LinkHandle;

export interface NamedInterface<N extends string> extends InterfaceDef {
  name: N;
  /** `127.0.0.1:<port>`: where the service itself listens (not the proxy). */
  readonly addr: string;
  readonly host: string;
}

type Query = { where?: EventPredicate } & Record<string, unknown>;

/** check_history's keywords (docs/history.md). */
export interface HistoryOptions {
  topic?: string | string[];
  id?: string;
  allow?: string[];
  timeout?: string;
}

export interface SpecApi {
  readonly file: string;
  readonly dir: string;
  interface<N extends string>(name: N, protocol: string, port?: number): NamedInterface<N>;
  service<N extends string>(
    name: string,
    options: Omit<ServiceOptions, "interfaces" | "location"> & { interfaces?: NamedInterface<N>[] },
  ): ServiceHandle<N>;
  tcp(addr: string, options?: { timeout?: string }): ServiceOptions["healthcheck"];
  http(url: string, options?: { timeout?: string }): ServiceOptions["healthcheck"];
  ready(options?: { timeout?: string }): ServiceOptions["healthcheck"];
  stdout(options?: { decoder?: Decoder }): ObserveSource;
  stderr(options?: { decoder?: Decoder }): ObserveSource;
  jsonDecoder(): Decoder;
  logfmtDecoder(): Decoder;
  regexDecoder(pattern: string): Decoder;

  test(name: string, body: () => Promise<unknown> | unknown, options?: { timeout?: string }): void;
  scenario(name: string, fn: () => Promise<unknown> | unknown): ScenarioRef;
  faultAssumption(
    name: string,
    options: Omit<AssumptionOptions, "target" | "location"> & {
      target?: InterfaceHandle | ActionTargetHandle;
    },
  ): FaultAssumption;
  faultScenario(
    name: string,
    options: {
      scenario: ScenarioRef;
      faults?: FaultAssumption | FaultAssumption[];
      expect?: (r: unknown) => unknown;
      monitors?: MonitorDef[];
      /** Past it the test is inconclusive, as fault_scenario(timeout=). */
      timeout?: string;
    },
  ): void;
  faultMatrix(
    options: Omit<FaultMatrixOptions, "defaultExpect" | "overrides" | "location"> & {
      defaultExpect?: (r: unknown) => unknown;
      overrides?: { scenario: string; fault: string; expect: (r: unknown) => unknown }[];
    },
  ): void;
  /** Runs fn with the fault active, removing it afterwards (service actions are undone). */
  fault<T>(
    target: FaultAssumption | InterfaceHandle | ActionTargetHandle,
    run: () => Promise<T> | T,
    ...rules: (ProxyRule | ServiceActionRule)[]
  ): Promise<T>;
  /** Service actions as faults: applied when the window opens, undone when it closes. */
  actions: {
    kill(): ServiceActionRule;
    restart(options?: { kill?: boolean }): ServiceActionRule;
    stop(): ServiceActionRule;
    pause(): ServiceActionRule;
    isolate(options?: { clients?: boolean }): ServiceActionRule;
    cut(options?: { oneWay?: boolean }): ServiceActionRule;
  };
  rules: {
    /** Matchers, and times=/after=/probability= as in Starlark (probability may also come second). */
    drop(match?: Record<string, string | number>, options?: { probability?: number | string }): ProxyRule;
    delay(options: { delay: string } & Record<string, string | number>): ProxyRule;
    /** HTTP/TCP: status=, message=; Kafka: code= (error name or number). times=/after= where the proxy counts. */
    error(options?: Record<string, string | number>): ProxyRule;
    response(options?: Record<string, string | number>): ProxyRule;
    duplicate(options?: Record<string, string | number>): ProxyRule;
    /** Kafka: close the client's connection when a matching request arrives. */
    disconnect(options?: Record<string, string | number>): ProxyRule;
    /** Kafka: the broker processes the request; the client's connection closes where the answer would come. */
    loseResponse(options?: Record<string, string | number>): ProxyRule;
    /** Kafka: the broker processes the request at once; its answer is held `delay` (e.g. "2s"). */
    delayResponse(options: { delay: string } & Record<string, string | number>): ProxyRule;
    /** Kafka: answers carry throttle_time_ms = `time` (e.g. "2s") and the connection mutes for it. */
    throttle(options: { time: string } & Record<string, string | number>): ProxyRule;
    /** Kafka: matching requests (e.g. by client_id) are swallowed and their connection goes silent. */
    blackhole(options?: Record<string, string | number>): ProxyRule;
  };
  syscall: {
    /** probability: 0..1 or "25%"; maxFires: stop after this many fires each time the fault is set. */
    deny(
      errno: string,
      options?: { probability?: number | string; label?: string; maxFires?: number },
    ): SyscallFault;
    delay(
      duration: string,
      options?: { probability?: number | string; label?: string; maxFires?: number },
    ): SyscallFault;
    allow(): SyscallFault;
  };

  events(query?: Query): Promise<StoredEvent[]>;
  assertTrue(cond: unknown, message?: string): void;
  assertEq(a: unknown, b: unknown, message?: string): void;
  assertEventually(query: Query & { timeout?: string }): Promise<StoredEvent>;
  assertNever(query: Query): Promise<void>;
  assertBefore(
    first: Record<string, unknown> | EventPredicate,
    then: Record<string, unknown> | EventPredicate,
  ): Promise<void>;
  fail(message: string): never;
  /** The history check of docs/history.md: what producers were told, what Kafka stored, what consumers read. */
  checkHistory(options?: HistoryOptions): Promise<HistoryVerdict>;
  assertHistory(options?: HistoryOptions): Promise<void>;
  historyMonitor(options?: HistoryOptions): MonitorDef;
  print(...values: unknown[]): void;
  monitor(fn: (event: StoredEvent) => unknown, filters?: Record<string, unknown>): MonitorDef;
  monitor(
    name: string,
    options: {
      on: (e: StoredEvent) => unknown;
      stateInit?: unknown;
      update?: (e: StoredEvent, state: unknown) => unknown;
      check?: (e: StoredEvent, state: unknown) => unknown;
    },
  ): MonitorDef;
  loadFile(path: string): string;
  loadJson(path: string): unknown;
  loadYaml(path: string): unknown;
  /** Seeded by --seed: reproducible across runs with the same seed. */
  random(): number;
}

export type SpecDefinition = {
  readonly __faultboxSpec: true;
  readonly define: (fb: SpecApi) => void | Promise<void>;
};

export function defineSpec(define: (fb: SpecApi) => void | Promise<void>): SpecDefinition {
  return { __faultboxSpec: true, define };
}

/** Finds the first stack frame inside the spec file (the line of the failing assertion). */
function locationFromStack(file: string, stack: string | undefined): SourceLocation | undefined {
  if (!stack) return undefined;
  const url = pathToFileURL(file).href;
  for (const line of stack.split("\n")) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const path = m[1]!.startsWith("file://") ? m[1]! : pathToFileURL(m[1]!).href;
    if (path === url) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

function callerLocation(file: string): SourceLocation | undefined {
  return locationFromStack(file, new Error().stack);
}

const jsLanguage = {
  repr: (v: unknown) =>
    typeof v === "string" ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: Infinity }),
  equals: (a: unknown, b: unknown) => isDeepStrictEqual(a, b),
  truthy: (v: unknown) => Boolean(v),
};

/** Loads a TypeScript spec module and returns its builder (suite + runtime). */
export async function loadTypeScriptSpec(file: string): Promise<SpecBuilder> {
  let mod: { default?: SpecDefinition };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: SpecDefinition };
  } catch (err) {
    // A syntax or runtime error in the user's module is a spec error, reported without our stack.
    const e = err as Error;
    const hint = /require\(\) ES Module|Cannot use import statement/.test(e.message)
      ? ' (a TypeScript spec is an ES module: name it .mts, or add "type": "module" to the nearest package.json)'
      : "";
    throw new SpecError(`${file}: ${e.message}${hint}`, { location: locationFromStack(file, e.stack) });
  }
  const def = mod.default;
  if (!def || def.__faultboxSpec !== true) {
    throw new SpecError(`${file}: a TypeScript spec must \`export default defineSpec((fb) => { ... })\``);
  }
  const builder = new SpecBuilder(file, jsLanguage);
  // The spec declares its interfaces synchronously: have free ports ready (ports.ts).
  await preparePorts(16, 16);
  try {
    await def.define(createApi(builder));
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const e = err as Error;
    throw new SpecError(e.message, { location: locationFromStack(file, e.stack) });
  }
  return builder;
}

export function createApi(b: SpecBuilder): SpecApi {
  const file = b.suite.file;
  const rt = b.runtime;
  const run = (what: string) => {
    const r = rt.run(what);
    r.locate = () => callerLocation(file);
    return r;
  };

  /**
   * A proxy rule from one options object, as the Starlark builtins take keywords: the rule's own
   * parameters, times/after/probability, and the rest as matchers (which the target's protocol checks
   * when the rule is given to it, naming the matchers it has).
   */
  const rule = (
    action: string,
    options: Record<string, string | number>,
    paramKeys: string[],
    params: Record<string, unknown> = {},
  ): ProxyRule => {
    const { times, after, probability, ...rest } = options;
    const match: Record<string, string> = {};
    const all: Record<string, unknown> = { ...params, ...counts(times, after) };
    for (const [k, v] of Object.entries(rest)) {
      if (paramKeys.includes(k)) all[k] = v;
      else match[k] = String(v);
    }
    return b.proxyRule(action, match, all, probability);
  };

  /** Checks an options object's keys (the error names the spec line) and hands it back. */
  const checked = <T extends object | undefined>(where: string, o: T, valid: readonly string[]): T => {
    checkOptionKeys(where, o, valid, callerLocation(file));
    return o;
  };

  const interfaceHandle = (svc: ServiceDef, i: InterfaceDef): InterfaceHandle => {
    const call = (method: string, args: Record<string, unknown> = {}) =>
      run(`${svc.name}.${i.name}.${method}()`).step(svc.name, i.name, method, args);
    const addr = formatAddr({ host: "127.0.0.1", port: i.port });
    return {
      service: svc.name,
      name: i.name,
      protocol: i.protocol,
      port: i.port,
      host: "127.0.0.1",
      addr,
      internalAddr: svc.image ? `${svc.name}:${i.port}` : addr,
      proxyAddr: proxyPlaceholder("ADDR", svc.name, i.name),
      proxyHost: proxyPlaceholder("HOST", svc.name, i.name),
      proxyPort: proxyPlaceholder("PORT", svc.name, i.name),
      call,
      get: (a) => call("get", a),
      post: (a) => call("post", a),
      put: (a) => call("put", a),
      patch: (a) => call("patch", a),
      delete: (a) => call("delete", a),
      send: (a) => call("send", a),
      query: (a) => call("query", a),
      exec: (a) => call("exec", a),
    };
  };

  const act = (target: ActionTarget, verb: ActionVerb, params: ServiceActionRule["params"] = {}) =>
    run(`${verb}()`).serviceAction(target, verb, params);
  const actionSteps = (target: ActionTarget): ActionSteps => ({
    kill: () => act(target, "kill"),
    stop: () => act(target, "stop"),
    start: () => act(target, "start"),
    restart: (o = {}) => act(target, "restart", o.kill !== undefined ? { kill: o.kill } : {}),
    pause: () => act(target, "pause"),
    resume: () => act(target, "resume"),
    heal: () => act(target, "heal"),
  });
  const nodeHandle = (ref: NodeRef): NodeHandle => ({
    ref,
    ...actionSteps({ node: ref }),
    isolate: (o = {}) => act({ node: ref }, "isolate", o.clients !== undefined ? { clients: o.clients } : {}),
  });
  /** A handle's engine object: service def, node or link reference. */
  const targetOf = (t: InterfaceHandle | ActionTargetHandle) => {
    if ("def" in t) return t.def;
    if ("ref" in t) return t.ref;
    return { service: t.service, iface: t.name };
  };

  const toQuery = (q: Query = {}) => {
    const { where, timeout: _t, ...filters } = q;
    return { where, filters };
  };

  const api: SpecApi = {
    file,
    dir: b.suite.dir,
    interface: (name, protocol, port = 0) => {
      const def = b.interface(name, protocol, port);
      Object.defineProperty(def, "addr", { value: `127.0.0.1:${def.port}`, enumerable: false });
      Object.defineProperty(def, "host", { value: "127.0.0.1", enumerable: false });
      return def as NamedInterface<typeof name>;
    },
    service<N extends string>(
      name: string,
      options: Omit<ServiceOptions, "interfaces" | "location"> & { interfaces?: NamedInterface<N>[] },
    ) {
      const location = callerLocation(file);
      checkOptionKeys(`service("${name}")`, options, SERVICE_KEYS, location, serviceKeyHint);
      for (const [op, o] of Object.entries(options.ops ?? {}))
        checkOptionKeys(`service("${name}") ops.${op}`, o, OP_KEYS, location);
      const def = b.service(name, { ...options, location });
      const handles = new Map(def.interfaces.map((i) => [i.name, interfaceHandle(def, i)]));
      const handle: Record<string, unknown> = {
        name,
        def,
        iface(n: string) {
          const h = handles.get(n);
          if (!h) throw new SpecError(`service "${name}" has no interface "${n}"`);
          return h;
        },
      };
      Object.assign(handle, actionSteps({ service: name }), {
        node: (id: number) => nodeHandle(b.nodeRef(name, { node: id })),
        select: (selector: string, args: Record<string, unknown> = {}) =>
          nodeHandle(b.nodeRef(name, { select: selector, args })),
        link: (from: number | NodeHandle, to: number | NodeHandle): LinkHandle => {
          const ref = b.linkRef(
            name,
            typeof from === "number" ? from : from.ref,
            typeof to === "number" ? to : to.ref,
          );
          return {
            ref,
            cut: (o = {}) => act({ link: ref }, "cut", o.oneWay !== undefined ? { oneWay: o.oneWay } : {}),
            heal: () => act({ link: ref }, "heal"),
          };
        },
      });
      for (const [n, h] of handles) if (!(n in handle)) handle[n] = h;
      return handle as unknown as ServiceHandle<N>;
    },
    tcp: (addr, o = {}) => b.healthcheck("tcp", addr, checked("tcp()", o, TIMEOUT_KEYS).timeout),
    http: (url, o = {}) => b.healthcheck("http", url, checked("http()", o, TIMEOUT_KEYS).timeout),
    ready: (o = {}) => b.healthcheck("ready", undefined, checked("ready()", o, TIMEOUT_KEYS).timeout),
    stdout: (o = {}) => ({ kind: "stdout", decoder: checked("stdout()", o, DECODER_KEYS).decoder }),
    stderr: (o = {}) => ({ kind: "stderr", decoder: checked("stderr()", o, DECODER_KEYS).decoder }),
    jsonDecoder,
    logfmtDecoder,
    regexDecoder,
    test: (name, body, o = {}) => {
      checked(`test("${name}")`, o, TIMEOUT_KEYS);
      b.test(name, async () => body(), {
        location: callerLocation(file),
        ...(o.timeout ? { timeoutMs: parseDuration(o.timeout, "test(timeout=)") } : {}),
      });
    },
    scenario: (name, fn) => b.scenario({ name, fn: async () => fn() }, callerLocation(file)),
    faultAssumption(name, o) {
      const location = callerLocation(file);
      // As in Starlark (`write=deny("EIO")`), a syscall fault may stand beside the options; the builder
      // checks its key against the syscall names. Any other unknown key is an error.
      const { target: t, ...rest } = o;
      const syscall: Record<string, SyscallFault> = { ...(o.syscall ?? {}) };
      const options: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) {
        if (!ASSUMPTION_KEYS.includes(k) && isSyscallFault(v)) syscall[k] = v;
        else options[k] = v;
      }
      checkOptionKeys(`faultAssumption("${name}")`, options, ASSUMPTION_KEYS, location, assumptionKeyHint);
      const target = t ? targetOf(t) : undefined;
      return b.faultAssumption(name, { ...o, syscall, target, location });
    },
    faultScenario: (name, o) => {
      const location = callerLocation(file);
      checkOptionKeys(`faultScenario("${name}")`, o, FAULT_SCENARIO_KEYS, location);
      b.faultScenario(name, {
        scenario: o.scenario,
        faults: o.faults === undefined ? [] : Array.isArray(o.faults) ? o.faults : [o.faults],
        expect: o.expect ? async (r) => o.expect!(r) : undefined,
        monitors: o.monitors,
        ...(o.timeout ? { timeoutMs: parseDuration(o.timeout, "faultScenario(timeout=)") } : {}),
        location,
      });
    },
    faultMatrix: (o) => {
      const location = callerLocation(file);
      checkOptionKeys("faultMatrix()", o, FAULT_MATRIX_KEYS, location);
      for (const x of o.overrides ?? [])
        checkOptionKeys("faultMatrix() overrides[]", x, OVERRIDE_KEYS, location);
      for (const x of o.exclude ?? []) checkOptionKeys("faultMatrix() exclude[]", x, CELL_KEYS, location);
      b.faultMatrix({
        ...o,
        defaultExpect: o.defaultExpect ? async (r) => o.defaultExpect!(r) : undefined,
        overrides: o.overrides?.map((x) => ({ ...x, expect: async (r: unknown) => x.expect(r) })),
        location,
      });
    },
    async fault(target, fn, ...rules) {
      const r = run("fault()");
      let assumption: FaultAssumption;
      if ("kind" in target && target.kind === "fault_assumption") assumption = target as FaultAssumption;
      else {
        const t = targetOf(target as InterfaceHandle | ActionTargetHandle);
        const label =
          "text" in t ? t.text : "iface" in t ? `${t.service}.${t.iface}` : (t as ServiceDef).name;
        assumption = b.faultAssumption(label, { target: t, rules, location: callerLocation(file) });
      }
      return r.withFaults([assumption], async () => fn());
    },
    actions: {
      kill: () => b.serviceAction("kill"),
      restart: (o = {}) => b.serviceAction("restart", o.kill !== undefined ? { kill: o.kill } : {}),
      stop: () => b.serviceAction("stop"),
      pause: () => b.serviceAction("pause"),
      isolate: (o = {}) => b.serviceAction("isolate", o.clients !== undefined ? { clients: o.clients } : {}),
      cut: (o = {}) => b.serviceAction("cut", o.oneWay !== undefined ? { oneWay: o.oneWay } : {}),
    },
    rules: {
      drop: (match = {}, o = {}) => {
        const { probability } = checked("rules.drop()", o, PROBABILITY_KEYS);
        return rule("drop", probability === undefined ? match : { probability, ...match }, []);
      },
      delay: ({ delay, ...options }) =>
        rule("delay", options, [], { delayMs: parseDuration(delay, "delay(delay=)") }),
      error: (options = {}) => rule("error", options, ["status", "message", "code"]),
      response: (options = {}) => rule("response", options, ["status", "body"]),
      duplicate: (options = {}) => rule("duplicate", options, []),
      disconnect: (options = {}) => rule("disconnect", options, []),
      loseResponse: (options = {}) => rule("lose_response", options, []),
      delayResponse: ({ delay, ...options }) =>
        rule("delay_response", options, [], { delayMs: parseDuration(delay, "delayResponse(delay=)") }),
      throttle: (options) => rule("throttle", options, ["time"]),
      blackhole: (options = {}) => rule("blackhole", options, []),
    },
    syscall: {
      deny: (errno, o) => b.syscallFault("deny", errno, checked("syscall.deny()", o, SYSCALL_FAULT_KEYS)),
      delay: (d, o) => b.syscallFault("delay", d, checked("syscall.delay()", o, SYSCALL_FAULT_KEYS)),
      allow: () => b.syscallFault("allow", undefined),
    },
    events: (q) => run("events()").events(toQuery(q)),
    assertTrue: (c, m) => run("assert_true()").assertTrue(c, m),
    assertEq: (a, c, m) => run("assert_eq()").assertEq(a, c, m),
    assertEventually: (q) =>
      run("assert_eventually()").assertEventually({
        ...toQuery(q),
        timeoutMs: q.timeout ? parseDuration(q.timeout as string) : 5000,
      }),
    assertNever: (q) => run("assert_never()").assertNever(toQuery(q)),
    assertBefore: (f, t) => run("assert_before()").assertBefore(f, t),
    fail: (m) => run("fail()").fail(m),
    checkHistory: (o) =>
      runHistoryCheck(
        run("checkHistory()"),
        historyOptions(checked("checkHistory()", o, HISTORY_KEYS)),
        "checkHistory()",
      ),
    async assertHistory(o) {
      const r = run("assertHistory()");
      const v = await runHistoryCheck(
        r,
        historyOptions(checked("assertHistory()", o, HISTORY_KEYS)),
        "assertHistory()",
      );
      r.assertionOutcome("assert_history", historyFailure(v, "assertHistory"));
    },
    historyMonitor: (o) =>
      b.monitor(
        historyMonitorDef(
          () => run("historyMonitor()"),
          historyOptions(checked("historyMonitor()", o, HISTORY_KEYS)),
          "historyMonitor()",
          callerLocation(file),
        ),
      ),
    print: (...v) =>
      process.stderr.write(v.map((x) => (typeof x === "string" ? x : jsLanguage.repr(x))).join(" ") + "\n"),
    monitor(first: unknown, second?: unknown): MonitorDef {
      const location = callerLocation(file);
      if (typeof first === "function") {
        const fn = first as (e: StoredEvent) => unknown;
        return b.monitor({
          kind: "monitor",
          form: "callback",
          name: fn.name || "monitor",
          filters: (second as Record<string, unknown>) ?? {},
          callback: async (e) => void (await fn(e)),
          location,
        });
      }
      if (typeof first !== "string") throw new SpecError("monitor() takes a callback or a name");
      const o = second as {
        on: (e: StoredEvent) => unknown;
        stateInit?: unknown;
        update?: (e: StoredEvent, s: unknown) => unknown;
        check?: (e: StoredEvent, s: unknown) => unknown;
      };
      checkOptionKeys(`monitor("${first}")`, o, MONITOR_KEYS, location);
      if (!o?.on) throw new SpecError(`monitor("${first}") requires on=`, { location });
      return b.monitor({
        kind: "monitor",
        form: "stateful",
        name: first,
        on: async (e) => Boolean(await o.on(e)),
        stateInit: o.stateInit,
        update: o.update ? async (e, s) => o.update!(e, s) : undefined,
        check: o.check ? async (e, s) => o.check!(e, s) : undefined,
        truthy: jsLanguage.truthy,
        location,
      });
    },
    loadFile: (p) => loadFile(b.suite.dir, p),
    loadJson: (p) => loadJson(b.suite.dir, p),
    loadYaml: (p) => loadYaml(b.suite.dir, p),
    random: () => {
      const r = rt.current;
      if (!r) throw new SpecError("random() can only be used while a test runs");
      return r.rng.next();
    },
  };
  return api;
}

/** times=/after= count limits as rule params (the protocol's proxy decides whether it implements them). */
function counts(
  times: string | number | undefined,
  after: string | number | undefined,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [
    ["times", times],
    ["after", after],
  ] as const) {
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new SpecError(`${k}= must be a non-negative integer, got ${v}`);
    out[k] = n;
  }
  return out;
}

export { fileURLToPath };

// ---- the keys each option object takes (checked by checkOptionKeys; documented in docs/runtime.md) ----

type ServiceApiOptions = Parameters<SpecApi["service"]>[1];
const SERVICE_KEYS = Object.keys({
  interfaces: true,
  binary: true,
  image: true,
  remote: true,
  args: true,
  env: true,
  dependsOn: true,
  healthcheck: true,
  reuse: true,
  mayExit: true,
  observe: true,
  ports: true,
  seed: true,
  reset: true,
  ops: true,
} satisfies KeyList<ServiceApiOptions>);
const OP_KEYS = ["syscalls", "path"];
const TIMEOUT_KEYS = ["timeout"];
const DECODER_KEYS = ["decoder"];
const PROBABILITY_KEYS = ["probability"];
const SYSCALL_FAULT_KEYS = Object.keys({
  probability: true,
  label: true,
  maxFires: true,
} satisfies KeyList<NonNullable<Parameters<SpecApi["syscall"]["deny"]>[1]>>);
const ASSUMPTION_KEYS = Object.keys({
  target: true,
  rules: true,
  syscall: true,
  monitors: true,
  faults: true,
  description: true,
} satisfies KeyList<Parameters<SpecApi["faultAssumption"]>[1]>);
const FAULT_SCENARIO_KEYS = Object.keys({
  scenario: true,
  faults: true,
  expect: true,
  monitors: true,
  timeout: true,
} satisfies KeyList<Parameters<SpecApi["faultScenario"]>[1]>);
const FAULT_MATRIX_KEYS = Object.keys({
  scenarios: true,
  faults: true,
  defaultExpect: true,
  overrides: true,
  exclude: true,
  monitors: true,
} satisfies KeyList<Parameters<SpecApi["faultMatrix"]>[0]>);
const OVERRIDE_KEYS = ["scenario", "fault", "expect"];
const CELL_KEYS = ["scenario", "fault"];
const MONITOR_KEYS = ["on", "stateInit", "update", "check"];
const HISTORY_KEYS = Object.keys({
  topic: true,
  id: true,
  allow: true,
  timeout: true,
} satisfies KeyList<HistoryOptions>);

function isSyscallFault(v: unknown): v is SyscallFault {
  return typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "syscall_fault";
}

function serviceKeyHint(key: string): string | undefined {
  if (key === "cmd" || key === "command" || key === "entrypoint") return "arguments go in args: [...]";
  if (key === "interface" || key === "http" || key === "tcp")
    return "declare interfaces: [fb.interface(name, protocol, port)]";
  return undefined;
}

function assumptionKeyHint(key: string): string | undefined {
  if (FAULTABLE_SYSCALLS.includes(key)) return `a syscall fault: ${key}: fb.syscall.deny("EIO")`;
  return undefined;
}

function historyOptions(o: HistoryOptions = {}): HistoryCheckOptions {
  return {
    ...(o.topic !== undefined ? { topics: typeof o.topic === "string" ? [o.topic] : o.topic } : {}),
    ...(o.id !== undefined ? { id: o.id } : {}),
    ...(o.allow !== undefined ? { allow: o.allow } : {}),
    ...(o.timeout !== undefined ? { settleTimeoutMs: parseDuration(o.timeout, "history timeout") } : {}),
  };
}
