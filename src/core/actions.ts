// Service actions: kill, stop, start, restart, pause, resume of a service or one of its nodes, and
// isolate/cut/heal of the links between a cluster's nodes. Steps call them directly
// (`kafka.restart()`, `kafka.leader(topic="t").kill()`); fault windows apply them when the window
// opens and undo them when it closes. Every action is an event `service_action` on the service,
// appended once the action is done, naming the node it chose and why.
import { SpecError, errorMessage } from "./errors.js";
import type { EventLog } from "./events.js";
import type { ServiceActions } from "./launcher.js";
import type { ActionName, LinkRef, NodeRef, ProxyRule, ServiceActionRule } from "./model.js";
import { getProtocol } from "./protocol.js";
import type { RunningService, ServiceManager } from "./services.js";

/** What a step may ask: the window actions plus their undos. */
export type ActionVerb = ActionName | "start" | "resume" | "heal";

/** Where an action goes: a whole service, one node (by id or selector), or a link between two. */
export type ActionTarget = { service: string } | { node: NodeRef } | { link: LinkRef };

/** A node chosen for an action, with what the choice rested on (for the event). */
export interface ResolvedNode {
  node: number;
  /** How it was named, when by a selector: `kafka.leader(topic="t", partition=0)`. */
  selectedBy?: string;
  info?: Record<string, unknown>;
}

/** The undo of a window's action, run when the window closes. */
export type Undo = () => Promise<void>;

export class ActionRunner {
  constructor(
    private readonly services: ServiceManager,
    private readonly log: EventLog,
    private readonly signal: AbortSignal,
  ) {}

  private entry(service: string, verb: string): { entry: RunningService; actions: ServiceActions } {
    const entry = this.services.running.get(service);
    if (!entry) throw new SpecError(`${verb}: service "${service}" is not running in this test`);
    const actions = entry.process.actions;
    if (!actions)
      throw new SpecError(
        `${verb}: ${entry.process.actionsUnavailable ?? `the launcher of service "${service}" cannot act on it`}`,
      );
    return { entry, actions };
  }

  /** Resolves a node reference now: by id, or by asking the protocol's selector. */
  async resolve(ref: NodeRef): Promise<ResolvedNode> {
    const { entry, actions } = this.entry(ref.service, ref.text);
    if (ref.node !== undefined) {
      if (!actions.nodes.includes(ref.node))
        throw new SpecError(
          `${ref.text}: service "${ref.service}" has node${actions.nodes.length > 1 ? "s" : ""} ${actions.nodes.join(", ")}`,
        );
      return { node: ref.node };
    }
    const sel = ref.select!;
    const iface = entry.def.interfaces.find((i) => i.protocol === sel.protocol)!;
    const selector = getProtocol(sel.protocol)?.nodeSelectors?.[sel.name];
    if (!selector)
      throw new SpecError(`${ref.text}: protocol "${sel.protocol}" has no selector "${sel.name}"`);
    let found: { node: number; info?: Record<string, unknown> };
    try {
      found = await selector.resolve({
        target: this.services.stepTarget(entry.def, iface.name),
        args: sel.args,
        serviceEnv: entry.def.env,
        service: ref.service,
        iface: iface.name,
        nodes: actions.nodes,
        signal: this.signal,
      });
    } catch (err) {
      throw new Error(`${ref.text}: ${errorMessage(err)}`);
    }
    if (!actions.nodes.includes(found.node))
      throw new Error(
        `${ref.text} is node ${found.node}, which service "${ref.service}" does not run (its nodes: ${actions.nodes.join(", ")})`,
      );
    return { node: found.node, selectedBy: ref.text, ...(found.info ? { info: found.info } : {}) };
  }

  private emit(service: string, data: Record<string, unknown>): void {
    this.log.append("service_action", service, data);
  }

  private describeNode(r: ResolvedNode): Record<string, unknown> {
    return { node: r.node, ...(r.selectedBy ? { selected_by: r.selectedBy } : {}), ...(r.info ?? {}) };
  }

  /** The nodes a service-or-node target means: every node of the service, or the one chosen. */
  private async nodesOf(
    target: ActionTarget,
    verb: string,
  ): Promise<{ service: string; chosen: ResolvedNode[] }> {
    if ("link" in target) throw new SpecError(`${verb}() acts on a service or a node, not on a link`);
    if ("node" in target) return { service: target.node.service, chosen: [await this.resolve(target.node)] };
    const { actions } = this.entry(target.service, `${verb}()`);
    return { service: target.service, chosen: actions.nodes.map((node) => ({ node })) };
  }

