// The programs outside Node that tests run, each found in one place: the one scripts/setup.sh
// provisions, not whatever comes first on PATH. A missing or unfit one fails the test that needs it
// with a message naming the package to install, instead of an ENOENT or an ImportError deep in a test.
//
//   tool("python")  -> the Python interpreter with kafka-python 3 (idempotent producer): the venv
//                      setup.sh makes in ~/.cache/faultbox/python with python-requirements.txt
//                      (FAULTBOX_TEST_PYTHON overrides); a python3 first on PATH (pyenv, say) is not used
//   tool("python-kafka-2") -> Debian's /usr/bin/python3 with its python3-kafka 2.0.2, for the proxy and
//                      SASL tests written against that client (SaslHandshake v0 and raw SASL tokens,
//                      a prompt failure on a wrong password)
//   tool("python-confluent-kafka") -> Debian's /usr/bin/python3 with python3-confluent-kafka (librdkafka
//                      2.0.2), for the librdkafka applications of the response-fault and blackhole tests
//   tool("kcat" | "zstd" | "lz4" | "cc" | "podman" | "ss" | "strace") -> the absolute path of that program on PATH
//   missingTool(name) -> why it cannot be used here, or undefined (for tests that skip without it)
//
// Java, Maven and PostgreSQL's server are found by the launchers in src/launch/ (FAULTBOX_JAVA,
// FAULTBOX_MVN, FAULTBOX_PG_BIN), which give the same kind of message.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";

export type ToolName =
  | "python"
  | "python-kafka-2"
  | "python-confluent-kafka"
  | "kcat"
  | "zstd"
  | "lz4"
  | "cc"
  | "podman"
  | "ss"
  | "strace";

interface ToolSpec {
  /** The command, or an absolute path. */
  command: string;
  /** Where it comes from, for the message when it is missing. */
  install: string;
  /** Checks the program can do what the tests need; returns the problem, if any. */
  check?: (path: string) => string | undefined;
}

const SETUP = "run scripts/setup.sh (as root) or";

/** Where setup.sh keeps what it fetches (as src/launch/kafka-local does). */
function cacheDir(): string {
  if (process.env.FAULTBOX_CACHE_DIR) return process.env.FAULTBOX_CACHE_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "faultbox");
}

/** The kafka-python version pinned in python-requirements.txt (what setup.sh installs). */
const KAFKA_PYTHON = /^kafka-python==(\S+)$/m.exec(
  readFileSync(fileURLToPath(new URL("./python-requirements.txt", import.meta.url)), "utf8"),
)![1]!;

const TOOLS: Record<ToolName, ToolSpec> = {
  python: {
    command: process.env.FAULTBOX_TEST_PYTHON || join(cacheDir(), "python", "bin", "python"),
    install: `${SETUP} set FAULTBOX_TEST_PYTHON to an interpreter with kafka-python==${KAFKA_PYTHON}`,
    check: (path) => kafkaPythonProblem(path, KAFKA_PYTHON),
  },
  "python-kafka-2": {
    command: "/usr/bin/python3",
    install: `${SETUP} apt-get install -y python3-kafka`,
    check: (path) => kafkaPythonProblem(path, "2.0.2"),
  },
  "python-confluent-kafka": {
    command: "/usr/bin/python3",
    install: `${SETUP} apt-get install -y python3-confluent-kafka`,
    check: (path) => {
      const r = spawnSync(path, ["-c", "import confluent_kafka"], { encoding: "utf8" });
      if (r.status === 0) return undefined;
      const error = (r.stderr || r.error?.message || "").trim().split("\n").pop();
      return `${path} cannot import confluent_kafka (${error})`;
    },
  },
  kcat: { command: "kcat", install: `${SETUP} apt-get install -y kcat` },
  zstd: { command: "zstd", install: `${SETUP} apt-get install -y zstd` },
  lz4: { command: "lz4", install: `${SETUP} apt-get install -y lz4` },
  cc: { command: "cc", install: `${SETUP} apt-get install -y gcc libc6-dev` },
  podman: { command: "podman", install: `${SETUP} apt-get install -y podman runc` },
  ss: { command: "ss", install: `${SETUP} apt-get install -y iproute2` },
  strace: { command: "strace", install: `${SETUP} apt-get install -y strace` },
};

/** Why `path` is not a Python with kafka-python `version`, or undefined. */
function kafkaPythonProblem(path: string, version: string): string | undefined {
  const r = spawnSync(path, ["-c", "import kafka; print(kafka.__version__)"], { encoding: "utf8" });
  if (r.status !== 0) {
    const error = (r.stderr || r.error?.message || "").trim().split("\n").pop();
    return `${path} cannot import kafka-python (${error})`;
  }
  const found = r.stdout.trim();
  return found === version
    ? undefined
    : `${path} has kafka-python ${found}, the tests are written for ${version}`;
}

const resolved = new Map<ToolName, { path?: string; problem?: string }>();

function findOnPath(command: string): string | undefined {
  const candidates = isAbsolute(command)
    ? [command]
    : (process.env.PATH ?? "")
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function resolve(name: ToolName): { path?: string; problem?: string } {
  let r = resolved.get(name);
  if (r) return r;
  const spec = TOOLS[name];
  const path = findOnPath(spec.command);
  if (!path) {
    const where = isAbsolute(spec.command)
      ? `${spec.command} does not exist`
      : `${spec.command} is not on PATH`;
    r = { problem: `${name}: ${where}; ${spec.install}` };
  } else {
    const problem = spec.check?.(path);
    r = problem ? { problem: `${name}: ${problem}; ${spec.install}` } : { path };
  }
  resolved.set(name, r);
  return r;
}

/** The absolute path of a tool; throws naming what to install when it is missing or unfit. */
export function tool(name: ToolName): string {
  const r = resolve(name);
  if (!r.path) throw new Error(`test prerequisite missing: ${r.problem}`);
  return r.path;
}

/** Why a tool cannot be used here, or undefined when it can (for tests that skip without it). */
export function missingTool(name: ToolName): string | undefined {
  return resolve(name).problem;
}
