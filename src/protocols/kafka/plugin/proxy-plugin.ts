// The proxy half of the kafka protocol plugin (the factory, the rules it implements, their load-time
// check), importable without the steps, observers and brokers: `faultbox proxy` registers only this,
// so a proxy-only process loads neither kafkajs nor the engine.
import type { ProtocolPlugin } from "../../../core/protocol.js";
import { startKafkaPluginProxy } from "./proxy.js";
import { checkKafkaRule, kafkaRuleSupport } from "./rules.js";

export const kafkaProxyPlugin = {
  name: "kafka",
  proxy: startKafkaPluginProxy,
  rules: kafkaRuleSupport,
  checkRule: checkKafkaRule,
} satisfies Omit<ProtocolPlugin, "steps">;
