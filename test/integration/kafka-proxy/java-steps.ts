// Java clients driven from the tests: a producer that runs transactions step by step
// (java/TransactionalProducer.java in source-file mode) and a console consumer with an isolation level.
import { fileURLToPath } from "node:url";
import { kafkaTool } from "../../support/index.js";
import { run } from "./helpers.js";
import { javaConsoleConsume } from "./clients.js";

const JAVA_PRODUCER = fileURLToPath(new URL("./java/TransactionalProducer.java", import.meta.url));

/** Runs test/.../java/TransactionalProducer.java (source-file mode) with the Kafka 4 client jars. */
export async function javaProducerSteps(
  bootstrap: string,
  topic: string,
  transactionalId: string | null,
  steps: string[],
): Promise<{ ok: boolean; output: string }> {
  const argv = await kafkaTool("kafka-console-producer", "4");
  // The tool's argv ends with its main class; a source file in its place runs with the same classpath.
  const r = await run(
    [...argv.slice(0, -1), JAVA_PRODUCER, bootstrap, topic, transactionalId ?? "-", ...steps],
    {
      timeoutMs: 90000,
    },
  );
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

/**
 * Every value of `topic` a Java 4 console consumer reads with the given isolation level. No maximum: it
 * reads until nothing came for 8 s, so an extra record shows too.
 */
// The console consumer's idle timeout also covers joining its group before the first record: on a
// loaded machine (npm test runs several files at once) that took more than 8 s and the read came back
// empty.
export const javaConsume = (bootstrap: string, topic: string, isolation: string): Promise<string[]> =>
  javaConsoleConsume("4", bootstrap, topic, {
    idleMs: 20000,
    args: ["--consumer-property", `isolation.level=${isolation}`],
  });

/** The last sequence the broker holds per producer id on `topic`/`partition` (kafka-transactions tool). */
export async function lastSequences(
  bootstrap: string,
  topic: string,
  partition: number,
): Promise<Map<string, number>> {
  const argv = await kafkaTool("kafka-console-producer", "4");
  const r = await run([
    ...argv.slice(0, -1),
    "org.apache.kafka.tools.TransactionsCommand",
    "--bootstrap-server",
    bootstrap,
    "describe-producers",
    "--topic",
    topic,
    "--partition",
    String(partition),
  ]);
  if (r.code !== 0) throw new Error(`describe-producers failed: ${r.stdout}${r.stderr}`);
  // A header line, then: ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence LastTimestamp ...
  const out = new Map<string, number>();
  for (const line of r.stdout.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 4 && /^\d+$/.test(cols[0]!)) out.set(cols[0]!, Number(cols[3]));
  }
  return out;
}
