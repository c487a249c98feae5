// The Java console and perf tools of a Kafka release, runnable from the cached jars:
//   const argv = await kafkaToolCommand("kafka-console-producer", "4");
//   spawn(argv[0], [...argv.slice(1), "--bootstrap-server", bootstrap, "--topic", "t"]);
import { resolveKafka, loggingFlags, type KafkaInstall } from "./resolve.js";
import { kafkaToolMainClass, KAFKA_TOOLS, type KafkaTool } from "./versions.js";
import { cdsArchiveFlags } from "./cds.js";

// Short-lived tools start faster with only the C1 compiler; perf tools need the full JIT to measure
// anything meaningful.
function jvmFlags(tool: KafkaTool): string[] {
  const common = ["-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"];
  if (tool === "kafka-producer-perf-test" || tool === "kafka-consumer-perf-test")
    return ["-Xmx512m", ...common];
  return ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", ...common];
}

export function isKafkaTool(name: string): name is KafkaTool {
  return (KAFKA_TOOLS as readonly string[]).includes(name);
}

/** argv (java binary first) that runs `tool` from an already resolved install. */
export function kafkaToolArgv(tool: KafkaTool, install: KafkaInstall): string[] {
  return [
    install.java.path,
    ...jvmFlags(tool),
    // The broker's class archive, once built (cds.ts): the client classes tools share with it load faster.
    ...cdsArchiveFlags(install),
    ...loggingFlags(install, install.toolLogConfig),
    "-cp",
    install.classpath,
    kafkaToolMainClass(tool, install.release),
  ];
}

/** argv prefix that runs `tool` of Kafka `version` ("4", "3.9" or exact); resolves the jars if needed. */
export async function kafkaToolCommand(tool: KafkaTool | string, version?: string): Promise<string[]> {
  if (!isKafkaTool(tool)) {
    throw new Error(`unknown Kafka tool "${tool}": known tools are ${KAFKA_TOOLS.join(", ")}`);
  }
  return kafkaToolArgv(tool, await resolveKafka(version));
}
