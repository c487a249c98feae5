// Shared pieces of the response-fault tests against real Kafka: what the broker stored (read directly,
// not through the proxy), a group's committed offsets and members, and the clients' commands.
import { fileURLToPath } from "node:url";
import { AssignerProtocol } from "kafkajs";
import { kafkaTool } from "../../support/index.js";
import { kafkajs, run } from "./helpers.js";

/** Every value stored in `topic` (all partitions), read straight from the broker with kcat. */
export async function storedValues(bootstrap: string, topic: string): Promise<string[]> {
  const r = await run(
    ["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-o", "beginning", "-f", "%s\\n"],
    {
      timeoutMs: 60_000,
    },
  );
  if (r.code !== 0) throw new Error(`kcat could not read ${topic}: ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Writes values to partitions straight to the broker (not through the proxy). */
export async function produceDirect(
  bootstrap: string,
  topic: string,
  records: { value: string; partition?: number }[],
): Promise<void> {
  const producer = kafkajs(bootstrap, "direct-writer").producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const r of records) await producer.send({ topic, messages: [r] });
  } finally {
    await producer.disconnect();
  }
}

/** The offset group `group` has committed for partition 0 of `topic`, asked of the broker directly. */
export async function committedOffset(bootstrap: string, group: string, topic: string): Promise<string> {
  const admin = kafkajs(bootstrap, "offset-reader").admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return t!.partitions.find((p) => p.partition === 0)!.offset;
  } finally {
    await admin.disconnect();
  }
}

/** The members of a (classic) consumer group and the partitions of `topic` each one is assigned. */
export async function groupAssignment(
  bootstrap: string,
  group: string,
  topic: string,
): Promise<{ state: string; members: Map<string, number[]> }> {
  const admin = kafkajs(bootstrap, "group-reader").admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0]!;
    const members = new Map<string, number[]>();
    for (const m of g.members) {
      const decoded = m.memberAssignment.length
        ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
        : null;
      members.set(m.clientId, [...(decoded?.assignment[topic] ?? [])].sort());
    }
    return { state: g.state, members };
  } finally {
    await admin.disconnect();
  }
}

/** argv of a Java source file run with the Kafka 4 client jars (the console producer's classpath). */
export async function javaSourceArgv(file: string, args: string[]): Promise<string[]> {
  const argv = await kafkaTool("kafka-console-producer", "4");
  // The tool's argv ends with its main class; a source file in its place runs with the same classpath.
  return [...argv.slice(0, -1), fileURLToPath(new URL(file, import.meta.url)), ...args];
}

/** argv of a Kafka 4 Java tool class (e.g. org.apache.kafka.tools.VerifiableProducer). */
export async function javaClassArgv(className: string, args: string[]): Promise<string[]> {
  const argv = await kafkaTool("kafka-console-producer", "4");
  return [...argv.slice(0, -1), className, ...args];
}

export const PYTHON_PROCESS_THEN_COMMIT = fileURLToPath(
  new URL("./python/process_then_commit.py", import.meta.url),
);