  private nodeFields(chosen: ResolvedNode[], whole: boolean): Record<string, unknown> {
    if (chosen.length === 1 && !whole) return this.describeNode(chosen[0]!);
    return { nodes: chosen.map((c) => c.node) };
  }

  /**
   * Performs one verb now (a step, or one side of a window). Returns what the event recorded, so a
   * window can undo exactly the nodes and links it touched.
   */
  async perform(
    target: ActionTarget,
    verb: ActionVerb,
    params: ServiceActionRule["params"],
    cause: string,
  ): Promise<Record<string, unknown>> {
    if (verb === "cut" || ("link" in target && verb === "heal")) {
      if (!("link" in target))
        throw new SpecError(`${verb}() applies to a link between two nodes, e.g. kafka.link(1, 2)`);
      return this.onLink(target.link, verb, params, cause);
    }
    if (verb === "isolate" || (verb === "heal" && "node" in target)) {
      if (!("node" in target))
        throw new SpecError(`${verb}() applies to one node, e.g. kafka.node(2) or kafka.leader(topic="t")`);
      return this.isolation(target.node, verb, params, cause);
    }
    if (verb === "heal") {
      const { entry, actions } = this.entry((target as { service: string }).service, "heal()");
      const links = [...entry.cuts];
      for (const l of links) {
        const [a, b] = l.split("->").map(Number) as [number, number];
        actions.links?.heal(a, b);
        entry.cuts.delete(l);
      }
      const clients = [...entry.clientCuts].sort((a, b) => a - b);
      for (const n of clients) this.services.clientIsolation(entry, n, false);
      const data = { action: "heal", links, ...(clients.length ? { clients } : {}), cause };
      this.emit(entry.def.name, data);
      return data;
    }
    const whole = "service" in target;
    const { service, chosen } = await this.nodesOf(target, verb);
    const { entry, actions } = this.entry(service, `${verb}()`);
    const nodes = chosen.map((c) => c.node);
    const graceMs = this.services.stopGraceMs;
    const started = performance.now();
    const take = async (how: "kill" | "stop") => {
      const up = nodes.filter((n) => !entry.down.has(n));
      for (const n of up) entry.down.add(n);
      for (const n of up) entry.paused.delete(n);
      await Promise.all(up.map((n) => (how === "kill" ? actions.kill(n) : actions.stop(n, graceMs))));
    };
    switch (verb) {
      case "kill":
        await take("kill");
        break;
      case "stop":
        await take("stop");
        break;
      case "start": {
        const down = nodes.filter((n) => entry.down.has(n));
        if (down.length) await this.services.startNodes(entry, down);
        break;
      }
      case "restart":
        await take(params.kill ? "kill" : "stop");
        await this.services.startNodes(entry, nodes);
        break;
      case "pause":
        for (const n of nodes) {
          if (entry.down.has(n))
            throw new Error(
              `pause(): node ${n} of service "${service}" is down (killed or stopped); start it first`,
            );
        }
        for (const n of nodes) {
          await actions.pause(n);
          entry.paused.add(n);
        }
        break;
      case "resume":
        for (const n of nodes.filter((x) => entry.paused.has(x))) {
          await actions.resume(n);
          entry.paused.delete(n);
        }
        break;
    }
    const data: Record<string, unknown> = {
      action: verb,
      ...this.nodeFields(chosen, whole),
      ...(verb === "restart" ? { kill: Boolean(params.kill) } : {}),
      cause,
      duration_ms: Math.round(performance.now() - started),
    };
    this.emit(service, data);
    return data;
  }

  private linksOf(entry: RunningService, actions: ServiceActions, what: string) {
    if (!actions.links)
      throw new SpecError(
        `${what}: the nodes of service "${entry.def.name}" do not talk through faultbox's link proxies (a Kafka service with nodes= does)`,
      );
    return actions.links;
  }

