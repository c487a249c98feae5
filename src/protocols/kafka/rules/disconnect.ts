// disconnect: close the client's connection (and its upstream connection) when a matching request
// arrives, as a broker crash or network cut would.
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function disconnect(match: RuleMatch = {}): FaultRule {
  validateMatch("disconnect", match);
  return {
    kind: "disconnect",
    description: describe("disconnect", match),
    match,
    defaultApis: ["produce"],
    disposition: { kind: "disconnect" },
  };
}
