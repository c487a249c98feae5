// lose_response: the request reaches the broker and is processed; the client never gets the answer.
// Where that response would be written, the client's connection closes (answers the client pipelined
// behind it are lost too). A producer with retries sends the batch again: without idempotence the
// broker stores it twice. A consumer whose commit answer is lost re-reads what it had committed.
import { describe, validateMatch, type FaultRule, type RuleMatch } from "./rule.js";

export function loseResponse(match: RuleMatch = {}): FaultRule {
  validateMatch("lose_response", match);
  return {
    kind: "lose_response",
    description: describe("lose_response", match),
    match,
    defaultApis: ["produce"],
    requestAction: { kind: "lose_response" },
  };
}
