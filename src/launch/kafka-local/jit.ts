// Which JIT compilers a local broker's JVM runs. A broker faultbox starts lives for one test or one run
// and handles test-sized traffic: HotSpot's optimizing compiler (C2) costs it CPU that never pays back.
// With only the quick compiler (C1, -XX:TieredStopAtLevel=1) a fresh broker's start took 45% less CPU
// on the project's 2-core machine (1.55 s against 2.8 s) and a 50,000-record produce 45% less broker
// CPU, at the same or better throughput (docs/foundation.md). FAULTBOX_KAFKA_JIT=full gives the broker
// the JVM's default tiered compilation (for long, heavy loads: the proxy throughput bench uses it).
import { LaunchError } from "../process-guard/launch-error.js";

export const JIT_VARIABLE = "FAULTBOX_KAFKA_JIT";

/** The broker JVM's JIT flags for `env`; a value other than c1 or full is an error naming the variable. */
export function brokerJitFlags(env: NodeJS.ProcessEnv): string[] {
  const value = (env[JIT_VARIABLE] ?? "").trim().toLowerCase();
  if (value === "" || value === "c1") return ["-XX:TieredStopAtLevel=1"];
  if (value === "full") return [];
  throw new LaunchError(
    `${JIT_VARIABLE}=${env[JIT_VARIABLE]} is not a JIT setting for the local Kafka brokers`,
    `set ${JIT_VARIABLE} to c1 (the default: only the quick compiler) or full (the JVM's tiered compilation), or unset it`,
  );
}
