// The Starlark builtins of a faultbox spec: thin adapters that check arguments, then ask the engine
// (SpecBuilder at load time, the running TestRun during a test) through the worker channel.
import {
  Dict,
  EvalError,
  List,
  call,
  equals,
  fromJS,
  isCallable,
  makeBuiltin,
  repr,
  truth,
  unpackArgs,
  type ArgsKw,
  type Thread,
  type Value,
} from "../starlark/index.js";
import { loadFile, loadJson, loadYaml } from "../core/files.js";
import { RemoteError, type WorkerChannel } from "./channel.js";
import type { Marshal } from "./marshal.js";
import {
  EventValue,
  InterfaceDefValue,
  InterfaceRefValue,
  LinkRefValue,
  NodeRefValue,
  RefValue,
  ResponseValue,
  ServiceValue,
} from "./values.js";
import type { Event } from "../core/events.js";
import { parseDuration } from "../core/duration.js";
import { nearest } from "../util/spell.js";

/** Remembers the failure an engine call raised, so the test's error can be classified on the way out. */
export interface FailureMemo {
  last?: { message: string; assertion?: string; spec?: boolean };
}

const MATCHERS = [
  "method",
  "op",
  "path",
  "query",
  "command",
  "key",
  "collection",
  "topic",
  "subject",
  "prefix",
  // Kafka: api= names the Kafka API (an alias of method= there), partition= one partition, client_id=
  // a glob on the requesting client's client.id.
  "api",
  "partition",
  "client_id",
];
/** Count limits every proxy rule constructor accepts; the protocol's proxy decides whether it implements them. */
const COUNT_LIMITS = ["times", "after"];

/** Declarations that remember where they were made, for errors raised later (at run time). */
const DECLARATIONS = new Set([
  "service",
  "fault_assumption",
  "scenario",
  "fault_scenario",
  "fault_matrix",
  "test",
  "monitor_callback",
  "monitor_stateful",
]);

