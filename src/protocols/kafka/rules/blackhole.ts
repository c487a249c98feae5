// blackhole: a matching request is swallowed (the broker never sees it, the client never gets an
// answer) and the connection goes silent: every later request on it is swallowed too, while the
// connection stays open, as behind a network that drops packets. A consumer blackholed this way stops
// heartbeating and the broker evicts it when its session times out. When the rule is removed (its
// fault window closes), the proxy closes the connections it silenced, so the client reconnects.
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function blackhole(match: RuleMatch = {}): FaultRule {
  validateMatch("blackhole", match);
  return {
    kind: "blackhole",
    description: describe("blackhole", match),
    match,
    // Every API: a blackhole is about a client (client_id=) or a topic going silent, not one request type.
    defaultApis: ["*"],
    requestAction: { kind: "blackhole" },
  };
}
