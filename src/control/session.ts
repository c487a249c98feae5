// The state behind `faultbox proxy`: named proxies (started through the protocol registry, the same
// factories the engine uses), the rules installed on them with ids and counters, and the events they
// report, kept in a bounded buffer for queries and handed to live subscribers. The HTTP control API
// (server.ts) is a thin adapter over this; so is the CLI's log.
import type { ProxyRule } from "../core/model.js";
import { getProtocol, type Address, type ProtocolProxy } from "../core/protocol.js";
import { createRng } from "../core/random.js";
import { ControlError, parseRule, ruleVocabulary, type RuleFields } from "./rules.js";

export interface ProxySpec {
  name: string;
  protocol: string;
  upstream: Address;
  /** Where the proxy listens; port 0: any free port. */
  listen: Address;
  /** Rules installed at start (same JSON form as the API's). */
  rules?: unknown[];
}

export interface ProxyView {
  name: string;
  protocol: string;
  /** "host:port" clients connect to (for Kafka: the bootstrap address). */
  listen: string;
  upstream: string;
  rules: number;
  /** The rule kinds this proxy implements, with their fields: what POST .../rules accepts. */
  supported: Record<string, RuleFields>;
}

export interface RuleView {
  id: number;
  proxy: string;
  action: string;
  /** Constructor form, as in specs and fault events: drop(topic="orders"). */
  rule: string;
  /** The fields as posted. */
  definition: Record<string, unknown>;
  /** Requests (or connections) the rule's matchers matched; null when the proxy does not count them. */
  matched: number | null;
  /** How often it acted. */
  fired: number;
  /** False once removed (listed by the events query until reset). */
  active: boolean;
  created: string;
}

/** An event as the API reports it: `type` is fault, connection_open, connection_close, malformed or warning. */
export interface ControlEvent {
  seq: number;
  time: string;
  proxy: string;
  type: string;
  rule_id?: number;
  [field: string]: unknown;
}

/** Control actions, for the log only (the event buffer holds what the proxies report). */
export type ControlAction =
  | { type: "rule_added"; proxy: string; rule_id: number; rule: string }
  | {
      type: "rule_removed";
      proxy: string;
      rule_id: number;
      rule: string;
      matched: number | null;
      fired: number;
    }
  | { type: "reset"; removed: number };

export interface EventQuery {
  /** Only events with a greater seq. */
  since?: number;
  proxy?: string;
  types?: string[];
  ruleId?: number;
  limit?: number;
}

export interface SessionOptions {
  proxies: ProxySpec[];
  seed: bigint;
  /** How many events the query keeps (oldest dropped first). Default 10,000. */
  eventBuffer?: number;
  /** Every event and control action, for the log. */
  onLog?: (entry: ControlEvent | ControlAction) => void;
}

interface RuleEntry {
  id: number;
  proxy: Running;
  rule: ProxyRule;
  definition: Record<string, unknown>;
  created: string;
  /** Fires seen in events: the count for proxies without ruleCounts. */
  firedEvents: number;
  /** Counts frozen at removal. */
  final?: { matched: number | null; fired: number };
}

interface Running {
  spec: ProxySpec;
  handle: ProtocolProxy;
  rules: RuleEntry[];
}

const EVENT_TYPES: Record<string, string> = {
  proxy: "fault",
  proxy_conn_open: "connection_open",
  proxy_conn_close: "connection_close",
  proxy_malformed: "malformed",
  proxy_warning: "warning",
};

/** Removed rules stay listed (with their final counts) until reset, up to this many. */
const REMOVED_KEPT = 1000;

