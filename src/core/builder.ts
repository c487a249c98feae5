// Builds a Suite from declarations. Both front ends (Starlark builtins and the TypeScript API) call this,
// so validation and semantics live in one place.
import { dirname, resolve } from "node:path";
import { SpecError, locationText, type SourceLocation } from "./errors.js";
import { Runtime } from "./engine.js";
import type {
  ActionName,
  FaultAssumption,
  LinkRef,
  NodeRef,
  ServiceActionRule,
  Healthcheck,
  InterfaceDef,
  MatrixCell,
  MonitorDef,
  ObserveSource,
  ProxyRule,
  ServiceDef,
  Suite,
  SyscallFault,
  SyscallRule,
  TestDef,
} from "./model.js";
import { checkRuleSupported, getProtocol, protocolNames } from "./protocol.js";
import {
  ERRNOS,
  FAULTABLE_NAMES,
  KNOWN_SYSCALLS,
  SYSCALL_FAMILIES,
  getSyscallController,
} from "./syscall.js";
import { allocatePortSync } from "./ports.js";
import { parseHostPort } from "./topology.js";
import { parseDuration } from "./duration.js";
import { parseProbability } from "./probability.js";
import {
  FAULT_ASSUMPTION,
  FUNCTION,
  HEALTHCHECK,
  INTERFACE,
  MONITOR,
  OBSERVE_SOURCE,
  RULE,
  SCENARIO,
  SERVICE_OR_NAME,
  checkList,
  checkValue,
  describeValue,
} from "./slots.js";

export interface ServiceOptions {
  interfaces?: InterfaceDef[];
  binary?: string;
  image?: string;
  remote?: string;
  args?: string[];
  env?: Record<string, string>;
  dependsOn?: (string | ServiceDef)[];
  healthcheck?: Healthcheck;
  reuse?: boolean;
  /** The service may end on its own during a test (see ServiceDef.mayExit). */
  mayExit?: boolean;
  observe?: ObserveSource[];
  ports?: Record<number, number>;
  seed?: () => Promise<unknown>;
  reset?: () => Promise<unknown>;
  ops?: Record<string, { syscalls: string[]; path?: string }>;
  location?: SourceLocation;
}

export interface AssumptionOptions {
  target?: ServiceDef | { service: string; iface: string } | NodeRef | LinkRef;
  /** Protocol rules (drop, delay, ...) and service actions (kill(), restart(), pause(), ...). */
  rules?: (ProxyRule | ServiceActionRule)[];
  /** Syscall keyword → fault, e.g. { write: deny("EIO") }. */
  syscall?: Record<string, SyscallFault>;
  monitors?: MonitorDef[];
  faults?: FaultAssumption[];
  description?: string;
  location?: SourceLocation;
}

export interface ScenarioRef {
  name: string;
  fn: () => Promise<unknown>;
  /** What makes two registrations one scenario (a Starlark function's id); `fn` when absent. */
  identity?: unknown;
}

export interface FaultScenarioOptions {
  scenario: ScenarioRef;
  faults?: FaultAssumption[];
  expect?: (result: unknown) => Promise<unknown>;
  monitors?: MonitorDef[];
  timeoutMs?: number;
  location?: SourceLocation;
}

export interface FaultMatrixOptions {
  scenarios: ScenarioRef[];
  faults: FaultAssumption[];
  defaultExpect?: (result: unknown) => Promise<unknown>;
  overrides?: { scenario: string; fault: string; expect: (result: unknown) => Promise<unknown> }[];
  exclude?: MatrixCell[];
  monitors?: MonitorDef[];
  location?: SourceLocation;
}

/** Syscall names a fault may use as keywords (families and raw names); one table, in ./syscall.ts. */
export const FAULTABLE_SYSCALLS: readonly string[] = FAULTABLE_NAMES;

export class SpecBuilder {
  readonly runtime = new Runtime();
  readonly suite: Suite;
  private readonly testNames = new Map<string, TestDef>();
  private readonly claimed = new Set<MonitorDef>();

  constructor(file: string, language: Pick<Suite, "repr" | "equals" | "truthy">) {
    const abs = resolve(file);
    this.suite = {
      file: abs,
      dir: dirname(abs),
      services: [],
      tests: [],
      monitors: [],
      warnings: [],
      syscallTargets: new Map(),
      ...language,
    };
  }

  // ---- topology -------------------------------------------------------------------------------------

