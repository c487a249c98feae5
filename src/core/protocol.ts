// The protocol registry. A protocol (http, tcp, postgres, kafka, ...) registers one ProtocolPlugin:
// its step methods, its proxy (if it is proxy-capable), the fault rules the proxy understands,
// its healthcheck for ready(), and event sources (observers) a service can declare in observe=.
import type { ObserveSource } from "./model.js";
import type { ProxyRule } from "./model.js";
import type { RequestSample } from "./traffic.js";
import type { RuleCounts } from "./syscall.js";
import { nearest } from "../util/spell.js";

export interface Address {
  host: string;
  port: number;
  /**
   * Other addresses serving the same interface: the other nodes of a cluster. A proxy or an observer
   * that cannot reach this one (the node is down) may use them.
   */
  alternates?: Address[];
}

export interface StepCall {
  /** Where to send: the proxy when one runs in front of the interface, else the service itself. */
  target: Address;
  /** Keyword arguments as the spec passed them (already converted to plain JS values). */
  args: Record<string, unknown>;
  /** The target service's declared env (credentials such as POSTGRES_USER). */
  serviceEnv: Record<string, string>;
  service: string;
  iface: string;
  /** Seeded per step; use for anything random (group ids, client ids). */
  random: () => number;
  /** Unique per test run, for names that must not collide across tests/runs (consumer groups). */
  runNonce: string;
  testName: string;
  signal: AbortSignal;
}

/** What a step returns; a failed step does not throw (ok=false), a misuse does (SpecError). */
export interface StepOutcome {
  ok: boolean;
  error?: string;
  status?: number;
  body?: string;
  data?: unknown;
  /** Extra fields for the step_recv event. */
  fields?: Record<string, unknown>;
}

export interface StepMethod {
  /** Keywords accepted; others are rejected by name before the call. */
  params: string[];
  /** Keywords that must be present. */
  required?: string[];
  run(call: StepCall): Promise<StepOutcome>;
}

/** The proxy in front of one interface. Rules are evaluated in insertion order. */
export interface ProtocolProxy {
  readonly listen: Address;
  addRule(rule: ProxyRule): void;
  clearRules(): void;
  /**
   * How often traffic matched this rule and how often it fired, summed over every time it was
   * installed on this proxy (core takes the difference over a fault window). Optional: without it
   * core counts fires from the proxy's events and reports no match count.
   */
  ruleCounts?(rule: ProxyRule): RuleCounts;
  /**
   * Uninstalls one rule and leaves the others as they are (their counters, times= and after= state).
   * Returns whether it was installed. Optional: without it callers clear and re-add the others.
   */
  removeRule?(rule: ProxyRule): boolean;
  /**
   * Called each time the service starts (a fresh service per test, or the first start of a reused one)
   * with its real address (mapped or substituted port; maybe unchanged). A proxy that keeps state
   * about its upstream must forget it here: it now talks to a new process.
   */
  retarget?(upstream: Address): Promise<void>;
  /**
   * Called at the start of every test with that test run's seed: probabilistic rules draw from it from
   * then on, so a test's draws do not depend on the tests before it (`--test X --seed S` replays them).
   */
  reseed?(seed: bigint): void;
  /**
   * Lets every request held by a delay rule go on at once (called when a test stops: timeout, Ctrl-C,
   * end). Held requests must never keep a stopped test, or the run, waiting for their delay.
   */
  releaseHeld?(): void;
  /**
   * A network partition between the clients and one upstream address (one node of a cluster): the
   * connections relayed to it swallow what flows both ways, new ones are accepted and held unanswered,
   * and a bootstrap connection goes to another address. Optional: isolate(clients=True) needs it.
   */
  isolateUpstream?(upstream: Address): void;
  /** Ends isolateUpstream(): what it held is closed (clients reconnect) and new connections pass. */
  healUpstream?(upstream: Address): void;
  close(): Promise<void>;
}

export interface ProxyOptions {
  upstream: Address;
  /** Seed for probabilistic rules. */
  seed: bigint;
  /**
   * Emits `proxy` (a rule fired: `rule` is the rule that did) and connection events (`proxy_conn_open`,
   * `proxy_conn_close`) into the current test's log (service = the proxied service).
   */
  onEvent: (type: string, data: Record<string, unknown>, rule?: ProxyRule) => void;
  /**
   * Reports each request relayed, with its latency, for the report's plots (optional: a proxy without
   * a notion of requests reports none). Called often: keep it cheap.
   */
  onRequest?: (sample: RequestSample) => void;
  /** 127.0.0.1 in specs; `faultbox proxy` may name another interface. */
  listenHost: string;
  /** Port to listen on; absent or 0: any free port (read it from the proxy's `listen`). */
  listenPort?: number;
}

