// Kafka fault rules: drop, delay, duplicate, error, disconnect. Each is a function returning a
// FaultRule; the proxy applies them (src/protocols/kafka/proxy). Adding a kind: one file + one line.
export { delay, parseDuration } from "./delay.js";
export { disconnect } from "./disconnect.js";
export { drop } from "./drop.js";
export { duplicate } from "./duplicate.js";
export { error } from "./error.js";
export {
  ActiveRule,
  apiName,
  globMatch,
  ruleMatches,
  type Disposition,
  type FaultRule,
  type MatchTarget,
  type RuleMatch,
} from "./rule.js";
export { createPrng, type Prng } from "./prng.js";