  interface(name: string, protocol: string, port: number): InterfaceDef {
    if (!name) throw new SpecError("interface() requires a name");
    if (!getProtocol(protocol)) {
      throw new SpecError(
        `interface("${name}"): unknown protocol ${JSON.stringify(protocol)}; known protocols: ${protocolNames().join(", ")}`,
      );
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new SpecError(
        `interface("${name}"): port must be an integer 0-65535 (0 picks a free port), got ${port}`,
      );
    }
    return { kind: "interface", name, protocol, port: port === 0 ? allocatePortSync() : port };
  }

  service(name: string, o: ServiceOptions): ServiceDef {
    if (!name) throw new SpecError("service() requires at least a name", { location: o.location });
    const modes = [o.binary, o.image, o.remote].filter((x) => x !== undefined && x !== "").length;
    if (modes === 0) {
      throw new SpecError(
        `service("${name}") requires one of: binary (positional or keyword), image=, or remote=`,
        { location: o.location },
      );
    }
    if (modes > 1) {
      throw new SpecError(
        `service("${name}") accepts only one of: binary, image=, or remote= (got ${modes})`,
        { location: o.location },
      );
    }
    const where = `service("${name}")`;
    const repr = this.suite.repr;
    const existing = this.findService(name);
    if (existing) {
      const first = existing.location ? ` (first declared at ${locationText(existing.location)})` : "";
      throw new SpecError(
        `${where}: a service named "${name}" is already declared${first}; service names must be unique`,
        {
          location: o.location,
        },
      );
    }
    const interfaces = checkList<InterfaceDef>(
      where,
      "interfaces",
      o.interfaces,
      INTERFACE,
      repr,
      o.location,
    );
    checkList(where, "depends_on", o.dependsOn, SERVICE_OR_NAME, repr, o.location);
    checkList(where, "observe", o.observe, OBSERVE_SOURCE, repr, o.location);
    checkValue(where, "healthcheck", o.healthcheck, HEALTHCHECK, repr, o.location);
    checkValue(where, "seed", o.seed, FUNCTION, repr, o.location);
    checkValue(where, "reset", o.reset, FUNCTION, repr, o.location);
    if (o.args != null && (!Array.isArray(o.args) || o.args.some((a) => typeof a !== "string")))
      throw new SpecError(`${where}: args= must be a list of strings, got ${describeValue(o.args, repr)}`, {
        location: o.location,
      });
    const seen = new Set<string>();
    for (const i of interfaces) {
      if (seen.has(i.name))
        throw new SpecError(`service("${name}") declares interface "${i.name}" twice`, {
          location: o.location,
        });
      seen.add(i.name);
      if (i.service && i.service !== name) {
        throw new SpecError(
          `service("${name}"): interface "${i.name}" already belongs to service "${i.service}"`,
          { location: o.location },
        );
      }
      i.service = name;
    }
    if (o.remote && (o.args?.length || o.observe?.length || o.reuse || o.mayExit)) {
      throw new SpecError(
        `service("${name}"): a remote service has no process, so args=, observe=, reuse= and may_exit= do not apply`,
        { location: o.location },
      );
    }
    if (o.reuse && !o.seed && !o.reset) {
      this.suite.warnings.push(
        `service "${name}": reuse=True with neither seed nor reset: state may leak between tests`,
      );
    }
    const def: ServiceDef = {
      kind: "service",
      name,
      interfaces,
      binary: o.binary,
      image: o.image,
      remote: o.remote,
      args: o.args ?? [],
      env: o.env ?? {},
      dependsOn: (o.dependsOn ?? []).map((d) => (typeof d === "string" ? d : d.name)),
      healthcheck: o.healthcheck,
      reuse: o.reuse ?? false,
      mayExit: o.mayExit ?? false,
      observe: o.observe ?? [],
      ports: o.ports ?? {},
      seed: o.seed,
      reset: o.reset,
      ops: o.ops ?? {},
      cwd: this.suite.dir,
      index: this.suite.services.length,
      location: o.location,
    };
    if (def.image) {
      // Pin host ports now so proxies (started once per suite) know where to forward.
      for (const i of interfaces) if (!def.ports[i.port]) def.ports[i.port] = allocatePortSync();
    }
    this.suite.services.push(def);
    return def;
  }

  findService(name: string): ServiceDef | undefined {
    return this.suite.services.find((s) => s.name === name);
  }

