import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { faultbox, byName, type JsonResult } from "./cli-helpers.js";

const spec = "examples/http-failing/faultbox.spec.ts";

for (const spec of ["examples/http-failing/faultbox.spec.ts", "examples/http-failing/faultbox.star"])
  test(`deliberate failures (${spec}): exit 2, reasons, spec lines, monitor/expectation/vacuous/never-fired reporting`, () => {
    const dir = mkdtempSync(join(tmpdir(), "fb-failing-"));
    const out = join(dir, "result.json");
    const junit = join(dir, "junit.xml");
    const html = join(dir, "report.html");
    const r = faultbox(["test", spec, "--seed", "9", "--output", out, "--junit", junit, "--html", html]);
    assert.equal(r.status, 2, r.stderr);
    // Console: failure details with the spec line and the last events, then the summary.
    assert.match(r.stdout, /--- FAIL: test_wrong_status/);
    assert.match(r.stdout, /at: examples\/http-failing\/faultbox\.(spec\.ts|star):\d+/);
    assert.match(r.stdout, /last events:/);
    assert.match(r.stdout, /4 passed, 4 failed, 1 inconclusive/);

    const json = JSON.parse(readFileSync(out, "utf8")) as JsonResult;
    assert.equal(json.pass, 4);
    assert.equal(json.fail, 4);
    assert.equal(json.inconclusive, 1);

    const wrong = byName(json, "test_wrong_status");
    assert.equal(wrong.result, "fail");
    assert.equal(wrong.failure_type, "assertion");
    assert.equal(wrong.reason, "assert_eq failed: 404 != 200 (the route exists)");
    const lines = readFileSync(spec, "utf8").split("\n");
    assert.match(lines[wrong.location!.line - 1]!, /assert(Eq|_eq)\(r\.status, 200, "the route exists"\)/);

    const monitor = byName(json, "test_monitor_violation");
    assert.equal(monitor.failure_type, "monitor");
    assert.match(
      monitor.reason!,
      /^monitor violation: monitor "at_most_one_reservation" violated at event seq=\d+ type="stdout"/,
    );

    const callback = byName(json, "test_callback_monitor_fails");
    assert.equal(callback.failure_type, "monitor");
    assert.equal(callback.reason, "monitor violation: fail: reserved a bad sku");

    const expectation = byName(json, "test_expectation_violated");
    assert.equal(expectation.expectation_violated, true);
    assert.equal(expectation.reason, "assert_eq failed: 500 != 200 (reservations survive)");

    const vacuous = byName(json, "test_vacuous_but_passing");
    assert.equal(vacuous.result, "pass");
    assert.deepEqual(
      vacuous.diagnostics?.map((d) => d.code),
      ["VACUOUS_ASSERTION"],
    );

    const neverFired = byName(json, "test_fault_never_fires");
    assert.equal(neverFired.result, "pass");
    assert.deepEqual(
      neverFired.diagnostics?.map((d) => d.code),
      ["FAULT_NOT_FIRED"],
    );

    assert.equal(byName(json, "test_times_out").result, "inconclusive");

    const xml = readFileSync(junit, "utf8");
    assert.match(xml, /<testsuites tests="9" failures="4" errors="1" skipped="0"/);
    assert.match(
      xml,
      /<testcase name="test_wrong_status"[^>]*>\s*<failure message="assert_eq failed: 404 != 200 \(the route exists\)" type="assertion">/,
    );
    assert.match(xml, /<testcase name="test_passes"[^>]*\/>/);
    // inconclusive (timed out) is an error for dashboards, not a skip: the run exits 2 for it
    assert.match(xml, /<testcase name="test_times_out"[^>]*>\s*<error message="[^"]*" type="timeout"/);

    // The HTML report carries the same verdicts, reasons and fault windows as the JSON one.
    const page = readFileSync(html, "utf8");
    assert.match(
      page,
      /<title>faultbox: examples\/http-failing\/faultbox\.(spec\.ts|star) \(4 passed, 4 failed, 1 inconclusive\)<\/title>/,
    );
    assert.match(
      page,
      /<span class="badge fail">FAIL<\/span> test_wrong_status[\s\S]*?assert_eq failed: 404 != 200 \(the route exists\)/,
    );
    assert.match(page, /<span class="badge warn">INCONCLUSIVE<\/span> test_times_out/);
    assert.match(
      page,
      /replay: <code>faultbox test examples\/http-failing\/faultbox\.(spec\.ts|star) --test wrong_status --seed \d+<\/code>/,
    );
    const withWindows = json.tests.find((t) => (t as { fault_windows?: unknown[] }).fault_windows?.length);
    if (withWindows) assert.match(page, /<h4>Fault windows<\/h4>/);
    assert.equal((page.match(/<section class="test"/g) ?? []).length, json.tests.length);
  });

test("only an inconclusive test selected: exit 3", () => {
  const r = faultbox(["test", spec, "--test", "times_out"]);
  assert.equal(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /INCONCLUSIVE: test_times_out/);
});

