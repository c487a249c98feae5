// delay: hold matching requests (and, to keep order, every later request of that connection).
import { parseDuration as parseSpecDuration } from "../../../core/duration.js";
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

/**
 * A duration in the one grammar of core/duration.ts ("250ms", "1.5s", "1m30s") or a number of
 * milliseconds; `what` names the argument in the error.
 */
export function parseDuration(d: string | number, what = "duration"): number {
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
