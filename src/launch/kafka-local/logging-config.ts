// Logging configuration files for the broker and the tools, written next to the cached jars.
// Kafka 4 uses log4j2, 3.9 uses log4j 1 (reload4j); both get the same policy: the broker logs INFO to
// stdout (which the launcher sends to the node's log file), tools log WARN to stderr so their stdout
// carries only data.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KafkaRelease } from "./versions.js";

function log4j2(target: "SYSTEM_OUT" | "SYSTEM_ERR", level: string): string {
  return `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.target = ${target}
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${level}
rootLogger.appenderRef.out.ref = out
`;
}

function log4j1(target: "System.out" | "System.err", level: string): string {
  return `log4j.rootLogger=${level}, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.Target=${target}
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
`;
}

export function writeLoggingConfigs(home: string, release: KafkaRelease): { broker: string; tool: string } {
  const v2 = release.logging === "log4j2";
  const broker = join(home, v2 ? "broker-log4j2.properties" : "broker-log4j.properties");
  const tool = join(home, v2 ? "tools-log4j2.properties" : "tools-log4j.properties");
  if (!existsSync(broker))
    writeFileSync(broker, v2 ? log4j2("SYSTEM_OUT", "info") : log4j1("System.out", "INFO"));
  if (!existsSync(tool))
    writeFileSync(tool, v2 ? log4j2("SYSTEM_ERR", "warn") : log4j1("System.err", "WARN"));
  return { broker, tool };
}
