// Which Apache Kafka releases faultbox runs, and where things live in each. Class names moved between
// releases (the console producer left the Scala core for the tools module in 4.0), so every tool is
// looked up per release line here rather than guessed.

/** Version aliases: "4" is the default 4.x release, "3.9" the compatibility release. */
export const KAFKA_VERSION_ALIASES: Readonly<Record<string, string>> = {
  "4": "4.1.1",
  "3.9": "3.9.1",
};

export const DEFAULT_KAFKA_VERSION = "4";

export type KafkaTool =
  | "kafka-console-producer"
  | "kafka-console-consumer"
  | "kafka-producer-perf-test"
  | "kafka-consumer-perf-test"
  | "kafka-topics"
  | "kafka-consumer-groups"
  | "kafka-get-offsets"
  | "kafka-metadata-quorum"
  | "kafka-storage"
  | "kafka-server";

export const KAFKA_TOOLS: readonly KafkaTool[] = [
  "kafka-console-producer",
  "kafka-console-consumer",
  "kafka-producer-perf-test",
  "kafka-consumer-perf-test",
  "kafka-topics",
  "kafka-consumer-groups",
  "kafka-get-offsets",
  "kafka-metadata-quorum",
  "kafka-storage",
  "kafka-server",
];

export interface KafkaRelease {
  version: string;
  major: number;
  /** Lowest Java feature release the broker runs on. */
  minJava: number;
  /** Extra Maven artifacts beyond kafka_2.13 and kafka-tools ("group:artifact:version"). */
  extraArtifacts: string[];
  logging: "log4j2" | "log4j1";
}

/** "4" -> "4.1.1"; an exact "x.y.z" stays as it is. */
export function canonicalKafkaVersion(version: string = DEFAULT_KAFKA_VERSION): string {
  const v = KAFKA_VERSION_ALIASES[version] ?? version;
  if (!/^\d+\.\d+\.\d+$/.test(v)) {
    throw new Error(
      `unknown Kafka version "${version}": use ${Object.keys(KAFKA_VERSION_ALIASES)
        .map((a) => `"${a}"`)
        .join(" or ")} or an exact release such as "4.1.1"`,
    );
  }
  return v;
}

export function kafkaRelease(version: string): KafkaRelease {
  const v = canonicalKafkaVersion(version);
  const [major, minor] = v.split(".").map(Number) as [number, number];
  if (major < 3 || (major === 3 && minor < 7)) {
    throw new Error(
      `Kafka ${v} is not supported: faultbox runs KRaft brokers from 3.7 on (tested: 4.x, 3.9)`,
    );
  }
  if (major >= 4) {
    // Kafka 4 logs through log4j2 but its Maven artifacts bring no SLF4J binding: add the one the
    // binary distribution ships, or the broker would log nothing.
    return {
      version: v,
      major,
      minJava: 17,
      extraArtifacts: ["org.apache.logging.log4j:log4j-slf4j-impl:2.24.3"],
      logging: "log4j2",
    };
  }
  return { version: v, major, minJava: 11, extraArtifacts: [], logging: "log4j1" };
}

/** Main class of `tool` in `release`. */
export function kafkaToolMainClass(tool: KafkaTool, release: KafkaRelease): string {
  const v4 = release.major >= 4;
  switch (tool) {
    case "kafka-server":
      return "kafka.Kafka";
    case "kafka-storage":
      return "kafka.tools.StorageTool";
    case "kafka-console-producer":
      return v4 ? "org.apache.kafka.tools.ConsoleProducer" : "kafka.tools.ConsoleProducer";
    case "kafka-console-consumer":
      return "org.apache.kafka.tools.consumer.ConsoleConsumer";
    case "kafka-producer-perf-test":
      return "org.apache.kafka.tools.ProducerPerformance";
    case "kafka-consumer-perf-test":
      return "org.apache.kafka.tools.ConsumerPerformance";
    case "kafka-topics":
      return "org.apache.kafka.tools.TopicCommand";
    case "kafka-consumer-groups":
      return "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    case "kafka-get-offsets":
      return "org.apache.kafka.tools.GetOffsetShell";
    case "kafka-metadata-quorum":
      return "org.apache.kafka.tools.MetadataQuorumCommand";
  }
}
