// error: answer matching requests (or produce partitions) with a real Kafka error code in a
// well-formed response, without forwarding them to the broker.
import { kafkaErrorCode } from "../wire/errors.js";
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function error(match: RuleMatch & { code: string | number }): FaultRule {
  const { code, ...rest } = match;
  if (code === undefined)
    throw new Error(
      'error(...): code= is required, e.g. error(topic="orders", code="NOT_LEADER_OR_FOLLOWER")',
    );
  validateMatch("error", rest, ["code"]);
  const n = kafkaErrorCode(code);
  return {
    kind: "error",
    description: describe("error", rest, { code }),
    match: rest,
    defaultApis: ["produce"],
    disposition: { kind: "error", code: n },
  };
}
