// Starlark-side values of the spec language: services, interfaces, events, responses, and references
// to engine objects (faults, rules, monitors) that Starlark only passes around.
import {
  Dict,
  EvalError,
  HostObject,
  MappingObject,
  fromJS,
  hostMethod,
  repr,
  type ArgsKw,
  type Thread,
  type Value,
} from "../starlark/index.js";
import type { Response } from "../core/response.js";
import type { Event } from "../core/events.js";

/** An engine object (fault assumption, rule, monitor, healthcheck...) held by id. */
export class RefValue extends HostObject {
  constructor(
    readonly ref: number,
    readonly kind: string,
    readonly info: Record<string, unknown>,
  ) {
    super();
  }
  typeName(): string {
    return this.kind;
  }
  override attr(name: string): Value | undefined {
    if (name === "name" && typeof this.info.name === "string") return this.info.name;
    return undefined;
  }
  override attrNames(): string[] {
    return typeof this.info.name === "string" ? ["name"] : [];
  }
  override repr(): string {
    const label = this.info.text || this.info.name;
    return `<${this.kind}${label ? ` ${label}` : ""}>`;
  }
  override hashKey(): string {
    return `${this.kind}#${this.ref}`;
  }
}

export interface InterfaceInfo {
  name: string;
  protocol: string;
  port: number;
}

const placeholder = (kind: string, svc: string, iface: string) => `__FB_PROXY_${kind}_${svc}__${iface}__`;

/** `interface(...)` before it belongs to a service: its name, protocol and port. */
export class InterfaceDefValue extends RefValue {
  get iface(): InterfaceInfo {
    return this.info as unknown as InterfaceInfo;
  }
  override attr(name: string): Value | undefined {
    const i = this.iface;
    switch (name) {
      case "name":
        return i.name;
      case "protocol":
        return i.protocol;
      case "port":
        return i.port;
      case "host":
        return "127.0.0.1";
      case "addr":
        return `127.0.0.1:${i.port}`;
    }
    return undefined;
  }
  override attrNames(): string[] {
    return ["addr", "host", "name", "port", "protocol"];
  }
  override repr(): string {
    return `<interface ${this.iface.name} ${this.iface.protocol}:${this.iface.port}>`;
  }
}

export type StepCaller = (service: string, iface: string, method: string, kwargs: ArgsKw) => Value;

/** Asks the engine (a channel request); its errors arrive as Starlark errors. */
export type EngineCaller = (op: string, args: Record<string, unknown>) => Value;

/** Service actions callable as steps on a service and on one of its nodes. */
export const SERVICE_STEP_ACTIONS = ["kill", "stop", "start", "restart", "pause", "resume", "heal"];
const NODE_STEP_ACTIONS = [...SERVICE_STEP_ACTIONS, "isolate"];
const LINK_STEP_ACTIONS = ["cut", "heal"];

/**
 * What the action steps accept: restart(kill=True) SIGKILLs instead of stopping gracefully;
 * cut(one_way=True) cuts only the connections the first node opens to the second;
 * isolate(clients=True) cuts the service's clients off the node too.
 */
function actionParams(where: string, verb: string, args: Value[], kwargs: ArgsKw): Record<string, unknown> {
  if (args.length) throw new EvalError(`${where}.${verb}() takes keyword arguments only`);
  const allowed =
    verb === "restart" ? ["kill"] : verb === "cut" ? ["one_way"] : verb === "isolate" ? ["clients"] : [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of kwargs) {
    if (!allowed.includes(k))
      throw new EvalError(
        `${where}.${verb}(): unknown keyword argument "${k}"${allowed.length ? `; valid: ${allowed.join(", ")}` : " (it takes none)"}`,
      );
    if (typeof v !== "boolean")
      throw new EvalError(`${where}.${verb}(): ${k}= must be True or False, got ${repr(v)}`);
    out[k === "one_way" ? "oneWay" : k] = v;
  }
  return out;
}

/** A step that performs a service action now and returns its event's data as a dict. */
function actionMethod(
  recv: HostObject,
  where: string,
  verb: string,
  target: Record<string, unknown>,
  ask: EngineCaller,
): Value {
  return hostMethod(recv, verb, (_t: Thread, args: Value[], kwargs: ArgsKw) =>
    ask("service_action", { target, verb, params: actionParams(where, verb, args, kwargs) }),
  );
}

