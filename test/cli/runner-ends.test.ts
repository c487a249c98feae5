// Every run ends, and leaves nothing running: a spec whose top level loops, a test stuck in a Starlark
// loop, a monitor or seed hook that never returns, a proxy holding a request for a 60 s delay when the
// test times out or is interrupted, a SIGTERM while services start. Each case runs the CLI as a user
// would; a hang shows as the spawn's generous timeout (never a timing assertion).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processesWith, waitUntil } from "../integration/runtime/cli-helpers.js";
import { bin, faultbox as run, root, specFile, testWithJson, type JsonTest } from "./helpers.js";

const server = join(root, "examples", "http-failing", "server.mjs");
/** A hang is a failure; this bound is far above the few seconds each run takes when it works. */
const HANG_MS = 45_000;

/** The run ended by itself: not killed at HANG_MS, and not by the backstop for a handle left open. */
function assertEnded(r: { error?: Error; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.error, undefined, `${what} did not end\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /still held the process open/, `${what} left something running`);
}

/** Runs the CLI; a run that does not end within HANG_MS fails the test. */
function faultbox(args: string[]) {
  const r = run(args, { timeoutMs: HANG_MS });
  assertEnded(r, `faultbox ${args.join(" ")}`);
  return r;
}

/** A test run through --output, checked to have ended. */
function runTests(spec: string, args: string[] = []) {
  const r = testWithJson(spec, args);
  assertEnded(r, `faultbox test ${spec}`);
  return r;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Service and proxy ports the run used (from its JSON events): none may still accept connections. */
async function assertNothingLeft(marker: string, tests: JsonTest[]): Promise<void> {
  assert.deepEqual(processesWith(marker), [], "no service process is left");
  const ports = new Set<number>();
  for (const t of tests)
    for (const e of t.events ?? [])
      for (const k of ["listen", "target", "addr"])
        if (typeof e.data[k] === "string" && /:\d+$/.test(e.data[k] as string))
          ports.add(Number((e.data[k] as string).split(":").pop()));
  assert.ok(ports.size > 0, "the run used some ports");
  for (const p of ports) assert.equal(await listening(p), false, `port ${p} is closed`);
}

test("a spec whose top level loops ends with a positioned load error (check and test, exit 1)", () => {
  const file = specFile("x = 1\ndef spin():\n    n = 0\n    while True:\n        n += 1\nspin()\n");
  for (const cmd of ["check", "test"]) {
    const r = faultbox([cmd, file, "--timeout", "2"]);
    assert.equal(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /faultbox\.star:4:\d+: .*did not finish loading within 2s/, cmd);
    assert.match(r.stderr, /faultbox\.star:6:\d+: in <toplevel>/, `${cmd}: the traceback shows the call`);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace from our internals");
  }
});

test("a test stuck in a Starlark loop is abandoned at its timeout; later tests run; nothing is left", async () => {
  const marker = `fb-loop-${randomBytes(4).toString("hex")}`;
  const file = specFile(`
main = interface("main", "http", 0)
api = service("api", "node", main,
    args = [${JSON.stringify(server)}, "${marker}"],
    env = {"ROLE": "inventory", "PORT": str(main.port)},
    healthcheck = http(main.addr + "/health"),
)
def test_a_loops():
    api.main.get(path = "/health")
    n = 0
    while True:
        n += 1

def spin(event):
    if event.type == "step_recv":
        while True:
            pass

def test_b_monitor_loops():
    monitor(spin)
    api.main.get(path = "/health")

def test_c_runs_after():
    assert_eq(api.main.get(path = "/health").status, 200)
`);
  const r = runTests(file, ["--timeout", "3"]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /--- INCONCLUSIVE: test_a_loops .*\n {2}reason: test timed out after 3s/);
  assert.match(r.stdout, /--- INCONCLUSIVE: test_b_monitor_loops .*\n {2}reason: test timed out after 3s/);
  assert.match(r.stdout, /--- PASS: test_c_runs_after/, "the worker was free again for the next test");
  await assertNothingLeft(marker, r.tests);
});

const delayed = (marker: string, delay: string) => `
load("@faultbox/mocks/kafka.star", "kafka")
bus = kafka.broker(name = "bus", topics = {"orders": {"partitions": 1}})
main = interface("main", "http", 0)
api = service("api", "node", main,
    args = [${JSON.stringify(server)}, "${marker}"],
    env = {"ROLE": "inventory", "PORT": str(main.port)},
    healthcheck = http(main.addr + "/health"),
)
line = interface("main", "tcp", 0)
echo = service("echo", "node", line,
    args = ["-e", "require('net').createServer((s) => s.pipe(s)).listen(+process.env.PORT)", "${marker}"],
    env = {"PORT": str(line.port)},
    healthcheck = tcp(line.addr),
)
def http_get():
    api.main.get(path = "/health")
def tcp_send():
    echo.main.send(data = "hi")
def kafka_publish():
    bus.broker.publish(topic = "orders", data = "x")

test("http", body = lambda: fault(api.main, delay(delay = "${delay}"), run = http_get), timeout = "2s")
test("tcp", body = lambda: fault(echo.main, delay(delay = "${delay}"), run = tcp_send), timeout = "2s")
test("kafka", body = lambda: fault(bus.broker, delay(topic = "orders", delay = "${delay}"), run = kafka_publish), timeout = "2s")
`;

test("requests a proxy holds for a 60 s delay are released when the test times out (HTTP, TCP, Kafka)", async () => {
  const marker = `fb-delay-${randomBytes(4).toString("hex")}`;
  const file = specFile(delayed(marker, "60s"));
  const r = runTests(file);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  for (const name of ["http", "tcp", "kafka"])
    assert.match(
      r.stdout,
      new RegExp(`--- INCONCLUSIVE: test_${name} .*\\n {2}reason: test timed out after 2s`),
    );
  await assertNothingLeft(marker, r.tests);
});

test("Ctrl-C while a proxy holds a request for a 60 s delay ends the run at once (exit 3)", async () => {
  const marker = `fb-sigint-${randomBytes(4).toString("hex")}`;
  const file = specFile(delayed(marker, "60s").replace(/timeout = "2s"/g, 'timeout = "120s"'));
  const child = spawn(process.execPath, [bin, "test", file, "--test", "http"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((res) => child.once("exit", (c) => res(c)));
  const guard = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
  // The step is being held once the test runs and the service is up; give the request time to arrive.
  while (!output.includes("=== RUN") && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGINT");
  const code = await exited;
  clearTimeout(guard);
  assert.equal(code, 3, output);
  assert.match(output, /reason: interrupted/);
  assert.doesNotMatch(output, /still held the process open/);
  assert.deepEqual(processesWith(marker), []);
});

test("SIGTERM while a seed hook runs stops the run: the next service is never started", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-sigterm-"));
  const file = join(dir, "faultbox.star");
  writeFileSync(
    file,
    `
def spin():
    while True:
        pass
first = service("first", "sh", args = ["-c", "touch ${dir}/first-started; exec sleep 600"], seed = spin)
second = service("second", "sh", args = ["-c", "touch ${dir}/second-started; exec sleep 600"], depends_on = [first])
def test_x():
    assert_true(True)
`,
  );
  const child = spawn(process.execPath, [bin, "test", file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((res) => child.once("exit", (c) => res(c)));
  const guard = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
  while (!existsSync(join(dir, "first-started")) && child.exitCode === null)
    await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGTERM");
  const code = await exited;
  clearTimeout(guard);
  assert.equal(code, 3, output);
  assert.match(output, /reason: interrupted/);
  assert.equal(existsSync(join(dir, "second-started")), false, "the second service was never started");
  assert.deepEqual(processesWith(`${dir}/first-started`), [], "the first service was stopped");
});

/** A TypeScript spec with `body` as the test's body, its service marked with `marker`. */
function tsSpec(marker: string, topLevel: string, body: string): string {
  return specFile(
    `import { defineSpec } from ${JSON.stringify(join(root, "src", "index.ts"))};
${topLevel}
export default defineSpec((fb) => {
  const main = fb.interface("main", "http", 0);
  fb.service("api", {
    binary: "node",
    args: [${JSON.stringify(server)}, "${marker}"],
    env: { ROLE: "inventory", PORT: String(main.port) },
    interfaces: [main],
    healthcheck: fb.ready({ timeout: "30s" }),
  });
  fb.test("spins", () => {
    ${body}
  }, { timeout: "2s" });
});
`,
    "faultbox.spec.mts",
  );
}

test("a TypeScript test stuck in a synchronous loop ends the run past its time limit; nothing is left", async () => {
  const marker = `fb-ts-loop-${randomBytes(4).toString("hex")}`;
  const r = run(["test", tsSpec(marker, "", "for (;;) {}")], { timeoutMs: HANG_MS });
  assert.equal(r.error, undefined, `the run did not end\n${r.stdout}${r.stderr}`);
  assert.equal(r.signal, "SIGKILL", r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /faultbox: test "test_spins" has blocked the JavaScript event loop for \d+ s, past its time limit/,
  );
  await waitUntil(() => processesWith(marker).length === 0, 15_000, "the watchdog to stop the service");
});

test("a TypeScript spec whose top level loops ends past the load time limit", () => {
  const r = run(["check", tsSpec("unused", "for (;;) {}", ""), "--timeout", "2"], { timeoutMs: HANG_MS });
  assert.equal(r.error, undefined, `the run did not end\n${r.stdout}${r.stderr}`);
  assert.equal(r.signal, "SIGKILL", r.stdout + r.stderr);
  assert.match(r.stderr, /faultbox: loading .*faultbox\.spec\.mts has blocked the JavaScript event loop/);
});
