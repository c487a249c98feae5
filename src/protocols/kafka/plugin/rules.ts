// Core's protocol-neutral ProxyRule (what drop(topic=...) in a spec builds) -> the Kafka proxy's rule.
import type { ProxyRule } from "../../../core/model.js";
import type { RuleSupport } from "../../../core/protocol.js";
import {
  blackhole,
  delay,
  delayResponse,
  disconnect,
  drop,
  duplicate,
  error,
  loseResponse,
  throttle,
  type FaultRule,
  type RuleMatch,
} from "../rules/index.js";
import { resolveKafkaError } from "./error-names.js";

// method= (op=) names the Kafka API as well: delay(topic="orders", method="fetch", delay="1s").
// client_id= is a glob on the client.id the request carries.
const MATCHERS = ["topic", "api", "method", "key", "partition", "client_id"];

// times= (fire at most n times) and after= (let the first n matches pass) on every kind.
const COUNTS = ["times", "after"];

/** What the kafka proxy implements, for load-time checks of fault_assumption(rules=...). */
export const kafkaRuleSupport: Record<string, RuleSupport> = {
  drop: { matchers: MATCHERS, params: COUNTS },
  delay: { matchers: MATCHERS, params: ["delay", ...COUNTS], required: ["delay"] },
  duplicate: { matchers: MATCHERS, params: COUNTS },
  error: { matchers: MATCHERS, params: ["code", "message", "status", ...COUNTS] },
  disconnect: { matchers: MATCHERS, params: COUNTS },
  // The response side: the broker processes the request; the client loses, waits for or is throttled
  // by the answer. blackhole swallows requests and silences their connection.
  lose_response: { matchers: MATCHERS, params: COUNTS },
  delay_response: { matchers: MATCHERS, params: ["delay", ...COUNTS], required: ["delay"] },
  throttle: { matchers: MATCHERS, params: ["time", ...COUNTS], required: ["time"] },
  blackhole: { matchers: MATCHERS, params: COUNTS },
};

/** Load-time check: builds the proxy rule once, so a bad value (unknown error name, bad count) fails at load. */
export function checkKafkaRule(rule: ProxyRule): string | undefined {
  try {
    toKafkaRule(rule);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function matchOf(rule: ProxyRule): RuleMatch {
  const m: RuleMatch = {};
  const { topic, key, partition } = rule.match;
  const api = rule.match.api ?? rule.match.method;
  if (topic !== undefined && topic !== "") m.topic = topic;
  if (api !== undefined && api !== "") m.api = api.includes(",") ? api.split(",").map((s) => s.trim()) : api;
  if (key !== undefined) m.key = key;
  if (rule.match.client_id !== undefined) m.clientId = rule.match.client_id;
  if (partition !== undefined) {
    const n = Number(partition);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${rule.text}: partition= must be a non-negative integer`);
    m.partition = n;
  }
  if (rule.probability < 1) m.probability = rule.probability;
  for (const k of ["times", "after"] as const) {
    const v = rule.params[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
      throw new Error(`${rule.text}: ${k}= must be a non-negative integer`);
    m[k] = v;
  }
  return m;
}

/**
 * error(code=) takes a Kafka error name or number (e.g. "NOT_LEADER_OR_FOLLOWER", 6); message= (and
 * status=) still carry it for specs written before code= existed.
 */
function errorCode(rule: ProxyRule): string | number {
  const p = rule.params;
  const c = p.code ?? rule.match.code ?? p.message ?? p.status;
  if (c === undefined || c === "") {
    throw new Error(
      `${rule.text}: a kafka error rule needs code= (a Kafka error name such as "NOT_LEADER_OR_FOLLOWER")`,
    );
  }
  const n = resolveKafkaError(typeof c === "number" ? c : String(c), rule.text);
  // Keep the name when one was written, so events show error(code="NOT_LEADER_OR_FOLLOWER").
  return typeof c === "string" && !/^-?\d+$/.test(c.trim()) ? c.toUpperCase() : n;
}

/**
 * A duration parameter: milliseconds (the spec layer turns delay= into delayMs) or a duration string
 * such as "2s" (from TypeScript or the control API).
 */
function durationParam(rule: ProxyRule, name: "delay" | "time"): number | string {
  const v = rule.params[`${name}Ms`] ?? rule.params[name];
  if (typeof v !== "number" && typeof v !== "string")
    throw new Error(`${rule.text}: ${name}= is required, e.g. ${rule.action}(${name}="2s")`);
  return v;
}

/** Core's ProxyRule -> the proxy's rule; throws (naming the rule) on values the proxy cannot apply. */
export function toKafkaRule(rule: ProxyRule): FaultRule {
  const match = matchOf(rule);
  switch (rule.action) {
    case "drop":
      return drop(match);
    case "duplicate":
      return duplicate(match);
    case "disconnect":
      return disconnect(match);
    case "delay":
      return delay({ ...match, delay: durationParam(rule, "delay") });
    case "lose_response":
      return loseResponse(match);
    case "delay_response":
      return delayResponse({ ...match, delay: durationParam(rule, "delay") });
    case "throttle":
      return throttle({ ...match, time: durationParam(rule, "time") });
    case "blackhole":
      return blackhole(match);
    case "error":
      return error({ ...match, code: errorCode(rule) });
    default:
      throw new Error(
        `${rule.text}: the kafka proxy implements ${Object.keys(kafkaRuleSupport).join(", ")} rules, not ${rule.action}`,
      );
  }
}