  private async onLink(
    link: LinkRef,
    verb: "cut" | "heal",
    params: ServiceActionRule["params"],
    cause: string,
  ): Promise<Record<string, unknown>> {
    const { entry, actions } = this.entry(link.service, `${verb}()`);
    const links = this.linksOf(entry, actions, `${verb}() on ${link.text}`);
    const [a, b] = [await this.resolve(link.from), await this.resolve(link.to)];
    if (a.node === b.node) throw new Error(`${link.text}: both ends are node ${a.node}`);
    const pairs = params.oneWay
      ? [[a.node, b.node]]
      : [
          [a.node, b.node],
          [b.node, a.node],
        ];
    for (const [x, y] of pairs as [number, number][]) {
      if (verb === "cut") {
        links.cut(x, y);
        entry.cuts.add(`${x}->${y}`);
      } else {
        links.heal(x, y);
        entry.cuts.delete(`${x}->${y}`);
      }
    }
    const data = {
      action: verb,
      link: `${a.node}->${b.node}`,
      ...(params.oneWay ? { one_way: true } : {}),
      ...(a.selectedBy ? { from_selected_by: a.selectedBy } : {}),
      ...(b.selectedBy ? { to_selected_by: b.selectedBy } : {}),
      cause,
    };
    this.emit(link.service, data);
    return data;
  }

  private async isolation(
    ref: NodeRef,
    verb: "isolate" | "heal",
    params: ServiceActionRule["params"],
    cause: string,
  ): Promise<Record<string, unknown>> {
    const { entry, actions } = this.entry(ref.service, `${verb}()`);
    const links = this.linksOf(entry, actions, `${verb}() on ${ref.text}`);
    const chosen = await this.resolve(ref);
    const n = chosen.node;
    // The clients first: if their proxy cannot cut them off, nothing has changed yet.
    const clients = verb === "isolate" ? Boolean(params.clients) : entry.clientCuts.has(n);
    if (clients) this.services.clientIsolation(entry, n, verb === "isolate");
    for (const other of actions.nodes) {
      if (other === n) continue;
      for (const [x, y] of [
        [n, other],
        [other, n],
      ] as [number, number][]) {
        if (verb === "isolate") {
          links.cut(x, y);
          entry.cuts.add(`${x}->${y}`);
        } else {
          links.heal(x, y);
          entry.cuts.delete(`${x}->${y}`);
        }
      }
    }
    const data = { action: verb, ...this.describeNode(chosen), ...(clients ? { clients: true } : {}), cause };
    this.emit(ref.service, data);
    return data;
  }

  /**
   * Applies a window's action when the window opens; returns its undo (none for restart). The undo
   * acts on the nodes and links the action touched, even when a selector would choose another now.
   */
  async apply(rule: ServiceActionRule, target: ActionTarget, cause: string): Promise<Undo | undefined> {
    const done = await this.perform(target, rule.action, rule.params, cause);
    const service =
      "service" in target ? target.service : "node" in target ? target.node.service : target.link.service;
    const ids =
      (done.nodes as number[] | undefined) ?? (done.node !== undefined ? [done.node as number] : []);
    const fixed = (verb: ActionVerb) => async () => {
      for (const node of ids)
        await this.perform(
          { node: { kind: "node_ref", service, node, text: `${service}.node(${node})` } },
          verb,
          {},
          cause,
        );
    };
    switch (rule.action) {
      case "kill":
      case "stop":
        return "service" in target
          ? () => this.perform(target, "start", {}, cause).then(() => undefined)
          : fixed("start");
      case "pause":
        return "service" in target
          ? () => this.perform(target, "resume", {}, cause).then(() => undefined)
          : fixed("resume");
      case "isolate":
        return fixed("heal");
      case "cut": {
        const [a, b] = String(done.link).split("->").map(Number) as [number, number];
        const link: LinkRef = {
          kind: "link_ref",
          service,
          from: { kind: "node_ref", service, node: a, text: `${service}.node(${a})` },
          to: { kind: "node_ref", service, node: b, text: `${service}.node(${b})` },
          text: `${service}.link(${a}, ${b})`,
        };
        return async () => void (await this.perform({ link }, "heal", rule.params, cause));
      }
      case "restart":
        return undefined;
    }
  }

  /** Protocol rules on a link (replication traffic between two nodes), for a window. */
  async addLinkRules(link: LinkRef, rules: ProxyRule[]): Promise<{ link: string; undo: Undo }> {
    const { entry, actions } = this.entry(link.service, "rules on a link");
    const links = this.linksOf(entry, actions, `rules on ${link.text}`);
    const [a, b] = [await this.resolve(link.from), await this.resolve(link.to)];
    if (a.node === b.node) throw new Error(`${link.text}: both ends are node ${a.node}`);
    for (const r of rules) links.addRule(a.node, b.node, r);
    return {
      link: `${a.node}->${b.node}`,
      undo: async () => links.removeRules(a.node, b.node, rules),
    };
  }
}
