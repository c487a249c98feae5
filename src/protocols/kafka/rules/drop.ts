// drop: the producer gets a success ack, the broker never stores the batch (sequence numbers of
// idempotent producers are shifted by the proxy so later batches are accepted).
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function drop(match: RuleMatch = {}): FaultRule {
  validateMatch("drop", match);
  return {
    kind: "drop",
    description: describe("drop", match),
    match,
    defaultApis: ["produce"],
    disposition: { kind: "drop" },
  };
}