/** `svc.iface`: addresses and the step methods of its protocol. */
export class InterfaceRefValue extends HostObject {
  constructor(
    readonly service: string,
    readonly iface: InterfaceInfo,
    readonly image: boolean,
    readonly methods: string[],
    private readonly callStep: StepCaller,
  ) {
    super();
  }
  typeName(): string {
    return "interface_ref";
  }
  override attr(name: string): Value | undefined {
    const addr = `127.0.0.1:${this.iface.port}`;
    switch (name) {
      case "name":
        return this.iface.name;
      case "protocol":
        return this.iface.protocol;
      case "addr":
        return addr;
      case "host":
        return "127.0.0.1";
      case "port":
        return this.iface.port;
      case "internal_addr":
        return this.image ? `${this.service}:${this.iface.port}` : addr;
      case "proxy_addr":
        return placeholder("ADDR", this.service, this.iface.name);
      case "proxy_host":
        return placeholder("HOST", this.service, this.iface.name);
      case "proxy_port":
        return placeholder("PORT", this.service, this.iface.name);
    }
    if (this.methods.includes(name)) {
      return hostMethod(this, name, (_t: Thread, args: Value[], kwargs: ArgsKw) => {
        if (args.length)
          throw new EvalError(`${this.service}.${this.iface.name}.${name}() takes keyword arguments only`);
        return this.callStep(this.service, this.iface.name, name, kwargs);
      });
    }
    return undefined;
  }
  override attrNames(): string[] {
    return [
      "addr",
      "host",
      "internal_addr",
      "name",
      "port",
      "protocol",
      "proxy_addr",
      "proxy_host",
      "proxy_port",
      ...this.methods,
    ].sort();
  }
  override repr(): string {
    return `<interface_ref ${this.service}.${this.iface.name}>`;
  }
  override hashKey(): string {
    return `iface:${this.service}.${this.iface.name}`;
  }
}

/**
 * `service(...)`: `.name`, `.<interface>`, step shorthands when it has a single interface, service
 * actions as steps (`.kill()`, `.restart()`, ...), and its nodes: `.node(n)`, `.link(a, b)` and the
 * node selectors of its protocols (Kafka: `.leader(topic=, partition=)`, `.follower(...)`).
 */
export class ServiceValue extends RefValue {
  readonly ifaces: Map<string, InterfaceRefValue>;
  constructor(
    ref: number,
    info: Record<string, unknown>,
    methodsOf: (protocol: string) => string[],
    callStep: StepCaller,
    private readonly ask: EngineCaller,
    private readonly selectors: string[],
  ) {
    super(ref, "service", info);
    const list = (info.interfaces as InterfaceInfo[]) ?? [];
    this.ifaces = new Map(
      list.map((i) => [
        i.name,
        new InterfaceRefValue(String(info.name), i, Boolean(info.image), methodsOf(i.protocol), callStep),
      ]),
    );
  }
  get name(): string {
    return String(this.info.name);
  }
  override attr(name: string): Value | undefined {
    if (name === "name") return this.name;
    const i = this.ifaces.get(name);
    if (i) return i;
    if (["get", "post", "put", "delete", "patch", "send"].includes(name)) {
      const only = this.ifaces.size === 1 ? [...this.ifaces.values()][0] : this.ifaces.get("default");
      if (!only) throw new EvalError(`service "${this.name}" has multiple interfaces, specify which one`);
      return only.attr(name);
    }
    if (SERVICE_STEP_ACTIONS.includes(name))
      return actionMethod(this, this.name, name, { service: this.name }, this.ask);
    if (name === "node") {
      return hostMethod(this, name, (_t: Thread, args: Value[], kwargs: ArgsKw) => {
        if (args.length !== 1 || kwargs.length || typeof args[0] !== "number")
          throw new EvalError(`${this.name}.node() takes one node id (an int, 1 is the first node)`);
        return this.ask("node_ref", { service: this.name, node: args[0] });
      });
    }
    if (name === "link") {
      return hostMethod(this, name, (_t: Thread, args: Value[], kwargs: ArgsKw) => {
        const ok = (v: Value | undefined) => typeof v === "number" || v instanceof NodeRefValue;
        if (args.length !== 2 || kwargs.length || !ok(args[0]) || !ok(args[1]))
          throw new EvalError(
            `${this.name}.link(a, b) takes two nodes (ids or ${this.name}.node(n) / selectors): the connections a opens to b`,
          );
        const end = (v: Value) => (v instanceof NodeRefValue ? { $ref: v.ref } : v);
        return this.ask("link_ref", { service: this.name, from: end(args[0]!), to: end(args[1]!) });
      });
    }
    if (this.selectors.includes(name)) {
      return hostMethod(this, name, (_t: Thread, args: Value[], kwargs: ArgsKw) => {
        if (args.length)
          throw new EvalError(`${this.name}.${name}() takes keyword arguments only, e.g. topic="orders"`);
        const out: Record<string, unknown> = {};
        for (const [k, v] of kwargs) out[k] = v;
        return this.ask("node_ref", { service: this.name, select: name, args: out });
      });
    }
    return undefined;
  }
  override attrNames(): string[] {
    return ["name", ...this.ifaces.keys(), ...SERVICE_STEP_ACTIONS, "node", "link", ...this.selectors];
  }
  override repr(): string {
    return `<service ${this.name}>`;
  }
}

