// delay: hold matching requests (and, to keep order, every later request of that connection).
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

/** "3s", "250ms", "1.5s", "2m" or a number of milliseconds. */
export function parseDuration(d: string | number): number {
  if (typeof d === "number") {
    if (!(d >= 0)) throw new Error(`delay must be a non-negative duration, got ${d}`);
    return d;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(d.trim());
  if (!m)
    throw new Error(`bad duration ${JSON.stringify(d)}: use a number with ms, s or m, e.g. "250ms" or "3s"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2] as "ms" | "s" | "m"];
}

export function delay(match: RuleMatch & { delay: string | number }): FaultRule {
  const { delay: d, ...rest } = match;
  if (d === undefined)
    throw new Error('delay(...): delay= is required, e.g. delay(topic="orders", delay="500ms")');
  validateMatch("delay", rest);
  const holdMs = parseDuration(d);
  return {
    kind: "delay",
    description: describe("delay", rest, { delay: d }),
    match: rest,
    defaultApis: ["produce"],
    holdMs,
  };
}