export type ProxyFactory = (options: ProxyOptions) => Promise<ProtocolProxy>;

/** Which rule actions a proxy implements, with the matcher keywords each accepts. */
export interface RuleSupport {
  matchers: string[];
  params: string[];
  /** Parameters a rule of this kind must give (delay= of delay rules). */
  required?: string[];
}

export interface HealthcheckContext {
  serviceEnv: Record<string, string>;
  signal: AbortSignal;
}

/** What a node selector gets when an action fires: where to ask (the service's proxy) and its args. */
export interface NodeSelectCall {
  /** The interface's proxy when one runs, else the service itself (as for steps). */
  target: Address;
  args: Record<string, unknown>;
  serviceEnv: Record<string, string>;
  service: string;
  iface: string;
  /** The service's node ids. */
  nodes: readonly number[];
  signal: AbortSignal;
}

/** A selector of one node of a multi-node service, e.g. Kafka's leader(topic=, partition=). */
export interface ProtocolNodeSelector {
  params: string[];
  required?: string[];
  /** The node, and what the choice was based on (recorded in the action's event). */
  resolve(call: NodeSelectCall): Promise<{ node: number; info?: Record<string, unknown> }>;
}

export interface ProtocolPlugin {
  name: string;
  steps: Record<string, StepMethod>;
  proxy?: ProxyFactory;
  /** Actions the proxy implements: { drop: {...}, delay: {...} }. Required with proxy. */
  rules?: Record<string, RuleSupport>;
  /**
   * Load-time check of one rule's values beyond its keywords (e.g. that a Kafka error name exists);
   * returns an error message or undefined.
   */
  checkRule?: (rule: ProxyRule) => string | undefined;
  /** One probe for ready(); throws while not ready. Absent ⇒ a TCP connect. */
  healthcheck?: (target: Address, ctx: HealthcheckContext) => Promise<void>;
  /** Constructors for observe= sources this protocol offers (e.g. kafka's topic()). */
  observers?: Record<string, (...args: unknown[]) => ObserveSource>;
  /**
   * Called when a test ends, before its services stop: close clients the steps kept open. `addresses`
   * are the test's own (its proxies' and services'): with lanes (--parallel) other tests run at the
   * same time on other addresses, and their clients stay open.
   */
  afterTest?: (scope: { addresses: Address[] }) => Promise<void>;
  /** Selectors of one node of a service with this interface (`kafka.leader(topic=)`), by name. */
  nodeSelectors?: Record<string, ProtocolNodeSelector>;
}

const plugins = new Map<string, ProtocolPlugin>();

export function registerProtocol(plugin: ProtocolPlugin): void {
  plugins.set(plugin.name, plugin);
}

export function getProtocol(name: string): ProtocolPlugin | undefined {
  return plugins.get(name);
}

export function protocolNames(): string[] {
  return [...plugins.keys()].sort();
}

const COUNT_LIMITS = ["times", "after"];

function countLimitProtocols(): string[] {
  return protocolNames().filter((n) =>
    Object.values(plugins.get(n)?.rules ?? {}).some((r) => r.params.includes("times")),
  );
}

/** Checks a rule against what the protocol's proxy implements; returns an error message or undefined. */
export function checkRuleSupported(protocol: string, rule: ProxyRule): string | undefined {
  const plugin = plugins.get(protocol);
  if (!plugin) return `protocol "${protocol}" is not registered (known: ${protocolNames().join(", ")})`;
  if (!plugin.proxy || !plugin.rules)
    return `protocol "${protocol}" has no proxy, so ${rule.text} cannot apply`;
  const support = plugin.rules[rule.action];
  if (!support) {
    return `${rule.text}: protocol "${protocol}" supports ${Object.keys(plugin.rules).join(", ")} rules, not ${rule.action}`;
  }
  for (const key of Object.keys(rule.match)) {
    if (!support.matchers.includes(key)) {
      const near = nearest(key, [...support.matchers, ...support.params, "probability"]);
      return `${rule.text}: ${protocol} ${rule.action} rules match on ${support.matchers.join(", ") || "nothing"}, not ${key}=${near ? ` (did you mean ${near}=?)` : ""}`;
    }
  }
  // Count limits are opt-in per protocol (its proxy must count matches); other params stay lenient.
  for (const key of COUNT_LIMITS) {
    if (key in rule.params && !support.params.includes(key)) {
      return `${rule.text}: the ${protocol} proxy does not implement ${key}= (count limits work on ${countLimitProtocols().join(", ") || "no protocol"} rules)`;
    }
  }
  return plugin.checkRule?.(rule);
}