  healthcheck(
    kind: "tcp" | "http" | "ready",
    target: string | undefined,
    timeout: string | number | undefined,
  ): Healthcheck {
    const defaults = { tcp: 10_000, http: 10_000, ready: 30_000 };
    const timeoutMs = timeout === undefined ? defaults[kind] : parseDuration(timeout, `${kind}(timeout=)`);
    if (kind === "ready") return { kind, timeoutMs };
    if (!target) throw new SpecError(`${kind}() requires an address`);
    if (kind === "tcp") return { kind, addr: target, timeoutMs };
    return { kind, url: target.includes("://") ? target : `http://${target}`, timeoutMs };
  }

  /**
   * A protocol plugin's readiness probe under its own builtin name, e.g. kafka_ready(addr?, timeout=)
   * -> the kafka plugin's healthcheck. Without addr it probes the service's first interface of that protocol.
   */
  protocolHealthcheck(
    name: string,
    protocol: string,
    addr: string | undefined,
    timeout: string | number | undefined,
    defaultTimeoutMs: number,
  ): Healthcheck {
    const plugin = getProtocol(protocol);
    if (!plugin?.healthcheck) {
      throw new SpecError(`${name}(): protocol "${protocol}" is not available in this build`);
    }
    const timeoutMs = timeout === undefined ? defaultTimeoutMs : parseDuration(timeout, `${name}(timeout=)`);
    if (addr !== undefined) {
      try {
        parseHostPort(addr);
      } catch (err) {
        throw new SpecError(`${name}(): address ${(err as Error).message}`);
      }
    }
    return { kind: "protocol", protocol, name, ...(addr !== undefined ? { addr } : {}), timeoutMs };
  }

  // ---- faults ---------------------------------------------------------------------------------------

