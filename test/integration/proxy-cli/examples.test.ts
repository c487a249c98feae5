// The three "use it from your existing tests" examples of docs/proxy.md, run as their users would
// against real Apache Kafka 4.x through `faultbox proxy` (a child process, driven over HTTP):
// a plain Java program (kafka-clients from Maven Central, compiled with javac here), a pytest test
// (confluent-kafka, in a venv from PyPI: scripts/python-examples-venv) and a Node test (kafkajs,
// FaultboxProxyClient). Each adds a drop rule, produces, checks the record is missing and the fault
// was reported, removes the rule, produces again and checks the record arrives.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveKafka } from "../../../src/launch/kafka-local/index.js";
import { useKafka } from "../../support/index.js";
import { run } from "../kafka-proxy/helpers.js";
import { startReadyProxy } from "../../control/run-proxy.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

async function proxyInFrontOfKafka() {
  const kafka = await useKafka({ version: "4" });
  return startReadyProxy(["--kafka", `kafka=${kafka.bootstrap.split(",")[0]}`]);
}

const shown = (r: { code: number | null; stdout: string; stderr: string }) =>
  `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test("Java: a plain program with kafka-clients drives faultbox proxy over HTTP", async () => {
  const install = await resolveKafka("4");
  // javac of the same JDK as the java that runs Kafka's tools.
  const java = install.java.path.includes("/")
    ? install.java.path
    : execFileSync("sh", ["-c", `command -v ${install.java.path}`], { encoding: "utf8" }).trim();
  const javac = join(dirname(realpathSync(java)), "javac");
  const classes = mkdtempSync(join(tmpdir(), "fb-proxy-java-"));
  execFileSync(
    javac,
    ["-cp", install.classpath, "-d", classes, join(ROOT, "examples/proxy/java/DropThroughProxy.java")],
    {
      stdio: "pipe",
    },
  );
  const proxy = await proxyInFrontOfKafka();
  try {
    const r = await run(
      [
        install.java.path,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        `${classes}:${install.classpath}`,
        "DropThroughProxy",
        proxy.control,
      ],
      { timeoutMs: 180_000 },
    );
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /OK: drop lost the record/);
    assert.ok(
      proxy.lines.some((l) => /"type":"fault".*"action":"drop"/.test(l)),
      "the proxy logged the fault",
    );
  } finally {
    await proxy.stop();
  }
});

test("pytest: a test with confluent-kafka drives faultbox proxy over HTTP", async () => {
  const python = execFileSync(join(ROOT, "scripts/python-examples-venv"), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
  const proxy = await proxyInFrontOfKafka();
  try {
    const r = await run(
      [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", join(ROOT, "examples/proxy/python")],
      {
        timeoutMs: 180_000,
        env: { FAULTBOX_PROXY_URL: proxy.control },
      },
    );
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /2 passed/);
  } finally {
    await proxy.stop();
  }
});

test("Node: a node:test file with kafkajs and FaultboxProxyClient drives faultbox proxy over HTTP", async () => {
  const proxy = await proxyInFrontOfKafka();
  try {
    // As its user runs it, not as a child of this test runner: NODE_TEST_CONTEXT would make the inner
    // runner report to this one instead of printing its results.
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const { NODE_TEST_CONTEXT: _inner, ...env } = process.env;
      const argv = [
        "--import",
        "tsx",
        "--test",
        join(ROOT, "examples/proxy/node/drop-through-proxy.test.ts"),
      ];
      execFile(
        process.execPath,
        argv,
        { cwd: ROOT, env: { ...env, FAULTBOX_PROXY_URL: proxy.control }, timeout: 180_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, shown(r));
    assert.match(r.stdout, /# pass 1/);
  } finally {
    await proxy.stop();
  }
});