/** One node of a service: `kafka.node(2)`, `kafka.leader(topic="t")` (chosen when an action fires). */
export class NodeRefValue extends RefValue {
  constructor(
    ref: number,
    info: Record<string, unknown>,
    private readonly ask: EngineCaller,
  ) {
    super(ref, "node_ref", info);
  }
  private get text(): string {
    return String(this.info.text);
  }
  override attr(name: string): Value | undefined {
    if (name === "service") return String(this.info.service);
    if (name === "id" && typeof this.info.node === "number") return this.info.node;
    if (NODE_STEP_ACTIONS.includes(name))
      return actionMethod(this, this.text, name, { node: { $ref: this.ref } }, this.ask);
    return undefined;
  }
  override attrNames(): string[] {
    return ["service", ...(typeof this.info.node === "number" ? ["id"] : []), ...NODE_STEP_ACTIONS];
  }
  override repr(): string {
    return `<node ${this.text}>`;
  }
}

/** The connections one node opens to another: `kafka.link(1, 2)`. */
export class LinkRefValue extends RefValue {
  constructor(
    ref: number,
    info: Record<string, unknown>,
    private readonly ask: EngineCaller,
  ) {
    super(ref, "link_ref", info);
  }
  override attr(name: string): Value | undefined {
    if (name === "service") return String(this.info.service);
    if (LINK_STEP_ACTIONS.includes(name))
      return actionMethod(this, String(this.info.text), name, { link: { $ref: this.ref } }, this.ask);
    return undefined;
  }
  override attrNames(): string[] {
    return ["service", ...LINK_STEP_ACTIONS];
  }
  override repr(): string {
    return `<link ${String(this.info.text)}>`;
  }
}

/** An event answers as an object (e.type, e.data) and as a dict (e["type"], e.get("order_id")). */
export class EventValue extends MappingObject {
  constructor(readonly raw: Event) {
    const data = fromJS(raw.data) as Dict;
    const fields = new Map<string, Value>([
      ["seq", raw.seq],
      ["type", raw.type],
      ["service", raw.service],
      ["time", raw.time],
      ["timestamp", raw.time],
      ["data", data],
      ["fields", data],
    ]);
    // Decoded keys are also reachable directly (event["order_id"]), after the envelope keys.
    for (const [k, v] of Object.entries(raw.data)) if (!fields.has(k)) fields.set(k, fromJS(v));
    super(fields, "event", true);
  }
  override attr(name: string): Value | undefined {
    if (name === "get") return super.attr("get") ?? undefined;
    return this.fields.get(name) ?? super.attr(name);
  }
  override repr(): string {
    return `<event #${this.raw.seq} ${this.raw.type} ${this.raw.service || "-"} ${repr(this.fields.get("data")!)}>`;
  }
}

/** What a step returns. Truthiness is `.ok`. */
export class ResponseValue extends HostObject {
  private data: Value | undefined;
  constructor(readonly r: Response) {
    super();
  }
  typeName(): string {
    return "response";
  }
  override attr(name: string): Value | undefined {
    switch (name) {
      case "ok":
        return this.r.ok;
      case "error":
        return this.r.error;
      case "status":
        return this.r.status;
      case "body":
        return this.r.body;
      case "duration_ms":
        return this.r.duration_ms;
      case "data":
        // A failed step has no data: reading it says why, instead of handing back None or "" that a
        // spec would index into ("index 0 out of range") or take for an empty result.
        if (!this.r.ok && (this.r.data === null || this.r.data === undefined))
          throw new EvalError(
            `${this.r.step ?? "the step"}() failed, so its response has no .data: ${this.r.error || "no reason given"} (check .ok before using .data)`,
          );
        return (this.data ??= fromJS(this.r.data));
    }
    throw new EvalError(`response has no .${name} attribute`);
  }
  override attrNames(): string[] {
    return ["body", "data", "duration_ms", "error", "ok", "status"];
  }
  override truth(): boolean {
    return this.r.ok;
  }
  override repr(): string {
    return this.r.ok || this.r.status
      ? `<response status=${this.r.status}>`
      : `<response error=${JSON.stringify(this.r.error)}>`;
  }
}

/**
 * What check_history() returns: `.ok` (its truth), `.summary`, counts (`.sent`, `.acked`, `.stored`,
 * `.read`...), the number of each anomaly (`.lost`, `.duplicated`...) and `.examples[kind]`; also as a
 * dict (`v["lost"]`).
 */
export class HistoryValue extends MappingObject {
  constructor(readonly verdict: Record<string, unknown>) {
    super(new Map(Object.entries(verdict).map(([k, v]) => [k, fromJS(v)])), "history", true);
  }
  override truth(): boolean {
    return this.verdict.ok === true;
  }
  override repr(): string {
    return `<history ${String(this.verdict.summary)}>`;
  }
}