  syscallFault(
    action: SyscallFault["action"],
    arg: string | undefined,
    o: { probability?: unknown; label?: string; maxFires?: unknown } = {},
  ): SyscallFault {
    const controller = getSyscallController();
    const reason = controller
      ? controller.unavailableReason()
      : "no syscall controller is available in this build";
    const options = Object.entries({ probability: o.probability, max_fires: o.maxFires, label: o.label })
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `, ${k}=${JSON.stringify(v)}`)
      .join("");
    const text = action === "allow" ? "allow()" : `${action}(${JSON.stringify(arg)}${options})`;
    if (reason) {
      throw new SpecError(
        `${text}: syscall faults need the seccomp syscall supervisor, which cannot run here (${reason}). ` +
          `Protocol faults (rules=[drop(...)], delay(delay=...), error(...)) work without it.`,
        { code: "SYSCALL_UNAVAILABLE" },
      );
    }
    const probability = specProbability(o.probability, `${action}(probability=)`);
    const maxFires = o.maxFires === undefined || o.maxFires === null ? undefined : o.maxFires;
    if (
      maxFires !== undefined &&
      !(typeof maxFires === "number" && Number.isInteger(maxFires) && maxFires > 0)
    )
      throw new SpecError(
        `${action}(max_fires=): must be an integer above 0, got ${JSON.stringify(maxFires)}`,
      );
    const common = { probability, label: o.label, text, ...(maxFires !== undefined ? { maxFires } : {}) };
    if (action === "deny") {
      const errno = (arg ?? "").toUpperCase();
      if (!ERRNOS.includes(errno))
        throw new SpecError(`deny(): unknown errno "${arg}"; supported: ${[...ERRNOS].sort().join(", ")}`);
      return { kind: "syscall_fault", action, errno, ...common };
    }
    if (action === "delay") {
      return { kind: "syscall_fault", action, delayMs: parseDuration(arg ?? "", "delay()"), ...common };
    }
    return { kind: "syscall_fault", action: "allow", probability: 0, label: o.label, text };
  }

  /** The syscalls (and path glob) keyword `key` names on `target`: an op of the service, a family or a raw name. */
  private keySyscalls(
    target: ServiceDef,
    key: string,
  ): { syscalls: string[]; pathGlob?: string } | undefined {
    const op = target.ops[key];
    if (op) return { syscalls: op.syscalls, ...(op.path ? { pathGlob: op.path } : {}) };
    if (FAULTABLE_SYSCALLS.includes(key)) return { syscalls: [...(SYSCALL_FAMILIES[key] ?? [key])] };
    return undefined;
  }

  private unknownKey(target: ServiceDef, key: string, where: string, location?: SourceLocation): SpecError {
    return new SpecError(
      `${where}: unknown keyword "${key}" for service "${target.name}". Valid syscalls: ${Object.keys(SYSCALL_FAMILIES).join(", ")} (families), or a raw syscall name (${KNOWN_SYSCALLS.filter((s) => !(s in SYSCALL_FAMILIES)).join(", ")})${Object.keys(target.ops).length ? `; ops: ${Object.keys(target.ops).join(", ")}` : ""}`,
      { location },
    );
  }

  /** Records syscalls a service must be launched to intercept. Filters are fixed at launch, so once a
   * test runs the set no longer changes: every test sees the same launch, whatever ran before it. */
  private filterAtLaunch(service: string, syscalls: readonly string[]): void {
    if (this.runtime.current) return;
    const set = this.suite.syscallTargets.get(service) ?? new Set<string>();
    syscalls.forEach((s) => set.add(s));
    this.suite.syscallTargets.set(service, set);
  }

  /** Expands syscall keywords (ops, families) for a target service and records what to filter at launch. */
  syscallRules(target: ServiceDef, faults: Record<string, SyscallFault>, where: string): SyscallRule[] {
    const rules: SyscallRule[] = [];
    for (const [key, fault] of Object.entries(faults)) {
      const named = this.keySyscalls(target, key);
      if (!named) throw this.unknownKey(target, key, where);
      if (target.remote)
        throw new SpecError(
          `${where}: "${target.name}" is remote; syscall faults (${key}=) need a local process`,
        );
      this.filterAtLaunch(target.name, named.syscalls);
      rules.push({ key, fault, ...named });
    }
    return rules;
  }

  /**
   * Call sites that set syscall faults while a test runs (inline fault(svc, write=...), a
   * fault_assumption in a test body), found in the spec's source: their services are launched to
   * intercept those syscalls. A site whose target is not known before it runs applies its keywords
   * to every local service that accepts them.
   */
  planSyscallSites(sites: readonly { service?: string; keys: string[]; file: string; line: number }[]): void {
    for (const site of sites) {
      const location = { file: site.file, line: site.line };
      const where = site.service ? "fault()" : "fault(...)";
      const targets = site.service
        ? this.suite.services.filter((s) => s.name === site.service)
        : this.suite.services.filter((s) => !s.remote);
      for (const svc of targets) {
        for (const key of site.keys) {
          const named = this.keySyscalls(svc, key);
          if (site.service && !named) throw this.unknownKey(svc, key, where, location);
          if (site.service && svc.remote)
            throw new SpecError(
              `${where}: "${svc.name}" is remote; syscall faults (${key}=) need a local process`,
              { location },
            );
          if (named) this.filterAtLaunch(svc.name, named.syscalls);
        }
      }
    }
  }

  proxyRule(
    action: string,
    match: Record<string, string>,
    params: Record<string, unknown>,
    probabilityValue?: unknown,
    /** The parameters as the spec wrote them (delay="1s" rather than delayMs=1000), for the rule's text. */
    writtenParams: Record<string, unknown> = params,
  ): ProxyRule {
    const probability = specProbability(probabilityValue, `${action}(probability=)`);
    const written =
      probabilityValue === undefined || probabilityValue === null ? {} : { probability: probabilityValue };
    const parts = [
      ...Object.entries(match),
      ...Object.entries(writtenParams),
      ...Object.entries(written),
    ].map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return { kind: "proxy_rule", action, match, params, probability, text: `${action}(${parts.join(", ")})` };
  }

  // ---- service actions ------------------------------------------------------------------------------

  serviceAction(action: ActionName, params: ServiceActionRule["params"] = {}): ServiceActionRule {
    const parts = [
      ...(params.kill !== undefined ? [`kill=${params.kill ? "True" : "False"}`] : []),
      ...(params.oneWay !== undefined ? [`one_way=${params.oneWay ? "True" : "False"}`] : []),
      ...(params.clients !== undefined ? [`clients=${params.clients ? "True" : "False"}`] : []),
    ];
    return { kind: "service_action", action, params, text: `${action}(${parts.join(", ")})` };
  }

  /** `svc.node(n)` or a protocol selector such as `kafka.leader(topic="t", partition=0)`. */
  nodeRef(
    service: string,
    choice: { node: number } | { select: string; args: Record<string, unknown> },
  ): NodeRef {
    const svc = this.findService(service);
    if (!svc) throw new SpecError(`unknown service "${service}"`);
    if ("node" in choice) {
      if (!Number.isInteger(choice.node) || choice.node < 1)
        throw new SpecError(
          `${service}.node(): a node id is a positive int (1 is the first), got ${choice.node}`,
        );
      return { kind: "node_ref", service, node: choice.node, text: `${service}.node(${choice.node})` };
    }
    const offering = svc.interfaces.find((i) => getProtocol(i.protocol)?.nodeSelectors?.[choice.select]);
    if (!offering) {
      const known = [
        ...new Set(svc.interfaces.flatMap((i) => Object.keys(getProtocol(i.protocol)?.nodeSelectors ?? {}))),
      ];
      throw new SpecError(
        `service "${service}" has no node selector "${choice.select}"${known.length ? ` (it has ${known.join(", ")})` : " (its protocols offer none; use .node(n))"}`,
      );
    }
    const selector = getProtocol(offering.protocol)!.nodeSelectors![choice.select]!;
    for (const k of Object.keys(choice.args)) {
      if (!selector.params.includes(k))
        throw new SpecError(
          selector.params.length === 0
            ? `${service}.${choice.select}() takes no arguments, got ${k}=`
            : `${service}.${choice.select}(): unknown keyword argument "${k}"; valid: ${selector.params.join(", ")}`,
        );
    }
    for (const k of selector.required ?? []) {
      if (choice.args[k] === undefined) throw new SpecError(`${service}.${choice.select}() requires ${k}=`);
    }
    const shown = Object.entries(choice.args).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return {
      kind: "node_ref",
      service,
      select: { name: choice.select, protocol: offering.protocol, args: choice.args },
      text: `${service}.${choice.select}(${shown.join(", ")})`,
    };
  }

  /** `svc.link(a, b)`: the connections node a opens to node b. */
  linkRef(service: string, from: NodeRef | number, to: NodeRef | number): LinkRef {
    const ref = (n: NodeRef | number) => (typeof n === "number" ? this.nodeRef(service, { node: n }) : n);
    const a = ref(from);
    const b = ref(to);
    for (const n of [a, b]) {
      if (n.service !== service)
        throw new SpecError(`${service}.link(): ${n.text} is a node of "${n.service}", not of "${service}"`);
    }
    if (a.node !== undefined && a.node === b.node)
      throw new SpecError(`${service}.link(): a link joins two different nodes, got ${a.text} twice`);
    const short = (n: NodeRef) => (n.node !== undefined ? String(n.node) : n.text);
    return { kind: "link_ref", service, from: a, to: b, text: `${service}.link(${short(a)}, ${short(b)})` };
  }

  /** Checks where service actions may go; throws a message naming the fault and the fix. */
  private checkActions(
    where: string,
    actions: ServiceActionRule[],
    target: { service?: ServiceDef; node?: NodeRef; link?: LinkRef },
    location: SourceLocation | undefined,
  ): void {
    for (const a of actions) {
      const fail = (msg: string) => {
        throw new SpecError(`${where}: ${a.text} ${msg}`, { location });
      };
      if (!target.service) fail("needs target= (a service, one of its nodes, or a link between two)");
      if (target.service?.remote)
        fail(
          `cannot act on "${target.service.name}": it is remote (${target.service.remote}), so faultbox did not start it`,
        );
      if (a.action === "cut" && !target.link)
        fail(`applies to a link between two nodes: target=${target.service?.name}.link(1, 2)`);
      if (a.action === "isolate" && !target.node)
        fail(
          `applies to one node: target=${target.service?.name}.node(2) (or a node selector such as .leader(...))`,
        );
      if (a.action !== "cut" && target.link)
        fail(`acts on a service or a node, not on a link (a link takes cut() and protocol rules)`);
    }
  }

  faultAssumption(name: string, o: AssumptionOptions): FaultAssumption {
    if (!name) throw new SpecError("fault_assumption() requires a name", { location: o.location });
    const where = `fault_assumption("${name}")`;
    const repr = this.suite.repr;
    checkList(where, "rules", o.rules, RULE, repr, o.location);
    checkList(where, "monitors", o.monitors, MONITOR, repr, o.location);
    checkList(where, "faults", o.faults, FAULT_ASSUMPTION, repr, o.location);
    let targetService: ServiceDef | undefined;
    let targetInterface: { service: string; iface: string } | undefined;
    let targetNode: NodeRef | undefined;
    let targetLink: LinkRef | undefined;
    const t = o.target as { kind?: string } | undefined;
    if (t?.kind === "service") targetService = o.target as ServiceDef;
    else if (t?.kind === "node_ref") {
      targetNode = o.target as NodeRef;
      targetService = this.findService(targetNode.service);
    } else if (t?.kind === "link_ref") {
      targetLink = o.target as LinkRef;
      targetService = this.findService(targetLink.service);
    } else if (o.target) {
      targetInterface = o.target as { service: string; iface: string };
      targetService = this.findService(targetInterface.service);
    }
    const all = o.rules ?? [];
    const actions = all.filter((r): r is ServiceActionRule => r.kind === "service_action");
    const rules = all.filter((r): r is ProxyRule => r.kind === "proxy_rule");
    this.checkActions(
      where,
      actions,
      { service: targetService, node: targetNode, link: targetLink },
      o.location,
    );
    if (rules.length > 0 && targetNode) {
      throw new SpecError(
        `${where}: protocol rules go on an interface (${targetNode.service}.<interface>) or a link between two nodes (${targetNode.service}.link(a, b)), not on one node`,
        { location: o.location },
      );
    }
    if (rules.length > 0 && targetLink) {
      // Rules on a link are the protocol's rules on the traffic between the nodes (Kafka's replication).
      const svc = targetService!;
      const iface = svc.interfaces.find((i) => getProtocol(i.protocol)?.proxy);
      if (!iface)
        throw new SpecError(`${where}: service "${svc.name}" has no interface whose protocol has rules`, {
          location: o.location,
        });
      for (const r of rules) {
        const problem = checkRuleSupported(iface.protocol, r);
        if (problem) throw new SpecError(`${where}: ${problem}`, { location: o.location });
      }
    } else if (rules.length > 0) {
      if (!targetInterface) {
        throw new SpecError(
          `${where}: rules= requires target to be an interface (e.g. kafka.broker), got ${o.target ? "a service" : "no target"}`,
          { location: o.location },
        );
      }
      const svc = this.findService(targetInterface.service);
      const iface = svc?.interfaces.find((i) => i.name === targetInterface!.iface);
      if (!iface)
        throw new SpecError(
          `${where}: unknown interface ${targetInterface.service}.${targetInterface.iface}`,
          { location: o.location },
        );
      if (getProtocol(iface.protocol)) {
        for (const r of rules) {
          const problem = checkRuleSupported(iface.protocol, r);
          if (problem) throw new SpecError(`${where}: ${problem}`, { location: o.location });
        }
      } else {
        throw new SpecError(
          `${where}: protocol "${iface.protocol}" of ${targetInterface.service}.${targetInterface.iface} is not available in this build, so its rules cannot apply`,
          { location: o.location },
        );
      }
    }
    const syscallFaults = o.syscall ?? {};
    let syscall: SyscallRule[] = [];
    if (Object.keys(syscallFaults).length > 0) {
      if (!targetService || targetNode || targetLink)
        throw new SpecError(`${where} requires target= (a service) when syscall faults are specified`, {
          location: o.location,
        });
      syscall = this.syscallRules(targetService, syscallFaults, where);
    }
    const monitors = o.monitors ?? [];
    for (const m of monitors) this.claim(m);
    // Nothing to inject: a test under it runs as without it, and its grid cell would read as a fault.
    if (all.length === 0 && syscall.length === 0 && (o.faults ?? []).length === 0 && monitors.length === 0) {
      const at = o.location ? ` (${locationText(o.location)})` : "";
      this.suite.warnings.push(
        `${where}${at} injects nothing: no rules=, no syscall faults and no faults=, so a test under it runs without faults`,
      );
    }
    const assumption: FaultAssumption = {
      kind: "fault_assumption",
      name,
      description: o.description,
      targetInterface,
      targetService: targetService?.name,
      ...(targetNode ? { targetNode } : {}),
      ...(targetLink ? { targetLink } : {}),
      rules,
      actions,
      syscall,
      monitors,
      children: o.faults ?? [],
      location: o.location,
    };
    if (!this.runtime.current) (this.suite.assumptions ??= []).push(assumption);
    return assumption;
  }

  // ---- monitors -------------------------------------------------------------------------------------

  /** A monitor declared at load time is spec-wide until a fault window claims it. */
  monitor(def: MonitorDef): MonitorDef {
    const where = `monitor("${def.name}")`;
    const slots: [string, unknown][] =
      def.form === "callback"
        ? [["callback", def.callback]]
        : def.form === "stateful"
          ? [
              ["on", def.on],
              ["update", def.update],
              ["check", def.check],
            ]
          : [["check", def.check]];
    for (const [slot, fn] of slots) checkValue(where, slot, fn, FUNCTION, this.suite.repr, def.location);
    if (this.runtime.current) this.runtime.current.registerMonitor(def);
    else this.suite.monitors.push(def);
    return def;
  }

  private claim(m: MonitorDef): void {
    this.claimed.add(m);
    this.suite.monitors = this.suite.monitors.filter((x) => x !== m);
  }

  // ---- tests ----------------------------------------------------------------------------------------

  /**
   * Registers a test under a name no other test has: two tests of one name would run as one, and the
   * other would vanish without a word. So a second declaration of a name is a load error naming both,
   * with two exceptions. A top-level `def test_x` (discovered: registered after the spec has run) beats
   * a scenario(), fault_scenario() or fault_matrix() cell of the same name, as in Faultbox, with a
   * warning that names what it replaced. And scenario(f) of a function already registered is nothing new.
   */
  addTest(def: TestDef, discovered = false): void {
    if (!/^test_/.test(def.name)) def.name = `test_${def.name}`;
    const earlier = this.testNames.get(def.name);
    if (earlier) {
      if (def.kind === "scenario" && earlier.kind === "scenario" && this.sameScenario(earlier, def)) return;
      if (discovered && earlier.kind !== "test") {
        const faults = earlier.faults.length
          ? ` (under fault${earlier.faults.length > 1 ? "s" : ""} ${earlier.faults.join(", ")})`
          : "";
        this.suite.warnings.push(
          `${declaredAs(def)} replaces ${declaredAs(earlier)}${faults}, which has the same name and will not run: rename one of them to run both`,
        );
        this.suite.tests = this.suite.tests.filter((t) => t !== earlier);
      } else {
        throw new SpecError(
          `${declaredAs(def, false)}: a test named ${def.name} is already declared by ${declaredAs(earlier)}; test names must be unique`,
          { location: def.location },
        );
      }
    }
    this.testNames.set(def.name, def);
    this.suite.tests.push(def);
  }

  /** scenario() bodies of one function: the same ScenarioRef's function. */
  private readonly scenarioFns = new WeakMap<TestDef, unknown>();
  private sameScenario(a: TestDef, b: TestDef): boolean {
    return this.scenarioFns.get(a) !== undefined && this.scenarioFns.get(a) === this.scenarioFns.get(b);
  }

  test(
    name: string,
    body: () => Promise<unknown>,
    o: { timeoutMs?: number; location?: SourceLocation; discovered?: boolean } = {},
  ): void {
    checkValue(`test("${name}")`, "body", body, FUNCTION, this.suite.repr, o.location);
    const { discovered, ...rest } = o;
    this.addTest({ name, kind: "test", body, faults: [], ...rest }, discovered);
  }

  scenario(ref: ScenarioRef, location?: SourceLocation): ScenarioRef {
    const def: TestDef = { name: `test_${ref.name}`, kind: "scenario", body: ref.fn, faults: [], location };
    this.scenarioFns.set(def, ref.identity ?? ref.fn);
    this.addTest(def);
    return ref;
  }

  private faultScenarioBody(o: FaultScenarioOptions): () => Promise<unknown> {
    const faults = o.faults ?? [];
    const monitors = o.monitors ?? [];
    for (const m of monitors) this.claim(m);
    return async () => {
      const run = this.runtime.run("fault_scenario");
      const offs = monitors.map((m) => run.registerMonitor(m));
      try {
        return await run.withFaults(faults, async () => {
          const result = await o.scenario.fn();
          await run.checkMonitors();
          if (o.expect) {
            try {
              await o.expect(result);
            } catch (err) {
              run.expectationViolated = true;
              throw err;
            }
          }
          return result;
        });
      } finally {
        offs.forEach((off) => off());
      }
    };
  }

  faultScenario(name: string, o: FaultScenarioOptions): void {
    const where = `fault_scenario("${name}")`;
    if (!o.scenario) throw new SpecError(`${where} requires scenario=`, { location: o.location });
    const repr = this.suite.repr;
    checkValue(where, "scenario", o.scenario, SCENARIO, repr, o.location);
    checkList(where, "faults", o.faults, FAULT_ASSUMPTION, repr, o.location);
    checkList(where, "monitors", o.monitors, MONITOR, repr, o.location);
    checkValue(where, "expect", o.expect, FUNCTION, repr, o.location);
    this.addTest({
      name: `test_${name}`,
      kind: "fault_scenario",
      body: this.faultScenarioBody(o),
      faults: (o.faults ?? []).map((f) => f.name),
      location: o.location,
      timeoutMs: o.timeoutMs,
    });
  }

  faultMatrix(o: FaultMatrixOptions): void {
    if (!o.scenarios?.length)
      throw new SpecError("fault_matrix() requires scenarios= with at least one scenario", {
        location: o.location,
      });
    if (!o.faults?.length)
      throw new SpecError("fault_matrix() requires faults= with at least one fault_assumption", {
        location: o.location,
      });
    const repr = this.suite.repr;
    checkList("fault_matrix()", "scenarios", o.scenarios, SCENARIO, repr, o.location);
    checkList("fault_matrix()", "faults", o.faults, FAULT_ASSUMPTION, repr, o.location);
    checkList("fault_matrix()", "monitors", o.monitors, MONITOR, repr, o.location);
    checkValue("fault_matrix()", "default_expect", o.defaultExpect, FUNCTION, repr, o.location);
    const scenarioNames = o.scenarios.map((x) => x.name);
    const faultNames = o.faults.map((x) => x.name);
    // Two different values of one name would make one column (or row) of two: one of them never runs.
    for (const [slot, values] of [
      ["scenarios", o.scenarios.map((x) => ({ name: x.name, id: x.identity ?? x.fn, location: undefined }))],
      ["faults", o.faults.map((x) => ({ name: x.name, id: x as unknown, location: x.location }))],
    ] as const) {
      values.forEach((v, i) => {
        const j = values.findIndex((w) => w.name === v.name);
        if (j === i) return;
        const where = (x: { location?: SourceLocation }) =>
          x.location ? ` (${locationText(x.location)})` : "";
        throw new SpecError(
          values[j]!.id === v.id
            ? `fault_matrix(): ${slot}= names "${v.name}" twice (items ${j + 1} and ${i + 1})`
            : `fault_matrix(): ${slot}= holds two different values named "${v.name}" (items ${j + 1}${where(values[j]!)} and ${i + 1}${where(v)}); give them distinct names`,
          { location: o.location },
        );
      });
    }
    for (const [slot, cells] of [
      ["overrides", o.overrides ?? []],
      ["exclude", o.exclude ?? []],
    ] as const) {
      for (const c of cells) {
        const problem = !scenarioNames.includes(c.scenario)
          ? `scenario "${c.scenario}" is not in scenarios= (${scenarioNames.join(", ")})`
          : !faultNames.includes(c.fault)
            ? `fault "${c.fault}" is not in faults= (${faultNames.join(", ")})`
            : undefined;
        if (problem)
          throw new SpecError(
            `fault_matrix(): ${slot}= names the cell (${c.scenario}, ${c.fault}), but ${problem}`,
            {
              location: o.location,
            },
          );
      }
    }
    for (const ov of o.overrides ?? [])
      checkValue("fault_matrix()", "overrides", ov.expect, FUNCTION, repr, o.location);
    const excluded = o.exclude ?? [];
    const matrix = this.suite.matrix ?? { scenarios: [], faults: [], excluded: [] };
    for (const s of o.scenarios) if (!matrix.scenarios.includes(s.name)) matrix.scenarios.push(s.name);
    for (const f of o.faults) if (!matrix.faults.includes(f.name)) matrix.faults.push(f.name);
    matrix.excluded.push(...excluded);
    this.suite.matrix = matrix;
    for (const s of o.scenarios) {
      for (const f of o.faults) {
        if (excluded.some((x) => x.scenario === s.name && x.fault === f.name)) continue;
        const override = o.overrides?.find((x) => x.scenario === s.name && x.fault === f.name);
        const name = `test_matrix_${s.name}_${f.name}`;
        this.addTest({
          name,
          kind: "matrix",
          matrix: { scenario: s.name, fault: f.name },
          body: this.faultScenarioBody({
            scenario: s,
            faults: [f],
            expect: override?.expect ?? o.defaultExpect,
            monitors: o.monitors,
          }),
          faults: [f.name],
          location: o.location,
        });
      }
    }
  }
}

/** How a test was declared, for messages: `fault_scenario("s") at faultbox.star:7`. */
function declaredAs(t: TestDef, withPlace = true): string {
  const short = t.name.slice("test_".length);
  const what =
    t.kind === "matrix"
      ? `the fault_matrix() cell (${t.matrix!.scenario}, ${t.matrix!.fault})`
      : t.kind === "fault_scenario"
        ? `fault_scenario("${short}")`
        : t.kind === "scenario"
          ? `scenario(${short})`
          : `test ${t.name}`;
  return withPlace && t.location ? `${what} at ${locationText(t.location)}` : what;
}

/** A spec's probability= (absent means always), with the grammar's message as a spec error. */
function specProbability(value: unknown, what: string): number {
  if (value === undefined || value === null) return 1;
  try {
    return parseProbability(value, what);
  } catch (err) {
    throw new SpecError((err as Error).message);
  }
}
