// Kafka fault rules: drop, delay, duplicate, error, disconnect on the request side; lose_response,
// delay_response, throttle and blackhole on the response side. Each is a function returning a
// FaultRule; the proxy applies them (src/protocols/kafka/proxy). Adding a kind: one file + one line.
export { blackhole } from "./blackhole.js";
export { delay, parseDuration } from "./delay.js";
export { delayResponse } from "./delay-response.js";
export { disconnect } from "./disconnect.js";
export { drop } from "./drop.js";
export { duplicate } from "./duplicate.js";
export { error } from "./error.js";
export { loseResponse } from "./lose-response.js";
export { throttle } from "./throttle.js";
export {
  ActiveRule,
  apiName,
  globMatch,
  ruleMatches,
  type Disposition,
  type FaultKind,
  type FaultRule,
  type MatchTarget,
  type RequestAction,
  type RuleMatch,
} from "./rule.js";
export { createPrng, type Prng } from "./prng.js";
