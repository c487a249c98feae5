// delay: hold matching requests (and, to keep order, every later request of that connection).
import { parseDuration as parseSpecDuration } from "../../../core/duration.js";
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

/**
 * The spec's one duration grammar (core/duration.ts: "3s", "250ms", "1.5s", "1h30m"); in this
 * TypeScript API a number is a count of milliseconds, as its type says. `what` names the argument.
 */
export function parseDuration(d: string | number, what = "duration"): number {
  if (typeof d === "number") {
    if (!(d >= 0)) throw new Error(`${what}: must be a non-negative number of milliseconds, got ${d}`);
    return d;
  }
  return parseSpecDuration(d, what);
}

export function delay(match: RuleMatch & { delay: string | number }): FaultRule {
  const { delay: d, ...rest } = match;
  if (d === undefined)
    throw new Error('delay(...): delay= is required, e.g. delay(topic="orders", delay="500ms")');
  validateMatch("delay", rest, ["delay"]);
  const holdMs = parseDuration(d, "delay(delay=)");
  return {
    kind: "delay",
    description: describe("delay", rest, { delay: d }),
    match: rest,
    defaultApis: ["produce"],
    holdMs,
  };
}
