// A rule as the control API receives it (JSON: {"action": "drop", "topic": "orders", "times": 1}) ->
// core's ProxyRule, checked against what the protocol registry says the proxy implements. The
// vocabulary (actions, matchers, parameters) comes from the registry only, so a rule kind a protocol
// registers is accepted here without a change; this file knows only the types of the parameters every
// rule constructor shares, and converts them the way the Starlark builtins do (delay= -> delayMs).
import { parseDuration } from "../core/duration.js";
import type { ProxyRule } from "../core/model.js";
import { checkRuleSupported, getProtocol } from "../core/protocol.js";

/** A request the caller got wrong: 4xx, naming the field when there is one. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Fields every rule may carry besides its protocol's matchers and parameters. */
const COMMON = ["action", "probability"];

/** What a JSON rule field may hold: matchers are strings (partition also an integer, api a list). */
type FieldValue = string | number | boolean | string[];

export interface ParsedRule {
  rule: ProxyRule;
  /** The fields as given (after type checks), echoed back in listings. */
  definition: Record<string, FieldValue>;
}

/** Describes the rule kinds of a protocol for error messages and the proxies listing. */
export function ruleVocabulary(protocol: string): Record<string, RuleFields> {
  const rules = getProtocol(protocol)?.rules ?? {};
  return Object.fromEntries(
    Object.entries(rules).map(([action, s]) => [
      action,
      { matchers: [...s.matchers], params: [...s.params, "probability"], required: [...(s.required ?? [])] },
    ]),
  );
}

/** The fields a rule kind accepts besides action: its matchers, its parameters, which are required. */
export interface RuleFields {
  matchers: string[];
  params: string[];
  required: string[];
}

const shown = (v: unknown): string =>
  typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** A probability: 0..1, or a percentage string "25%". */
function probabilityOf(v: unknown, field: string): number {
  const bad = () =>
    new ControlError(
      400,
      `${field}: ${shown(v)} is not a probability; use a number from 0 to 1 (0.25) or a percentage string ("25%")`,
      field,
    );
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < 0 || v > 1) throw bad();
    return v;
  }
  if (typeof v === "string") {
    const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*%\s*$/.exec(v);
    if (!m || Number(m[1]) > 100) throw bad();
    return Number(m[1]) / 100;
  }
  throw bad();
}

function nonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    throw new ControlError(400, `${field}: must be a non-negative integer, got ${shown(v)}`, field);
  return v;
}

/** A matcher: a string; a number is taken as its decimal text (partition=0); api= also a list of names. */
function matcherOf(v: unknown, field: string): { value: string; given: FieldValue } {
  if (typeof v === "string") return { value: v, given: v };
  if (typeof v === "number" && Number.isFinite(v)) return { value: String(v), given: v };
  if (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((x) => typeof x === "string" && x !== "" && !x.includes(","))
  )
    return { value: v.join(","), given: v as string[] };
  throw new ControlError(
    400,
    `${field}: a matcher is a string${field === "api" ? " or a list of API names" : ""}, got ${typeName(v)}`,
    field,
  );
}

/** A parameter value by its name, as the Starlark builtins pass it on; unknown names go through as given. */
function paramOf(v: unknown, field: string): { value: unknown; given: FieldValue } {
  switch (field) {
    case "delay": {
      if (typeof v !== "string" && typeof v !== "number")
        throw new ControlError(400, `delay: a duration such as "500ms" or "3s", got ${typeName(v)}`, field);
      try {
        return { value: parseDuration(v, "delay"), given: v };
      } catch (err) {
        throw new ControlError(400, (err as Error).message, field);
      }
    }
    case "times":
    case "after":
      return { value: nonNegativeInt(v, field), given: v as number };
    case "status":
      if (typeof v !== "number" || !Number.isInteger(v) || v < 100 || v > 599)
        throw new ControlError(400, `status: an HTTP status code (100-599), got ${shown(v)}`, field);
      return { value: v, given: v };
    case "code":
      if (typeof v !== "string" && !(typeof v === "number" && Number.isInteger(v)))
        throw new ControlError(400, `code: an error name or number, got ${typeName(v)}`, field);
      return { value: v, given: v };
    case "message":
    case "body":
    case "value":
      if (typeof v !== "string")
        throw new ControlError(400, `${field}: must be a string, got ${typeName(v)}`, field);
      return { value: v, given: v };
    default:
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean")
        throw new ControlError(
          400,
          `${field}: must be a string, number or boolean, got ${typeName(v)}`,
          field,
        );
      return { value: v, given: v };
  }
}

