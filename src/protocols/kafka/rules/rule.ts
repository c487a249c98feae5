// The one small interface every Kafka fault rule implements (one file per kind, Toxiproxy style), and
// the matching and firing logic they share.
import { nearest } from "../../../util/spell.js";
import { API_SCHEMAS } from "../wire/generated/schemas.js";
import { createPrng, type Prng } from "./prng.js";

/** Where a rule may apply: the request, and for topic-bearing requests one topic-partition. */
export interface MatchTarget {
  /** Lower-case API name, e.g. "produce", "fetch", "heartbeat". */
  api: string;
  /** Topic name, or undefined for requests that carry no topic (group APIs, ApiVersions). */
  topic?: string;
  partition?: number;
  /** Record keys of the batch (produce), when readable; undefined if not applicable/unknown. */
  keys?: (string | null)[];
  clientId: string | null;
}

export interface RuleMatch {
  /** Topic glob (`*`, `orders-*`); default `*`. A rule with a specific topic never matches topic-less requests. */
  topic?: string;
  /** API names (e.g. "produce", "fetch", "join_group"); `*` for any. Default depends on the kind. */
  api?: string | string[];
  partition?: number;
  /** Glob on the record key (produce batches: any record of the batch). */
  key?: string;
  /** Glob on the client id. */
  clientId?: string;
  /** Fire with this probability (0..1), drawn from the proxy's seeded generator. Default 1. */
  probability?: number;
  /** Fire at most this many times. */
  times?: number;
  /** Let the first `after` matches pass before firing. */
  after?: number;
}

/** What a firing rule does to a produce partition, or to a whole request. */
export type Disposition =
  | { kind: "forward" }
  | { kind: "drop" }
  | { kind: "duplicate" }
  | { kind: "error"; code: number }
  | { kind: "disconnect" };

/**
 * What a request-level rule does once it fires for a request: it acts on the request's whole response
 * (or, for blackhole, on the connection), not on one produce partition.
 */
export type RequestAction =
  /** The request is forwarded; where its response would be written, the client's connection closes. */
  | { kind: "lose_response" }
  /** The request is forwarded at once; its response is held this long before it is released. */
  | { kind: "delay_response"; holdMs: number }
  /** The response carries throttle_time_ms and the connection reads no request for that long (KIP-219). */
  | { kind: "throttle"; throttleMs: number }
  /** The request is swallowed, and every later one on its connection: no answer, the connection stays open. */
  | { kind: "blackhole" };

export type FaultKind = "drop" | "delay" | "duplicate" | "error" | "disconnect" | RequestAction["kind"];

export interface FaultRule {
  readonly kind: FaultKind;
  /** A readable description, e.g. `drop(topic="orders")`, used in events. */
  readonly description: string;
  readonly match: RuleMatch;
  /** APIs matched when `match.api` is not given. */
  readonly defaultApis: readonly string[];
  /** For delay rules: how long to hold a matching request, in milliseconds. */
  readonly holdMs?: number;
  /** For drop, duplicate, error and disconnect: what happens to the matching request or partition. */
  readonly disposition?: Disposition;
  /** For the request-level kinds (lose_response, delay_response, throttle, blackhole). */
  readonly requestAction?: RequestAction;
}

/** Glob with `*` (any run) and `?` (one character); everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "s");
}

const regexCache = new Map<string, RegExp>();
export function globMatch(glob: string, value: string): boolean {
  let re = regexCache.get(glob);
  if (!re) regexCache.set(glob, (re = globToRegExp(glob)));
  return re.test(value);
}

/** Lower-case, underscore form of an API name: "JoinGroup" -> "join_group". */
export const apiName = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

/** Static matching (no probability or counting). */
export function ruleMatches(rule: FaultRule, t: MatchTarget): boolean {
  const m = rule.match;
  const apis = m.api === undefined ? rule.defaultApis : Array.isArray(m.api) ? m.api : [m.api];
  if (!apis.some((a) => a === "*" || apiName(a) === t.api)) return false;
  const topicGlob = m.topic ?? "*";
  if (t.topic === undefined) {
    if (topicGlob !== "*") return false;
  } else if (!globMatch(topicGlob, t.topic)) return false;
  if (m.partition !== undefined && t.partition !== m.partition) return false;
  if (m.clientId !== undefined && !globMatch(m.clientId, t.clientId ?? "")) return false;
  if (m.key !== undefined) {
    if (!t.keys || !t.keys.some((k) => k !== null && globMatch(m.key!, k))) return false;
  }
  return true;
}

/** A rule installed in a proxy, with its counters and its own seeded generator. */
export class ActiveRule {
  matched = 0;
  fired = 0;
  private readonly prng: Prng;
  constructor(
    readonly id: number,
    readonly rule: FaultRule,
    seed: number,
  ) {
    this.prng = createPrng(seed ^ Math.imul(id, 0x9e3779b1));
  }

  /** Counts a match and decides whether the rule fires for it (after, times, probability). */
  tryFire(t: MatchTarget): boolean {
    if (!ruleMatches(this.rule, t)) return false;
    this.matched++;
    const m = this.rule.match;
    if (m.after !== undefined && this.matched <= m.after) return false;
    if (m.times !== undefined && this.fired >= m.times) return false;
    if (m.probability !== undefined && m.probability < 1 && this.prng() >= m.probability) return false;
    this.fired++;
    return true;
  }
}

const MATCH_KEYS = ["topic", "api", "partition", "key", "clientId", "probability", "times", "after"];

/** Checks the matching and counting arguments; `params` are the kind's own (e.g. delay). */
export function validateMatch(kind: string, m: RuleMatch, params: readonly string[] = []): void {
  const where = `${kind}(...)`;
  for (const k of Object.keys(m)) {
    if (!MATCH_KEYS.includes(k))
      throw new Error(`${where}: unknown argument "${k}"; valid: ${[...MATCH_KEYS, ...params].join(", ")}`);
  }
  if (m.probability !== undefined && !(m.probability >= 0 && m.probability <= 1)) {
    throw new Error(`${where}: probability must be between 0 and 1, got ${m.probability}`);
  }
  for (const k of ["times", "after", "partition"] as const) {
    const v = m[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0))
      throw new Error(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
  // A misspelt API would match no request: the rule would never fire, and the test would pass.
  for (const a of m.api === undefined ? [] : Array.isArray(m.api) ? m.api : [m.api]) {
    if (typeof a !== "string" || a === "*" || KNOWN_APIS.has(apiName(a)) || /^api \d+$/.test(a)) continue;
    const hint = nearest(apiName(a), KNOWN_APIS);
    throw new Error(
      `${where}: api= ${JSON.stringify(a)} is not a Kafka API${hint ? `; did you mean "${hint}"?` : ""} ` +
        `(names in snake case or Kafka's spelling, e.g. "produce", "fetch", "join_group", "JoinGroup", or "*")`,
    );
  }
}

/** The APIs the codec knows, in snake case ("produce", "offset_commit", ...). */
const KNOWN_APIS = new Set(API_SCHEMAS.map((s) => apiName(s.name)));

export function describe(kind: string, m: RuleMatch, extra: Record<string, unknown> = {}): string {
  const parts = Object.entries({ ...m, ...extra })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${kind}(${parts.join(", ")})`;
}
