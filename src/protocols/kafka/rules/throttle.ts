// throttle: the answer carries throttle_time_ms = `time`, as from a broker enforcing a quota, and the
// connection reads no further request for that long (what a Kafka 2.0+ broker does, KIP-219). Clients
// back off from that broker for the throttle time and record it in their throttle metrics.
import { parseDuration } from "./delay.js";
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

const MAX_THROTTLE_MS = 0x7fffffff; // throttle_time_ms is an int32

export function throttle(match: RuleMatch & { time: string | number }): FaultRule {
  const { time, ...rest } = match;
  if (time === undefined)
    throw new Error('throttle(...): time= is required, e.g. throttle(api="fetch", time="2s")');
  validateMatch("throttle", rest, ["time"]);
  const throttleMs = Math.round(parseDuration(time, "throttle(time=)"));
  if (!(throttleMs >= 1 && throttleMs <= MAX_THROTTLE_MS))
    throw new Error(
      `throttle(...): time= must be from 1ms to ${MAX_THROTTLE_MS}ms (throttle_time_ms is an int32), got ${JSON.stringify(time)}`,
    );
  return {
    kind: "throttle",
    description: describe("throttle", rest, { time }),
    match: rest,
    // The APIs Kafka's byte-rate quotas throttle.
    defaultApis: ["produce", "fetch"],
    requestAction: { kind: "throttle", throttleMs },
  };
}
