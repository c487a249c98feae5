// delay_response: the request is forwarded at once and the broker processes it; its answer is held
// `delay` before the client gets it (answers behind it on the connection wait too, to keep order).
// Unlike delay, which holds the request, the broker has already acted when the client is still waiting.
import { parseDuration } from "./delay.js";
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function delayResponse(match: RuleMatch & { delay: string | number }): FaultRule {
  const { delay: d, ...rest } = match;
  if (d === undefined)
    throw new Error(
      'delay_response(...): delay= is required, e.g. delay_response(api="produce", delay="2s")',
    );
  validateMatch("delay_response", rest, ["delay"]);
  const holdMs = parseDuration(d, "delay_response(delay=)");
  return {
    kind: "delay_response",
    description: describe("delay_response", rest, { delay: d }),
    match: rest,
    defaultApis: ["produce"],
    requestAction: { kind: "delay_response", holdMs },
  };
}