export function createBuiltins(
  ch: WorkerChannel,
  m: Marshal,
  specDir: string,
  memo: FailureMemo,
  observers: Record<string, string[]>,
  ruleActions: Record<string, string[]> = {},
  locate: () => { file: string; line: number; column?: number } | undefined = () => undefined,
): Record<string, Value> {
  /** Calls the engine; its errors become Starlark errors (the interpreter adds the position). */
  const ask = (op: string, args: Record<string, unknown>): Value => {
    try {
      return m.fromWire(ch.request(op, DECLARATIONS.has(op) ? { ...args, location: locate() } : args));
    } catch (err) {
      if (err instanceof RemoteError) {
        memo.last = { message: err.info.message, assertion: err.info.assertion, spec: err.info.spec };
        throw new EvalError(err.info.message);
      }
      throw err;
    }
  };
  const w = (v: Value | undefined) => m.toWire(v);
  const kwMap = (kwargs: ArgsKw) => new Map(kwargs.map(([k, v]) => [k, v] as [string, Value]));
  const str = (fn: string, name: string, v: Value | undefined, required = false): string | undefined => {
    if (v === undefined || v === null) {
      if (required) throw new EvalError(`${fn}() requires ${name}=`);
      return undefined;
    }
    if (typeof v !== "string") throw new EvalError(`${fn}(): ${name} must be a string, got ${repr(v)}`);
    return v;
  };
  const list = (v: Value | undefined): Value[] =>
    v === undefined || v === null ? [] : v instanceof List ? v.elems : Array.isArray(v) ? v : [v];
  const timeoutMs = (fn: string, v: Value | undefined, dflt: number) => {
    if (v === undefined || v === null) return dflt;
    try {
      return parseDuration(v, `${fn}(timeout=)`);
    } catch (err) {
      throw new EvalError((err as Error).message);
    }
  };
  const builtin = (name: string, impl: (t: Thread, args: Value[], kwargs: ArgsKw) => Value) =>
    makeBuiltin(name, impl);

  const service = builtin("service", (_t, args, kwargs) => {
    const [nameV, ...rest] = args;
    if (typeof nameV !== "string") throw new EvalError("service() requires at least a name");
    const interfaces: Value[] = [];
    let binary: string | undefined;
    rest.forEach((v, i) => {
      if (typeof v === "string") binary = v;
      else if (v instanceof InterfaceDefValue) interfaces.push(v);
      else
        throw new EvalError(
          `service() positional arg ${i + 2} must be a string (binary) or interface(), got ${repr(v)}`,
        );
    });
    const valid = [
      "binary",
      "image",
      "remote",
      "args",
      "env",
      "depends_on",
      "healthcheck",
      "reuse",
      "may_exit",
      "observe",
      "ports",
      "seed",
      "reset",
      "ops",
    ];
    const kw = kwMap(kwargs);
    for (const k of kw.keys()) {
      if (!valid.includes(k)) {
        const hint =
          k === "cmd" || k === "entrypoint"
            ? " (use args=)"
            : k === "http" || k === "tcp"
              ? " (declare interface(...) positionally)"
              : "";
        throw new EvalError(
          `service("${nameV}"): unknown keyword argument "${k}"${hint}; valid: ${valid.join(", ")}`,
        );
      }
    }
    const hc = kw.get("healthcheck");
    if (hc !== undefined && !(hc instanceof RefValue && hc.kind === "healthcheck")) {
      throw new EvalError(`service() healthcheck must be a tcp(), http() or ready() value, got ${repr(hc)}`);
    }
    for (const o of list(kw.get("observe"))) {
      if (!(o instanceof RefValue && o.kind === "observe"))
        throw new EvalError(`service() observe items must be stdout()/stderr()/topic(), got ${repr(o)}`);
    }
    const deps = list(kw.get("depends_on")).map((d) => (d instanceof ServiceValue ? d.name : d));
    for (const k of ["seed", "reset"]) {
      const v = kw.get(k);
      if (v !== undefined && v !== null && !isCallable(v))
        throw new EvalError(`service() ${k}= must be a function, got ${repr(v)}`);
    }
    return ask("service", {
      name: nameV,
      binary: str("service", "binary", kw.get("binary")) ?? binary,
      image: str("service", "image", kw.get("image")),
      remote: str("service", "remote", kw.get("remote")),
      interfaces: interfaces.map(w),
      args: w(kw.get("args") ?? null),
      env: w(kw.get("env") ?? null),
      depends_on: deps,
      healthcheck: w(hc),
      reuse: kw.get("reuse") === undefined ? undefined : truth(kw.get("reuse")!),
      may_exit: kw.get("may_exit") === undefined ? undefined : truth(kw.get("may_exit")!),
      observe: w(new List(list(kw.get("observe")))),
      ports: w(kw.get("ports") ?? null),
      seed: w(kw.get("seed")),
      reset: w(kw.get("reset")),
      ops: w(kw.get("ops") ?? null),
    });
  });

  const iface = builtin("interface", (_t, args, kwargs) => {
    const [name, protocol, port] = unpackArgs("interface", args, kwargs, ["name", "protocol", "port"]);
    if (typeof name !== "string" || typeof protocol !== "string")
      throw new EvalError("interface(): name and protocol must be strings");
    if (typeof port !== "number")
      throw new EvalError(`interface("${name}"): port must be an int, got ${repr(port!)}`);
    return ask("interface", { name, protocol, port });
  });

  const healthcheck = (kind: "tcp" | "http") =>
    builtin(kind, (_t, args, kwargs) => {
      const [target, timeout] = unpackArgs(kind, args, kwargs, ["addr", "timeout?"]);
      return ask("healthcheck", {
        kind,
        target: str(kind, "addr", target, true),
        timeout: timeout === undefined ? undefined : w(timeout),
      });
    });
  const ready = builtin("ready", (_t, args, kwargs) => {
    const [timeout] = unpackArgs("ready", args, kwargs, ["*", "timeout?"]);
    return ask("healthcheck", {
      kind: "ready",
      timeout: timeout === undefined ? undefined : w(timeout),
    });
  });

  // kafka_ready(addr=None, timeout="120s"): healthy when the broker accepts a produce with acks=all.
  const kafkaReady = builtin("kafka_ready", (_t, args, kwargs) => {
    const [target, timeout] = unpackArgs("kafka_ready", args, kwargs, ["addr?", "timeout?"]);
    return ask("healthcheck", {
      kind: "kafka_ready",
      target: str("kafka_ready", "addr", target),
      timeout: timeout === undefined ? undefined : w(timeout),
    });
  });

  const stream = (s: "stdout" | "stderr") =>
    builtin(s, (_t, args, kwargs) => {
      const [decoder] = unpackArgs(s, args, kwargs, ["decoder?"]);
      if (decoder !== undefined && !(decoder instanceof RefValue && decoder.kind === "decoder")) {
        throw new EvalError(
          `${s}(): decoder must be json_decoder(), logfmt_decoder() or regex_decoder(), got ${repr(decoder)}`,
        );
      }
      return ask("observe", { stream: s, decoder: w(decoder) });
    });
  const decoder = (kind: string) =>
    builtin(`${kind}_decoder`, (_t, args, kwargs) => {
      if (kind === "regex") {
        const [pattern] = unpackArgs("regex_decoder", args, kwargs, ["pattern?"]);
        return ask("decoder", { kind, pattern: str("regex_decoder", "pattern", pattern, true) });
      }
      unpackArgs(`${kind}_decoder`, args, kwargs, []);
      return ask("decoder", { kind });
    });

  const syscallFault = (action: "deny" | "delay" | "allow", arg: Value | undefined, kw: Map<string, Value>) =>
    ask("syscall_fault", {
      action,
      arg: arg === undefined ? undefined : String(arg),
      probability: w(kw.get("probability")),
      label: str(action, "label", kw.get("label")),
      max_fires: w(kw.get("max_fires")),
    });

  const proxyRule = (action: string, kwargs: ArgsKw, params: string[]) => {
    const match: Record<string, string> = {};
    const p: Record<string, unknown> = {};
    let probability: unknown;
    for (const [k, v] of kwargs) {
      if (MATCHERS.includes(k)) match[k === "op" ? "method" : k === "subject" ? "topic" : k] = String(v);
      else if (k === "probability") probability = w(v);
      else if (params.includes(k)) p[k] = w(v);
      else if (COUNT_LIMITS.includes(k)) {
        if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
          throw new EvalError(`${action}(): ${k}= must be a non-negative int, got ${repr(v)}`);
        p[k] = v;
      } else
        throw new EvalError(
          `${action}(): unknown keyword argument "${k}"; valid: ${[...MATCHERS, "probability", ...params, ...COUNT_LIMITS].join(", ")}`,
        );
    }
    return ask("proxy_rule", { action, match, params: p, probability });
  };

  // deny(errno, probability=, label=, max_fires=) and delay(duration, ...): the keywords docs/syscall.md lists.
  const syscallAction = (action: "deny" | "delay", first: string, args: Value[], kwargs: ArgsKw) => {
    const [arg, probability, label, maxFires] = unpackArgs(action, args, kwargs, [
      first,
      "probability?",
      "label?",
      "max_fires?",
    ]);
    const options = new Map([
      ["probability", probability ?? null],
      ["label", label ?? null],
      ["max_fires", maxFires ?? null],
    ]);
    return syscallFault(action, arg, options);
  };
  const deny = builtin("deny", (_t, args, kwargs) => syscallAction("deny", "errno", args, kwargs));
  const allow = builtin("allow", (_t, args, kwargs) => {
    unpackArgs("allow", args, kwargs, []);
    return syscallFault("allow", undefined, new Map());
  });
  // delay("500ms") is a syscall fault; delay(delay="3s", topic=...) is a protocol rule.
  const delay = builtin("delay", (_t, args, kwargs) => {
    if (args.length > 0) return syscallAction("delay", "duration", args, kwargs);
    if (!kwargs.some(([k]) => k === "delay")) {
      const typo = kwargs.find(([k]) => nearest(k, ["delay"]) === "delay")?.[0];
      throw new EvalError(
        `delay() requires delay= or a positional duration argument${typo ? `; got ${typo}= (did you mean delay=?)` : ""}`,
      );
    }
    return proxyRule("delay", kwargs, ["delay"]);
  });
  const drop = builtin("drop", (_t, args, kwargs) => {
    if (args.length) throw new EvalError("drop() takes keyword arguments only");
    return proxyRule("drop", kwargs, []);
  });
  const error = builtin("error", (_t, args, kwargs) => {
    if (args.length) throw new EvalError("error() takes keyword arguments only");
    // status=/message= for HTTP and TCP; code= (a Kafka error name or number) for Kafka.
    return proxyRule("error", kwargs, ["status", "message", "code"]);
  });
  const disconnect = builtin("disconnect", (_t, args, kwargs) => {
    if (args.length) throw new EvalError("disconnect() takes keyword arguments only");
    return proxyRule("disconnect", kwargs, []);
  });
  const response = builtin("response", (_t, args, kwargs) => {
    if (args.length) throw new EvalError("response() takes keyword arguments only");
    return proxyRule("response", kwargs, ["status", "body", "value"]);
  });
  const duplicate = builtin("duplicate", (_t, args, kwargs) => {
    if (args.length) throw new EvalError("duplicate() takes keyword arguments only");
    return proxyRule("duplicate", kwargs, []);
  });
  const op = builtin("op", (_t, args, kwargs) => {
    const [syscalls, path] = unpackArgs("op", args, kwargs, ["syscalls", "path?"]);
    const d = new Dict();
    d.set("syscalls", syscalls!);
    if (path !== undefined) d.set("path", path);
    return d;
  });

  // Service actions as faults: kill(), restart(kill=False), stop(), pause(), isolate(clients=False),
  // cut(one_way=False).
  const serviceAction = (action: string, flags: string[]) =>
    builtin(action, (_t, args, kwargs) => {
      if (args.length)
        throw new EvalError(
          `${action}() takes no positional arguments; the service or node is the fault's target (fault(kafka, ${action}(), run=...))`,
        );
      const params: Record<string, boolean> = {};
      for (const [k, v] of kwargs) {
        if (!flags.includes(k))
          throw new EvalError(
            `${action}(): unknown keyword argument "${k}"${flags.length ? `; valid: ${flags.join(", ")}` : " (it takes none)"}`,
          );
        if (typeof v !== "boolean")
          throw new EvalError(`${action}(): ${k}= must be True or False, got ${repr(v)}`);
        params[k === "one_way" ? "oneWay" : k] = v;
      }
      return ask("service_action_rule", { action, params });
    });
  const isRule = (r: Value) =>
    r instanceof RefValue && (r.kind === "proxy_rule" || r.kind === "service_action");
  const RULES_HINT =
    "rules such as drop(), delay(delay=), error(), duplicate(), disconnect(), lose_response(), blackhole(), or service actions kill(), restart(), stop(), pause(), isolate(), cut()";

  /** Splits fault kwargs into the syscall ones (`write=deny("EIO")`), checking each value's type. */
  const syscallKwargs = (fn: string, kwargs: ArgsKw, reserved: string[]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of kwargs) {
      if (reserved.includes(k)) continue;
      if (!(v instanceof RefValue && v.kind === "syscall_fault")) {
        throw new EvalError(
          `${fn}(): unknown keyword argument "${k}" (a syscall fault like write=deny("EIO") or one of ${reserved.join(", ")})`,
        );
      }
      out[k] = w(v);
    }
    return out;
  };

  const faultAssumption = builtin("fault_assumption", (_t, args, kwargs) => {
    const [name] = args;
    if (typeof name !== "string" || args.length > 1)
      throw new EvalError("fault_assumption() requires a name as its only positional argument");
    const reserved = ["target", "rules", "monitors", "faults", "description"];
    const kw = kwMap(kwargs);
    const target = kw.get("target");
    if (
      target !== undefined &&
      !(target instanceof ServiceValue) &&
      !(target instanceof InterfaceRefValue) &&
      !(target instanceof NodeRefValue) &&
      !(target instanceof LinkRefValue)
    ) {
      throw new EvalError(
        `fault_assumption("${name}"): target must be a service, an interface (svc.iface), a node (svc.node(n), kafka.leader(...)) or a link (svc.link(a, b)), got ${repr(target)}`,
      );
    }
    for (const r of list(kw.get("rules"))) {
      if (!isRule(r))
        throw new EvalError(
          `fault_assumption("${name}"): rules= items must be ${RULES_HINT}, got ${repr(r)}`,
        );
    }
    return ask("fault_assumption", {
      name,
      target: w(target),
      rules: list(kw.get("rules")).map(w),
      monitors: list(kw.get("monitors")).map(w),
      faults: list(kw.get("faults")).map(w),
      description: str("fault_assumption", "description", kw.get("description")),
      syscall: syscallKwargs("fault_assumption", kwargs, reserved),
    });
  });

  const fault = builtin("fault", (_t, args, kwargs) => {
    const [target, ...rules] = args;
    const kw = kwMap(kwargs);
    const run = kw.get("run");
    if (!run || !isCallable(run))
      throw new EvalError("fault() requires run= keyword with a callback function");
    if (target instanceof RefValue && target.kind === "fault_assumption") {
      return ask("fault_window", { assumption: w(target), run: w(run) });
    }
    if (target instanceof InterfaceRefValue) {
      if (rules.length === 0)
        throw new EvalError(
          "fault(interface_ref, ...) needs at least one rule: drop()/delay(delay=)/error()/response()",
        );
      for (const r of rules) {
        if (!isRule(r))
          throw new EvalError(`fault(interface_ref, ...) arguments must be ${RULES_HINT}, got ${repr(r)}`);
      }
      const extra = kwargs.filter(([k]) => k !== "run");
      if (extra.length)
        throw new EvalError(
          `fault(interface_ref, ...): unknown keyword argument "${extra[0]![0]}"; valid: run`,
        );
      return ask("fault_window", {
        target: w(target),
        label: `${target.service}.${target.iface.name}`,
        rules: rules.map(w),
        run: w(run),
      });
    }
    if (target instanceof ServiceValue || target instanceof NodeRefValue || target instanceof LinkRefValue) {
      // A service takes service actions positionally and syscall faults as keywords; a node takes
      // actions; a link takes cut() and protocol rules (its replication traffic).
      for (const r of rules) {
        const okay =
          r instanceof RefValue &&
          (r.kind === "service_action" || (target instanceof LinkRefValue && r.kind === "proxy_rule"));
        if (!okay)
          throw new EvalError(
            target instanceof ServiceValue
              ? `fault(service, ...) takes service actions (kill(), restart(), stop(), pause()) positionally and syscall faults as keywords, e.g. write=deny("EIO"); got ${repr(r)}`
              : target instanceof NodeRefValue
                ? `fault(${target.repr().slice(6, -1)}, ...) takes service actions: kill(), restart(), stop(), pause(), isolate(); got ${repr(r)}`
                : `fault(link, ...) takes cut() or protocol rules for the traffic on the link (e.g. delay(api="fetch", delay="3s")); got ${repr(r)}`,
          );
      }
      const label =
        target instanceof ServiceValue ? target.name : String((target as RefValue).info.text ?? "node");
      if (!(target instanceof ServiceValue)) {
        const extra = kwargs.filter(([k]) => k !== "run");
        if (extra.length)
          throw new EvalError(`fault(${label}, ...): unknown keyword argument "${extra[0]![0]}"; valid: run`);
      }
      if (target instanceof ServiceValue && rules.length === 0 && kwargs.length === 1)
        throw new EvalError(
          `fault(${label}, ...) needs a service action (kill(), restart(), stop(), pause()) or a syscall fault keyword (write=deny("EIO"))`,
        );
      if (!(target instanceof ServiceValue) && rules.length === 0)
        throw new EvalError(`fault(${label}, ...) needs at least one action or rule`);
      return ask("fault_window", {
        target: w(target),
        label,
        rules: rules.map(w),
        syscall: target instanceof ServiceValue ? syscallKwargs("fault", kwargs, ["run"]) : {},
        run: w(run),
      });
    }
    throw new EvalError(
      `fault(): first argument must be a fault_assumption, an interface (svc.iface), a service, a node (svc.node(n)) or a link (svc.link(a, b)), got ${repr(target ?? null)}`,
    );
  });

  const scenario = builtin("scenario", (_t, args, kwargs) => {
    if (args.length !== 1 || kwargs.length || !isCallable(args[0]!))
      throw new EvalError("scenario() requires exactly one callable");
    ask("scenario", { fn: w(args[0]) });
    return args[0]!;
  });

  const faultScenario = builtin("fault_scenario", (_t, args, kwargs) => {
    const [name, sc, faults, expect, monitors, timeout] = unpackArgs("fault_scenario", args, kwargs, [
      "name",
      "*",
      "scenario?",
      "faults?",
      "expect?",
      "monitors?",
      "timeout?",
    ]);
    if (typeof name !== "string") throw new EvalError("fault_scenario() requires a name");
    if (!sc || !isCallable(sc)) throw new EvalError("fault_scenario() requires scenario= keyword");
    ask("fault_scenario", {
      name,
      scenario: w(sc),
      faults: list(faults).map(w),
      expect: w(expect),
      monitors: list(monitors).map(w),
      timeout: timeout === undefined ? undefined : w(timeout),
    });
    return null;
  });

  const nameOf = (v: Value): string =>
    v instanceof RefValue
      ? String(v.info.name)
      : isCallable(v)
        ? String((v as { name?: string }).name)
        : String(v);
  const pairs = (v: Value | undefined): [Value, Value][] =>
    list(v).map((p) => {
      const items = p instanceof List ? p.elems : Array.isArray(p) ? p : [];
      if (items.length !== 2)
        throw new EvalError(`fault_matrix(): expected (scenario, fault) pairs, got ${repr(p)}`);
      return [items[0]!, items[1]!];
    });
  const faultMatrix = builtin("fault_matrix", (_t, args, kwargs) => {
    const [scenarios, faults, defaultExpect, overrides, exclude, monitors] = unpackArgs(
      "fault_matrix",
      args,
      kwargs,
      [
        "*",
        "scenarios?",
        "faults?",
        "default_expect?",
        "overrides?",
        "exclude?",
        "monitors?",
        "require_faults_fire?",
      ],
    );
    const ov: Record<string, unknown>[] = [];
    if (overrides instanceof Dict) {
      for (const e of overrides.map.values()) {
        const [s, f] = pairs(new List([e.k]))[0]!;
        ov.push({ scenario: nameOf(s), fault: nameOf(f), expect: w(e.v) });
      }
    } else if (overrides !== undefined && overrides !== null)
      throw new EvalError("fault_matrix(): overrides= must be a dict keyed by (scenario, fault)");
    ask("fault_matrix", {
      scenarios: list(scenarios).map(w),
      faults: list(faults).map(w),
      default_expect: w(defaultExpect),
      overrides: ov,
      exclude: pairs(exclude).map(([s, f]) => ({ scenario: nameOf(s), fault: nameOf(f) })),
      monitors: list(monitors).map(w),
    });
    return null;
  });

  const test = builtin("test", (_t, args, kwargs) => {
    const [name, body, timeout] = unpackArgs("test", args, kwargs, ["name", "*", "body", "timeout?"]);
    if (typeof name !== "string" || !isCallable(body!))
      throw new EvalError("test() requires a name and body=");
    ask("test", {
      name,
      fn: w(body),
      timeoutMs: timeout === undefined ? undefined : timeoutMs("test", timeout, 0),
    });
    return null;
  });

  // ---- events and assertions ----

  const filtersOf = (fn: string, kwargs: ArgsKw, allowed: string[]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of kwargs) {
      if (allowed.includes(k)) continue;
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        throw new EvalError(`${fn}(): filter ${k}= must be a string, int or bool, got ${repr(v)}`);
      }
      out[k] = v;
    }
    return out;
  };
  const allEvents = (): EventValue[] => (ask("events_all", {}) as List).elems as EventValue[];
  const matching = (th: Thread, where: Value, evs: EventValue[]) =>
    evs.filter((e) => truth(call(th as never, where, [e])));

  const events = builtin("events", (th, args, kwargs) => {
    if (args.length) throw new EvalError("events() takes keyword arguments only (where= or filters)");
    const where = kwMap(kwargs).get("where");
    if (where !== undefined) {
      const found = matching(th, where, allEvents());
      ask("note_query", { found: found.length });
      return new List(found);
    }
    return ask("events", { filters: filtersOf("events", kwargs, []) });
  });

  const assertTrue = builtin("assert_true", (_t, args, kwargs) => {
    const [cond, msg] = unpackArgs("assert_true", args, kwargs, ["cond", "msg?"]);
    ask("assert_true", { truth: truth(cond!), message: msg === undefined ? undefined : String(msg) });
    return null;
  });
  const isEmpty = (v: Value) =>
    v === 0 || (v instanceof List && v.elems.length === 0) || (Array.isArray(v) && v.length === 0);
  const assertEq = builtin("assert_eq", (_t, args, kwargs) => {
    const [a, b, msg] = unpackArgs("assert_eq", args, kwargs, ["a", "b", "msg?"]);
    ask("assert_eq", {
      equal: equals(a!, b!),
      reprA: repr(a!),
      reprB: repr(b!),
      emptyA: isEmpty(a!),
      emptyB: isEmpty(b!),
      message: msg === undefined ? undefined : String(msg),
    });
    return null;
  });
  const assertEventually = builtin("assert_eventually", (th, args, kwargs) => {
    if (args.length) throw new EvalError("assert_eventually() takes keyword arguments only");
    const kw = kwMap(kwargs);
    const limit = timeoutMs("assert_eventually", kw.get("timeout"), 5000);
    const where = kw.get("where");
    if (where === undefined) {
      return ask("assert_eventually_filters", {
        filters: filtersOf("assert_eventually", kwargs, ["timeout"]),
        timeoutMs: limit,
      });
    }
    const deadline = Date.now() + limit;
    let seen = 0;
    for (;;) {
      const fresh = (
        ask("events_after", { after: seen, timeoutMs: Math.max(0, deadline - Date.now()) }) as List
      ).elems as EventValue[];
      for (const e of fresh) {
        seen = e.raw.seq;
        if (truth(call(th as never, where, [e]))) {
          ask("assert_outcome", { assertion: "assert_eventually" });
          return e;
        }
      }
      if (Date.now() >= deadline && fresh.length === 0) break;
    }
    ask("assert_outcome", {
      assertion: "assert_eventually",
      failure: `assert_eventually: no event matched where= predicate within ${limit}ms`,
    });
    return null;
  });
  const assertNever = builtin("assert_never", (th, args, kwargs) => {
    if (args.length) throw new EvalError("assert_never() takes keyword arguments only");
    const where = kwMap(kwargs).get("where");
    if (where === undefined)
      return ask("assert_never_filters", { filters: filtersOf("assert_never", kwargs, []) });
    const hit = allEvents().find((e) => truth(call(th as never, where, [e])));
    ask("assert_outcome", {
      assertion: "assert_never",
      failure: hit
        ? `assert_never: found matching event #${hit.raw.seq} (${hit.raw.type} on ${hit.raw.service || "-"}) via where= predicate`
        : undefined,
    });
    return null;
  });
  const assertBefore = builtin("assert_before", (_t, args, kwargs) => {
    const [first, then] = unpackArgs("assert_before", args, kwargs, ["*", "first", "then"]);
    if (!(first instanceof Dict) || !(then instanceof Dict))
      throw new EvalError("assert_before(): first= and then= must be dicts of filters");
    return ask("assert_before", { first: w(first), then: w(then) });
  });

  const monitor = builtin("monitor", (_t, args, kwargs) => {
    const [first] = args;
    if (first !== undefined && isCallable(first)) {
      if (args.length > 1) throw new EvalError("monitor(fn, **filters) takes one positional argument");
      return ask("monitor_callback", { fn: w(first), filters: filtersOf("monitor", kwargs, []) });
    }
    if (typeof first !== "string")
      throw new EvalError(`monitor() takes a callback or a name, got ${repr(first ?? null)}`);
    const [, on, stateInit, update, check] = unpackArgs("monitor", args, kwargs, [
      "name",
      "*",
      "on",
      "state_init?",
      "update?",
      "check?",
    ]);
    if (on instanceof Dict)
      return ask("monitor_stateful", {
        name: first,
        on_filters: w(on),
        state_init: w(stateInit),
        update: w(update),
        check: w(check),
      });
    if (!isCallable(on!))
      throw new EvalError(
        `monitor("${first}") on=: expected a dict of filters or a callable, got ${repr(on!)}`,
      );
    return ask("monitor_stateful", {
      name: first,
      on: w(on),
      state_init: w(stateInit),
      update: w(update),
      check: w(check),
    });
  });

  // ---- history checks (docs/history.md) ----

  /** check_history / assert_history / history_monitor share topic=, id=, allow=, timeout=. */
  const historyArgs = (fn: string, args: Value[], kwargs: ArgsKw) => {
    if (args.length)
      throw new EvalError(`${fn}() takes keyword arguments only (topic=, id=, allow=, timeout=)`);
    const valid = ["topic", "id", "allow", "timeout"];
    const kw = kwMap(kwargs);
    for (const k of kw.keys())
      if (!valid.includes(k))
        throw new EvalError(`${fn}(): unknown keyword argument "${k}"; valid: ${valid.join(", ")}`);
    const strings = (name: string, v: Value | undefined): string[] | undefined => {
      if (v === undefined || v === null) return undefined;
      const items = typeof v === "string" ? [v] : list(v);
      for (const x of items)
        if (typeof x !== "string" || x === "")
          throw new EvalError(`${fn}(): ${name}= must be a string or a list of strings, got ${repr(v)}`);
      return items as string[];
    };
    const timeout = kw.get("timeout");
    return {
      topics: strings("topic", kw.get("topic")),
      id: str(fn, "id", kw.get("id")),
      allow: strings("allow", kw.get("allow")),
      settleTimeoutMs: timeout === undefined ? undefined : timeoutMs(fn, timeout, 60_000),
    };
  };
  const checkHistory = builtin("check_history", (_t, args, kwargs) =>
    ask("check_history", historyArgs("check_history", args, kwargs)),
  );
  const assertHistory = builtin("assert_history", (_t, args, kwargs) => {
    ask("assert_history", historyArgs("assert_history", args, kwargs));
    return null;
  });
  const historyMonitor = builtin("history_monitor", (_t, args, kwargs) =>
    ask("history_monitor", historyArgs("history_monitor", args, kwargs)),
  );

  const loader = (name: string, fn: (dir: string, p: string) => unknown, raw = false) =>
    builtin(name, (_t, args, kwargs) => {
      const [path] = unpackArgs(name, args, kwargs, ["path"]);
      if (typeof path !== "string") throw new EvalError(`${name}(): path must be a string`);
      try {
        const v = fn(specDir, path);
        return raw ? (v as string) : fromJS(v);
      } catch (err) {
        throw new EvalError((err as Error).message);
      }
    });

  const out: Record<string, Value> = {
    service,
    interface: iface,
    tcp: healthcheck("tcp"),
    http: healthcheck("http"),
    ready,
    kafka_ready: kafkaReady,
    stdout: stream("stdout"),
    stderr: stream("stderr"),
    json_decoder: decoder("json"),
    logfmt_decoder: decoder("logfmt"),
    regex_decoder: decoder("regex"),
    deny,
    allow,
    delay,
    op,
    drop,
    error,
    response,
    duplicate,
    disconnect,
    kill: serviceAction("kill", []),
    restart: serviceAction("restart", ["kill"]),
    stop: serviceAction("stop", []),
    pause: serviceAction("pause", []),
    isolate: serviceAction("isolate", ["clients"]),
    cut: serviceAction("cut", ["one_way"]),
    fault_assumption: faultAssumption,
    fault,
    scenario,
    fault_scenario: faultScenario,
    fault_matrix: faultMatrix,
    test,
    events,
    assert_true: assertTrue,
    assert_eq: assertEq,
    assert_eventually: assertEventually,
    assert_never: assertNever,
    assert_before: assertBefore,
    monitor,
    check_history: checkHistory,
    assert_history: assertHistory,
    history_monitor: historyMonitor,
    load_file: loader("load_file", loadFile, true),
    load_json: loader("load_json", loadJson),
    load_yaml: loader("load_yaml", loadYaml),
  };
  // Event sources offered by protocols (e.g. kafka's topic()) become builtins of the same name.
  for (const [protocol, names] of Object.entries(observers)) {
    for (const name of names) {
      out[name] = builtin(name, (_t, args, kwargs) =>
        ask("observer", {
          protocol,
          name,
          args: args.map(w),
          kwargs: Object.fromEntries(kwargs.map(([k, v]) => [k, w(v)])),
        }),
      );
    }
  }
  // Rule constructors offered by protocols' proxies that are not builtins above (kafka's lose_response,
  // delay_response, throttle, blackhole) become builtins of the same name, taking keyword arguments:
  // the matchers, probability=, the action's own parameters and the count limits.
  for (const [action, params] of Object.entries(ruleActions)) {
    if (action in out) continue;
    const own = params.filter((p) => !COUNT_LIMITS.includes(p));
    out[action] = builtin(action, (_t, args, kwargs) => {
      if (args.length) throw new EvalError(`${action}() takes keyword arguments only`);
      return proxyRule(action, kwargs, own);
    });
  }
  void ResponseValue;
  return out;
}

export type { Event };