/** Which field a protocol's own check complains about: the first `name=` its message names after the rule. */
function fieldNamedIn(message: string, fields: string[]): string | undefined {
  const afterRule = message.includes("): ") ? message.slice(message.indexOf("): ") + 3) : message;
  return fields.find((f) => new RegExp(`\\b${f}=`).test(afterRule)) ?? fields.find((f) => f !== "action");
}

/**
 * Parses one rule for a proxy of `protocol`; `where` prefixes field names in errors (e.g. "rules[2].").
 * Throws ControlError (400) naming the field; builds nothing a proxy would refuse.
 */
export function parseRule(protocol: string, body: unknown, where = ""): ParsedRule {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new ControlError(
      400,
      `${where || "rule"}: a rule is a JSON object such as {"action": "drop", ...}, got ${typeName(body)}`,
      where ? where.replace(/\.$/, "") : undefined,
    );
  const fields = body as Record<string, unknown>;
  const plugin = getProtocol(protocol);
  const support = plugin?.rules;
  if (!plugin?.proxy || !support) throw new Error(`protocol "${protocol}" has no proxy in this build`);
  const actions = Object.keys(support);
  const action = fields.action;
  if (typeof action !== "string" || action === "")
    throw new ControlError(
      400,
      `${where}action: required, one of ${actions.join(", ")}${action === undefined ? "" : ` (got ${typeName(action)})`}`,
      `${where}action`,
    );
  const kind = support[action];
  if (!kind)
    throw new ControlError(
      400,
      `${where}action: the ${protocol} proxy implements ${actions.join(", ")} rules, not ${shown(action)}`,
      `${where}action`,
    );
  const valid = [...COMMON, ...kind.matchers, ...kind.params];
  const match: Record<string, string> = {};
  const params: Record<string, unknown> = {};
  const definition: Record<string, FieldValue> = { action };
  let probability = 1;
  for (const [name, value] of Object.entries(fields)) {
    if (name === "action") continue;
    const field = `${where}${name}`;
    try {
      if (name === "probability") {
        probability = probabilityOf(value, name);
        definition[name] = value as FieldValue;
      } else if (kind.matchers.includes(name)) {
        const m = matcherOf(value, name);
        match[name] = m.value;
        definition[name] = m.given;
      } else if (kind.params.includes(name)) {
        const p = paramOf(value, name);
        params[name === "delay" ? "delayMs" : name] = p.value;
        definition[name] = p.given;
      } else {
        throw new ControlError(
          400,
          `${name}: unknown field for a ${protocol} ${action} rule; valid: ${valid.join(", ")}`,
          name,
        );
      }
    } catch (err) {
      if (err instanceof ControlError) throw new ControlError(400, `${where}${err.message}`, field);
      throw err;
    }
  }
  const missing = (kind.required ?? []).filter((k) => !(k in definition));
  if (missing.length)
    throw new ControlError(
      400,
      `${where}${missing[0]}: required for ${action} rules (e.g. {"action": "${action}", "${missing[0]}": ...})`,
      `${where}${missing[0]}`,
    );
  const text = `${action}(${Object.entries(definition)
    .filter(([k]) => k !== "action")
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")})`;
  const rule: ProxyRule = { kind: "proxy_rule", action, match, params, probability, text };
  // The protocol's own checks (e.g. that a Kafka error name exists, that partition= is an integer).
  const problem = checkRuleSupported(protocol, rule);
  if (problem) {
    const named = fieldNamedIn(problem, Object.keys(definition));
    throw new ControlError(400, `${where}${problem}`, named ? `${where}${named}` : undefined);
  }
  return { rule, definition };
}