const hostPort = (a: Address) => `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;

export class ProxySession {
  readonly seed: bigint;
  private readonly running = new Map<string, Running>();
  private readonly byRule = new Map<ProxyRule, RuleEntry>();
  private removed: RuleEntry[] = [];
  private nextRuleId = 1;
  private seq = 0;
  private buffer: ControlEvent[] = [];
  private readonly capacity: number;
  private readonly subscribers = new Set<(e: ControlEvent) => void>();
  private closed = false;

  private constructor(private readonly options: SessionOptions) {
    this.seed = options.seed;
    this.capacity = options.eventBuffer ?? 10_000;
  }

  /** Starts every proxy (all or none: a failure closes those already started) and installs start rules. */
  static async start(options: SessionOptions): Promise<ProxySession> {
    const session = new ProxySession(options);
    const names = new Set<string>();
    for (const spec of options.proxies) {
      if (names.has(spec.name)) throw new ControlError(400, `two proxies are named "${spec.name}"`, "name");
      names.add(spec.name);
    }
    // Start rules are checked before anything listens, so a bad one starts nothing.
    for (const spec of options.proxies) {
      session.requireProtocol(spec.protocol);
      (spec.rules ?? []).forEach((r, i) => parseRule(spec.protocol, r, `${spec.name}.rules[${i}].`));
    }
    try {
      for (const spec of options.proxies) await session.startOne(spec);
      for (const spec of options.proxies) if (spec.rules?.length) session.addRules(spec.name, spec.rules);
    } catch (err) {
      await session.close();
      throw err;
    }
    return session;
  }

  private requireProtocol(protocol: string) {
    const plugin = getProtocol(protocol);
    if (!plugin?.proxy || !plugin.rules)
      throw new ControlError(400, `protocol "${protocol}" has no proxy in this build`, "protocol");
    return plugin;
  }

  private async startOne(spec: ProxySpec): Promise<void> {
    const plugin = this.requireProtocol(spec.protocol);
    let handle: ProtocolProxy;
    try {
      handle = await plugin.proxy!({
        upstream: spec.upstream,
        seed: createRng(this.seed).fork(`proxy:${spec.name}`).seed,
        listenHost: spec.listen.host,
        listenPort: spec.listen.port,
        onEvent: (type, data, rule) => this.record(spec.name, type, data, rule),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why =
        e.code === "EADDRINUSE"
          ? "the address is in use"
          : e.code === "EADDRNOTAVAIL"
            ? "no interface of this machine has that address"
            : e.code === "EACCES"
              ? "permission denied (ports below 1024 need privileges)"
              : e.message;
      throw new Error(`proxy "${spec.name}" cannot listen on ${hostPort(spec.listen)}: ${why}`);
    }
    this.running.set(spec.name, { spec, handle, rules: [] });
  }

  private record(proxy: string, type: string, data: Record<string, unknown>, rule?: ProxyRule): void {
    const entry = rule ? this.byRule.get(rule) : undefined;
    if (entry && type === "proxy") entry.firedEvents++;
    const head = {
      seq: ++this.seq,
      time: new Date().toISOString(),
      proxy,
      type: EVENT_TYPES[type] ?? type,
      ...(entry ? { rule_id: entry.id } : {}),
    };
    // These fields first in the output, and never overwritten by the proxy's own fields.
    const event: ControlEvent = { ...head, ...data, ...head };
    this.buffer.push(event);
    // Trim in steps of a tenth, so trimming costs O(1) per event on average.
    if (this.buffer.length > this.capacity) this.buffer = this.buffer.slice(Math.ceil(this.capacity / 10));
    this.options.onLog?.(event);
    for (const s of this.subscribers) s(event);
  }

  private get(name: string): Running {
    const r = this.running.get(name);
    if (!r)
      throw new ControlError(
        404,
        `no proxy named "${name}"; proxies: ${[...this.running.keys()].join(", ") || "none"}`,
        "name",
      );
    return r;
  }

  proxies(): ProxyView[] {
    return [...this.running.values()].map((r) => this.view(r));
  }

  proxy(name: string): ProxyView {
    return this.view(this.get(name));
  }

  private view(r: Running): ProxyView {
    return {
      name: r.spec.name,
      protocol: r.spec.protocol,
      listen: hostPort(r.handle.listen),
      upstream: hostPort(r.spec.upstream),
      rules: r.rules.length,
      supported: ruleVocabulary(r.spec.protocol),
    };
  }

  /** Parses every rule first; installs them only when all are valid (and undoes a partial install). */
  addRules(name: string, bodies: unknown[], where?: (i: number) => string): RuleView[] {
    const r = this.get(name);
    const parsed = bodies.map((b, i) => parseRule(r.spec.protocol, b, where?.(i) ?? ""));
    const created = new Date().toISOString();
    const added: RuleEntry[] = [];
    try {
      for (const p of parsed) {
        const entry: RuleEntry = {
          id: this.nextRuleId,
          proxy: r,
          rule: p.rule,
          definition: p.definition,
          created,
          firedEvents: 0,
        };
        r.handle.addRule(p.rule);
        this.nextRuleId++;
        added.push(entry);
        r.rules.push(entry);
        this.byRule.set(p.rule, entry);
      }
    } catch (err) {
      for (const e of added) this.uninstall(e);
      throw err;
    }
    for (const e of added)
      this.options.onLog?.({ type: "rule_added", proxy: name, rule_id: e.id, rule: e.rule.text });
    return added.map((e) => this.ruleView(e));
  }

  rules(name?: string): RuleView[] {
    const from = name === undefined ? [...this.running.values()] : [this.get(name)];
    return from.flatMap((r) => r.rules.map((e) => this.ruleView(e)));
  }

  rule(name: string, id: number): RuleView {
    return this.ruleView(this.findRule(name, id));
  }

  private findRule(name: string, id: number): RuleEntry {
    const r = this.get(name);
    const e = r.rules.find((x) => x.id === id);
    if (!e) {
      const gone = this.removed.find((x) => x.id === id && x.proxy === r);
      throw new ControlError(
        404,
        gone
          ? `rule ${id} of proxy "${name}" was removed already`
          : `proxy "${name}" has no rule ${id}; its rules: ${r.rules.map((x) => x.id).join(", ") || "none"}`,
        "id",
      );
    }
    return e;
  }

  removeRule(name: string, id: number): RuleView {
    const e = this.findRule(name, id);
    this.uninstall(e);
    const view = this.ruleView(e);
    this.options.onLog?.({
      type: "rule_removed",
      proxy: name,
      rule_id: id,
      rule: e.rule.text,
      matched: view.matched,
      fired: view.fired,
    });
    return view;
  }

  /** Removes every rule of one proxy. */
  clearRules(name: string): RuleView[] {
    const r = this.get(name);
    return [...r.rules].map((e) => this.removeRule(name, e.id));
  }

  private uninstall(e: RuleEntry): void {
    const r = e.proxy;
    e.final = this.counts(e);
    r.rules = r.rules.filter((x) => x !== e);
    if (r.handle.removeRule) r.handle.removeRule(e.rule);
    else {
      r.handle.clearRules();
      for (const x of r.rules) r.handle.addRule(x.rule);
    }
    this.byRule.delete(e.rule);
    this.removed.push(e);
    if (this.removed.length > REMOVED_KEPT) this.removed = this.removed.slice(-REMOVED_KEPT);
  }

  private counts(e: RuleEntry): { matched: number | null; fired: number } {
    if (e.final) return e.final;
    const c = e.proxy.handle.ruleCounts?.(e.rule);
    return c ? { matched: c.matched, fired: c.fired } : { matched: null, fired: e.firedEvents };
  }

  private ruleView(e: RuleEntry): RuleView {
    const c = this.counts(e);
    return {
      id: e.id,
      proxy: e.proxy.spec.name,
      action: e.rule.action,
      rule: e.rule.text,
      definition: e.definition,
      matched: c.matched,
      fired: c.fired,
      active: e.final === undefined,
      created: e.created,
    };
  }

  /** Every rule on every proxy goes, removed rules are forgotten, and the event buffer is emptied. */
  reset(): { removed: number; next: number } {
    let removed = 0;
    for (const r of this.running.values()) {
      removed += r.rules.length;
      for (const e of r.rules) this.byRule.delete(e.rule);
      r.rules = [];
      r.handle.clearRules();
    }
    this.removed = [];
    this.buffer = [];
    this.options.onLog?.({ type: "reset", removed });
    return { removed, next: this.seq };
  }

  /** Active and removed rules (removed ones until reset), for the events query's counters. */
  allRules(name?: string): RuleView[] {
    const active = this.rules(name);
    const gone = this.removed
      .filter((e) => name === undefined || e.proxy.spec.name === name)
      .map((e) => this.ruleView(e));
    return [...active, ...gone].sort((a, b) => a.id - b.id);
  }

  private matches(q: EventQuery, e: ControlEvent): boolean {
    return (
      (q.since === undefined || e.seq > q.since) &&
      (q.proxy === undefined || e.proxy === q.proxy) &&
      (q.types === undefined || q.types.includes(e.type)) &&
      (q.ruleId === undefined || e.rule_id === q.ruleId)
    );
  }

  /** Retained events after `since`; `lost` counts those after `since` the buffer no longer holds. */
  events(q: EventQuery): { events: ControlEvent[]; next: number; lost: number } {
    if (q.proxy !== undefined) this.get(q.proxy);
    const since = q.since ?? 0;
    const oldest = this.buffer[0]?.seq ?? this.seq + 1;
    const lost = Math.max(0, oldest - since - 1);
    const limit = q.limit ?? Infinity;
    const out: ControlEvent[] = [];
    let next = this.seq;
    for (const e of this.buffer) {
      if (!this.matches(q, e)) continue;
      if (out.length >= limit) {
        next = out[out.length - 1]!.seq;
        break;
      }
      out.push(e);
    }
    return { events: out, next, lost };
  }

  /** Calls `fn` with each new event matching `q` (after the retained ones after q.since); returns the unsubscribe. */
  subscribe(q: EventQuery, fn: (e: ControlEvent) => void): () => void {
    if (q.proxy !== undefined) this.get(q.proxy);
    for (const e of this.buffer) if (this.matches(q, e)) fn(e);
    const live = { ...q, since: undefined };
    const s = (e: ControlEvent) => {
      if (this.matches(live, e)) fn(e);
    };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get lastSeq(): number {
    return this.seq;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscribers.clear();
    await Promise.all([...this.running.values()].map((r) => r.handle.close().catch(() => undefined)));
    this.running.clear();
  }
}
