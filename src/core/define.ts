// The TypeScript front end: `export default defineSpec((fb) => { ... })` declares a spec with the same
// engine the Starlark builtins use. `faultbox test spec.ts` loads it like a .star file.
import { isDeepStrictEqual, inspect } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
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
import type {
  FaultAssumption,
  InterfaceDef,
  MonitorDef,
  ObserveSource,
  ProxyRule,
  ServiceDef,
  SyscallFault,
} from "./model.js";
import { parseDuration } from "./duration.js";
import type { Response } from "./response.js";
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

export type ServiceHandle<N extends string> = {
  readonly name: string;
  readonly def: ServiceDef;
  iface(name: N): InterfaceHandle;
} & { readonly [K in N]: InterfaceHandle };

export interface NamedInterface<N extends string> extends InterfaceDef {
  name: N;
  /** `127.0.0.1:<port>`: where the service itself listens (not the proxy). */
  readonly addr: string;
  readonly host: string;
}

type Query = { where?: EventPredicate } & Record<string, unknown>;

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
      target?: ServiceHandle<string> | InterfaceHandle;
    },
  ): FaultAssumption;
  faultScenario(
    name: string,
    options: {
      scenario: ScenarioRef;
      faults?: FaultAssumption | FaultAssumption[];
      expect?: (r: unknown) => unknown;
      monitors?: MonitorDef[];
    },
  ): void;
  faultMatrix(
    options: Omit<FaultMatrixOptions, "defaultExpect" | "overrides" | "location"> & {
      defaultExpect?: (r: unknown) => unknown;
      overrides?: { scenario: string; fault: string; expect: (r: unknown) => unknown }[];
    },
  ): void;
  /** Runs fn with the fault active, removing it afterwards. */
  fault<T>(
    target: FaultAssumption | InterfaceHandle,
    run: () => Promise<T> | T,
    ...rules: ProxyRule[]
  ): Promise<T>;
  rules: {
    drop(match?: Record<string, string>, options?: { probability?: number }): ProxyRule;
    delay(options: { delay: string } & Record<string, string | number>): ProxyRule;
    /** HTTP/TCP: status=, message=; Kafka: code= (error name or number). times=/after= where the proxy counts. */
    error(options?: Record<string, string | number>): ProxyRule;
    response(options?: Record<string, string | number>): ProxyRule;
    duplicate(match?: Record<string, string>): ProxyRule;
    /** Kafka: close the client's connection when a matching request arrives. */
    disconnect(options?: Record<string, string | number>): ProxyRule;
  };
  syscall: {
    deny(errno: string, options?: { probability?: number; label?: string }): SyscallFault;
    delay(duration: string, options?: { probability?: number; label?: string }): SyscallFault;
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
      const def = b.service(name, { ...options, location: callerLocation(file) });
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
      for (const [n, h] of handles) if (!(n in handle)) handle[n] = h;
      return handle as unknown as ServiceHandle<N>;
    },
    tcp: (addr, o = {}) => b.healthcheck("tcp", addr, o.timeout),
    http: (url, o = {}) => b.healthcheck("http", url, o.timeout),
    ready: (o = {}) => b.healthcheck("ready", undefined, o.timeout),
    stdout: (o = {}) => ({ kind: "stdout", decoder: o.decoder }),
    stderr: (o = {}) => ({ kind: "stderr", decoder: o.decoder }),
    jsonDecoder,
    logfmtDecoder,
    regexDecoder,
    test: (name, body, o = {}) =>
      b.test(name, async () => body(), {
        location: callerLocation(file),
        ...(o.timeout ? { timeoutMs: parseDuration(o.timeout, "test(timeout=)") } : {}),
      }),
    scenario: (name, fn) => b.scenario({ name, fn: async () => fn() }, callerLocation(file)),
    faultAssumption(name, o) {
      const t = o.target;
      const target = !t ? undefined : "def" in t ? t.def : { service: t.service, iface: t.name };
      return b.faultAssumption(name, { ...o, target, location: callerLocation(file) });
    },
    faultScenario: (name, o) =>
      b.faultScenario(name, {
        scenario: o.scenario,
        faults: o.faults === undefined ? [] : Array.isArray(o.faults) ? o.faults : [o.faults],
        expect: o.expect ? async (r) => o.expect!(r) : undefined,
        monitors: o.monitors,
        location: callerLocation(file),
      }),
    faultMatrix: (o) =>
      b.faultMatrix({
        ...o,
        defaultExpect: o.defaultExpect ? async (r) => o.defaultExpect!(r) : undefined,
        overrides: o.overrides?.map((x) => ({ ...x, expect: async (r: unknown) => x.expect(r) })),
        location: callerLocation(file),
      }),
    async fault(target, fn, ...rules) {
      const r = run("fault()");
      const assumption =
        "kind" in target && target.kind === "fault_assumption"
          ? target
          : b.faultAssumption(`${(target as InterfaceHandle).service}.${(target as InterfaceHandle).name}`, {
              target: {
                service: (target as InterfaceHandle).service,
                iface: (target as InterfaceHandle).name,
              },
              rules,
            });
      return r.withFaults([assumption], async () => fn());
    },
    rules: {
      drop: (match = {}, o = {}) => b.proxyRule("drop", match, {}, o.probability),
      delay: ({ delay, probability, ...match }) =>
        b.proxyRule(
          "delay",
          stringMatch(match),
          { delayMs: parseDuration(delay, "delay(delay=)") },
          probability as number | undefined,
        ),
      error: ({ status, message, code, times, after, probability, ...match } = {}) =>
        b.proxyRule(
          "error",
          stringMatch(match),
          {
            ...(status !== undefined ? { status } : {}),
            ...(message !== undefined ? { message } : {}),
            ...(code !== undefined ? { code } : {}),
            ...counts(times, after),
          },
          probability as number | undefined,
        ),
      response: ({ status, body, probability, ...match } = {}) =>
        b.proxyRule(
          "response",
          stringMatch(match),
          { ...(status !== undefined ? { status } : {}), ...(body !== undefined ? { body } : {}) },
          probability as number | undefined,
        ),
      duplicate: (match = {}) => b.proxyRule("duplicate", match, {}),
      disconnect: ({ times, after, probability, ...match } = {}) =>
        b.proxyRule(
          "disconnect",
          stringMatch(match),
          counts(times, after),
          probability as number | undefined,
        ),
    },
    syscall: {
      deny: (errno, o) => b.syscallFault("deny", errno, o),
      delay: (d, o) => b.syscallFault("delay", d, o),
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
      if (!o?.on) throw new SpecError(`monitor("${first}") requires on=`);
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

function stringMatch(m: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
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