test("--test matching nothing is a usage error naming the available tests (exit 1)", () => {
  const r = faultbox(["test", spec, "--test", "no_such_test"]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no test matched filter "no_such_test" \(available: .*test_passes/);
});

test("a service that crashes on start fails the test with its last output lines", () => {
  const r = faultbox(["test", "examples/http-failing/broken.spec.ts", "--format", "json"]);
  assert.equal(r.status, 2);
  const t = byName(JSON.parse(r.stdout) as JsonResult, "test_never_runs");
  assert.equal(t.failure_type, "service_start");
  assert.match(t.reason!, /service "crashy" exited with code 3 before becoming ready/);
  assert.deepEqual(t.service_output, {
    service: "crashy",
    lines: ["loading config", "fatal: config file missing"],
  });
});

test("an image service without a container engine is a set-up error (exit 1) naming the alternatives", () => {
  const r = faultbox(["test", "examples/http-failing/container.spec.ts", "--format", "json"], {
    DOCKER_HOST: "unix:///nonexistent/docker.sock",
    XDG_RUNTIME_DIR: "/nonexistent",
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "", "no test ran, so no result document");
  assert.match(r.stderr, /SETUP_ERROR\] .*container\.spec\.ts:\d+: service "web": image .* cannot run here/);
  assert.match(r.stderr, /no container engine is reachable \(tried \/nonexistent\/docker\.sock \(absent\)/);
  assert.match(r.stderr, /podman\.socket/);
  assert.match(r.stderr, /remote="host:port"/);
});

test("a service that exits during a test fails it naming the service, its exit code and last output; a kill() does not", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-exit-mid-test-"));
  // /crash prints a fatal line and exits 7; /abort dies on SIGKILL; / answers 200.
  writeFileSync(
    join(dir, "crashmid.mjs"),
    `import http from "node:http";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
http.createServer((req, res) => {
  if (req.url === "/crash") {
    console.error("fatal: corrupted state");
    process.exit(7);
  }
  if (req.url === "/abort") process.kill(process.pid, "SIGKILL");
  if (req.url === "/write") {
    try {
      writeFileSync(join(tmpdir(), "fb-crashmid-" + process.pid), "x");
    } catch (err) {
      process.exit(3);
    }
  }
  res.end("ok");
}).listen(Number(process.env.PORT), "127.0.0.1");
`,
  );
  writeFileSync(
    join(dir, "faultbox.star"),
    `main = interface("main", "http", 0)
api = service("api", "node", main, args = ["crashmid.mjs"], env = {"PORT": str(main.port)}, healthcheck = ready())

def test_crash_then_assert():
    api.main.get(path = "/crash")
    assert_eq(api.main.get(path = "/").status, 200)

def test_crash_unchecked():
    api.main.get(path = "/crash")

def test_sigkill():
    api.main.get(path = "/abort")
    assert_eq(api.main.get(path = "/").status, 200)

def test_kill_action():
    fault(api, kill(), run = lambda: api.main.get(path = "/"))
    assert_eq(len(events(type = "service_exited")), 0)

def test_stays_up():
    assert_eq(api.main.get(path = "/").status, 200)

# Expected exits: a service declared may_exit=True, and one a syscall fault reached in the test.
side = interface("side", "http", 0)
job = service("job", "node", side, args = ["crashmid.mjs"], env = {"PORT": str(side.port)}, healthcheck = ready(), may_exit = True)
disk = fault_assumption("disk", target = api, write = deny("EIO"))

def test_may_exit():
    job.side.get(path = "/crash")
    assert_eventually(where = lambda e: e.type == "service_exited" and e.service == "job", timeout = "10s")

def test_exit_under_a_fault():
    fault(disk, run = lambda: api.main.get(path = "/write"))
    assert_eventually(where = lambda e: e.type == "service_exited" and e.service == "api", timeout = "10s")
`,
  );
  const r = faultbox(["test", join(dir, "faultbox.star"), "--format", "json"]);
  assert.equal(r.status, 2, r.stderr);
  const json = JSON.parse(r.stdout) as JsonResult;
  for (const name of ["test_crash_then_assert", "test_crash_unchecked"]) {
    const t = byName(json, name);
    assert.equal(t.result, "fail", name);
    assert.equal(t.failure_type, "service_exited", name);
    assert.match(t.reason!, /^service "api" exited with code 7 during the test/, name);
    assert.deepEqual(t.service_output?.service, "api");
    assert.ok(t.service_output!.lines.includes("fatal: corrupted state"), JSON.stringify(t.service_output));
    const exits = (t.events ?? []).filter((e) => e.type === "service_exited");
    assert.deepEqual(
      exits.map((e) => [e.service, e.data]),
      [["api", { code: 7, signal: null }]],
      name,
    );
  }
  const killed = byName(json, "test_sigkill");
  assert.equal(killed.failure_type, "service_exited");
  // Under the reaper the service's SIGKILL shows as the supervisor's exit code 128+9.
  assert.match(killed.reason!, /^service "api" exited (on SIGKILL|with code 137) during the test/);
  assert.equal(byName(json, "test_kill_action").result, "pass", "a kill() action is not an unexpected exit");
  assert.equal(byName(json, "test_stays_up").result, "pass");
  // An expected exit is recorded with why it was expected and leaves the verdict to the assertions.
  for (const [name, service, expected] of [
    ["test_may_exit", "job", "may_exit"],
    ["test_exit_under_a_fault", "api", "fault"],
  ] as const) {
    const t = byName(json, name);
    assert.equal(t.result, "pass", `${name}: ${t.reason}`);
    const exits = (t.events ?? []).filter((e) => e.type === "service_exited");
    assert.deepEqual(
      exits.map((e) => [e.service, e.data.expected]),
      [[service, expected]],
      name,
    );
  }
  assert.equal(
    (byName(json, "test_may_exit").events ?? []).find((e) => e.type === "service_exited")!.data.code,
    7,
  );
  // The console names the service and shows its last output, as for a start failure.
  const text = faultbox(["test", join(dir, "faultbox.star"), "--test", "crash_unchecked"]);
  assert.equal(text.status, 2);
  assert.match(text.stdout, /reason: service "api" exited with code 7 during the test/);
  assert.match(text.stdout, /last output of api:\n(.*\n)*? {4}\| fatal: corrupted state/);
});
