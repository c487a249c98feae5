// duplicate: the broker stores the batch twice (the copy is sent without producer id, so the broker's
// idempotence does not discard it); the producer sees one ack.
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function duplicate(match: RuleMatch = {}): FaultRule {
  validateMatch("duplicate", match);
  return {
    kind: "duplicate",
    description: describe("duplicate", match),
    match,
    defaultApis: ["produce"],
    disposition: { kind: "duplicate" },
  };
}
