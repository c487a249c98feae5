// Finding a Java runtime: FAULTBOX_JAVA (a java binary), else $JAVA_HOME/bin/java, else `java` on PATH.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { LaunchError } from "../process-guard/launch-error.js";

export interface JavaRuntime {
  path: string;
  /** Feature release: 17 for "17.0.15", 8 for "1.8.0_392". */
  major: number;
}

const INSTALL_HINT =
  "install a JDK (Debian: apt-get install -y openjdk-17-jre-headless) or point FAULTBOX_JAVA at a java binary";

export function javaCandidate(env: NodeJS.ProcessEnv = process.env): { path: string; source: string } {
  if (env.FAULTBOX_JAVA) return { path: env.FAULTBOX_JAVA, source: "FAULTBOX_JAVA" };
  if (env.JAVA_HOME) return { path: join(env.JAVA_HOME, "bin", "java"), source: "JAVA_HOME" };
  return { path: "java", source: "PATH" };
}

export function findJava(minMajor: number, env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const { path, source } = javaCandidate(env);
  const r = spawnSync(path, ["-version"], { encoding: "utf8", env });
  if (r.error) {
    throw new LaunchError(
      `Java not found: could not run "${path}" (from ${source}): ${r.error.message}`,
      INSTALL_HINT,
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr + r.stdout);
  if (r.status !== 0 || !match) {
    throw new LaunchError(
      `Java at "${path}" (from ${source}) did not report a version (exit ${r.status})`,
      INSTALL_HINT,
      (r.stderr || r.stdout).trim(),
    );
  }
  const major = match[1] === "1" ? Number(match[2]) : Number(match[1]);
  if (major < minMajor) {
    throw new LaunchError(
      `Java ${major} at "${path}" (from ${source}) is too old: need ${minMajor} or newer`,
      INSTALL_HINT,
    );
  }
  return { path, major };
}
