// The CLI as a user meets it: --help on every subcommand, a closed stdout, shell-quoted replay commands
// that select exactly the failed test, the no-assertion warning on the console, a spec with no tests,
// and --runs printing the seed of the run that failed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bin, faultbox, root, specFile, testWithJson } from "./helpers.js";

const server = join(root, "examples", "http-failing", "server.mjs");

/** Runs a printed replay command through sh, with `faultbox` meaning this checkout's CLI. */
function runReplay(command: string) {
  return spawnSync("sh", ["-c", `faultbox() { "${process.execPath}" "${bin}" "$@"; }\n${command}`], {
    encoding: "utf8",
    cwd: root,
    timeout: 120_000,
  });
}

test("every subcommand answers --help (and -h) with its own usage, exit 0", () => {
  for (const cmd of ["test", "check", "init", "starlark", "proxy"]) {
    for (const flag of ["--help", "-h"]) {
      const r = faultbox([cmd, flag]);
      assert.equal(r.status, 0, `${cmd} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: faultbox ${cmd}`, "m"), `${cmd} ${flag}`);
      assert.equal(r.stderr, "", `${cmd} ${flag} writes no error`);
    }
  }
  // The flags a subcommand takes are documented in its help.
  const help = faultbox(["test", "--help"]).stdout;
  for (const flag of ["--test", "--seed", "--runs", "--timeout", "--allow-empty", "--junit", "--html"])
    assert.match(help, new RegExp(flag), `test --help documents ${flag}`);
  // init --help does not write a starter spec.
  const dir = mkdtempSync(join(tmpdir(), "fb-init-help-"));
  assert.equal(faultbox(["init", "--help"], { cwd: dir }).status, 0);
  assert.equal(spawnSync("ls", [dir], { encoding: "utf8" }).stdout, "");
});

test("a stdout closed by the reader (faultbox check SPEC | head -1) is a normal end, not an EPIPE crash", async () => {
  const many = Array.from({ length: 400 }, (_, i) => `def test_t${i}():\n    assert_true(True)\n`).join("");
  const file = specFile(many);
  const child = spawn(process.execPath, [bin, "check", file], { stdio: ["ignore", "pipe", "pipe"] });
  // Read one chunk, then close our end: every later write of the child meets a closed pipe.
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.once("data", () => child.stdout.destroy());
  const code = await new Promise<number | null>((res) => child.once("exit", (c) => res(c)));
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|Error:/, stderr);
  assert.equal(code, 0, stderr);
});

test("the replay command is shell-quoted and selects exactly the failed test (console, JSON)", () => {
  const names = [`order has space & <x> 'q' "dq" $HOME`, "glob*like", "~tilde"];
  const text = [
    "def fails():\n    assert_true(False, 'boom')\n",
    "def passes():\n    assert_true(True)\n",
    ...names.map((n) => `test(${JSON.stringify(n)}, body = fails)\n`),
    // Tests the glob and the regex would also select if the filter were taken literally.
    `test("globXlike", body = passes)\n`,
    `test("~tildeX", body = passes)\n`,
  ].join("");
  const r = testWithJson(specFile(text), ["--seed", "11"]);
  assert.equal(r.status, 2, r.stderr);
  const consoleCommands = [...r.stdout.matchAll(/^ {2}replay: (.*)$/gm)].map((m) => m[1]!);
  for (const name of names) {
    const fromJson = r.tests.find((t) => t.name === `test_${name}`)!.replay_command!;
    assert.ok(fromJson, `JSON has a replay command for ${name}`);
    assert.ok(consoleCommands.includes(fromJson), `console prints the same command: ${fromJson}`);
    const replay = runReplay(fromJson);
    assert.equal(replay.status, 2, `${fromJson}\n${replay.stdout}${replay.stderr}`);
    const ran = [...replay.stdout.matchAll(/^=== RUN {3}(.*) \(\d+\/(\d+)\)$/gm)];
    assert.deepEqual(
      ran.map((m) => [m[1], m[2]]),
      [[`test_${name}`, "1"]],
      `the replay of ${name} runs that test alone`,
    );
    assert.match(replay.stdout, /^Seed: 11 \(cli\)$/m);
  }
});

test("a passing test without assertions warns on the console too, not only in JSON", () => {
  const file = specFile("def test_nothing():\n    x = 1\n");
  const r = faultbox(["test", file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /WARNING: .*test_nothing.* passed without evaluating any assertion/);
});

test("VACUOUS_ASSERTION is for two empty event sets compared, not for a count compared with 0", () => {
  const file = specFile(`
def test_count_is_zero():
    assert_eq(len(events(where = lambda e: e.type == "topic")), 0, "nothing stored")

def test_query_then_other():
    n = len(events(where = lambda e: e.type == "topic"))
    assert_eq(0, 0, "unrelated")

def test_two_empty_sets():
    assert_eq(
        len(events(where = lambda e: e.type == "produce")),
        len(events(where = lambda e: e.type == "consume")),
        "every produced message is consumed")
`);
  const r = testWithJson(file);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const codes = Object.fromEntries(r.tests.map((t) => [t.name, (t.diagnostics ?? []).map((d) => d.code)]));
  assert.deepEqual(codes, {
    test_count_is_zero: [],
    test_query_then_other: [],
    test_two_empty_sets: ["VACUOUS_ASSERTION"],
  });
  assert.match(r.stdout, /WARNING: .*"every produced message is consumed".* compared two empty event sets/);
  assert.doesNotMatch(r.stdout, /nothing stored.*vacuous|unrelated.*vacuous/);
});

test("a fault_assumption no test applied is named after a complete run, not after a partial one", () => {
  const file = specFile(`load("@faultbox/mocks/kafka.star", "kafka")
bus = kafka.broker(name = "bus")
used = fault_assumption("used", target = bus.broker, rules = [drop(topic = "t")])
child = fault_assumption("child", target = bus.broker, rules = [duplicate(topic = "t")])
parent = fault_assumption("parent", faults = [child])
unused = fault_assumption("unused", target = bus.broker, rules = [delay(topic = "t", delay = "1s")])
def test_a():
    fault(used, run = lambda: bus.broker.publish(topic = "t", data = "x"))
    assert_true(True)
def test_b():
    fault(parent, run = lambda: bus.broker.publish(topic = "t", data = "y"))
    assert_true(True)
`);
  const all = faultbox(["test", file, "--format", "json"]);
  assert.equal(all.status, 0, all.stdout + all.stderr);
  const doc = JSON.parse(all.stdout) as { warnings?: string[] };
  assert.deepEqual(doc.warnings, [
    `fault_assumption("unused") (${relative(process.cwd(), file)}:6) was declared but no test applied it: nothing ran under this fault`,
  ]);
  assert.match(
    all.stderr,
    /WARNING: fault_assumption\("unused"\) .*:6\) was declared but no test applied it/,
  );
  // --test a runs part of the spec: what the other tests would apply is not known, so nothing is said.
  const part = faultbox(["test", file, "--test", "a"]);
  assert.equal(part.status, 0, part.stdout + part.stderr);
  assert.doesNotMatch(part.stdout + part.stderr, /no test applied it/);
});

test("a spec with no tests is refused (exit 1) unless --allow-empty", () => {
  const file = specFile("x = 1\n");
  const t = faultbox(["test", file]);
  assert.equal(t.status, 1, t.stdout + t.stderr);
  assert.match(
    t.stderr,
    /^error: \[NO_TESTS_DISCOVERED\] .*declares no tests.*; pass --allow-empty to accept that/m,
  );
  const c = faultbox(["check", file]);
  assert.equal(c.status, 1, c.stdout + c.stderr);
  assert.match(c.stdout + c.stderr, /declares no tests.*--allow-empty/);
  assert.equal(faultbox(["test", file, "--allow-empty"]).status, 0);
  const allowed = faultbox(["check", file, "--allow-empty"]);
  assert.equal(allowed.status, 0);
  assert.match(
    allowed.stdout + allowed.stderr,
    /^WARNING: \[NO_TESTS_DISCOVERED\] .*declares no tests.*\(accepted: --allow-empty\)$/m,
  );
  const cj = JSON.parse(faultbox(["check", file, "--format", "json"]).stdout);
  assert.equal(cj.ok, false);
  assert.equal(cj.findings[0].code, "NO_TESTS_DISCOVERED");
});

test("--runs: a failure prints the seed of the failing run, and its replay command reproduces it", () => {
  // A probabilistic fault: each run draws from its own seed, so the run that fails differs by seed.
  const file = specFile(`
main = interface("main", "http", 0)
api = service("api", "node", main,
    args = [${JSON.stringify(server)}],
    env = {"ROLE": "inventory", "PORT": str(main.port)},
    healthcheck = http(main.addr + "/health"),
)
def check():
    assert_eq(api.main.get(path = "/health").status, 200, "healthy")
def test_flaky():
    fault(api.main, error(status = 500, path = "/health", probability = 0.3), run = check)
`);
  let laterRunFailed = 0;
  for (const seed of ["1", "2", "3", "4"]) {
    const r = faultbox(["test", file, "--runs", "12", "--seed", seed]);
    assert.equal(r.status, 2, `seed ${seed}: some run fails\n${r.stdout}${r.stderr}`);
    const line = /^--- FAIL: test_flaky \(\d+ms, seed=(\d+), (\d+)\/(\d+) runs\) ---$/m.exec(r.stdout);
    assert.ok(line, r.stdout);
    const [, runSeed, passed] = line;
    if (Number(passed) > 0) {
      laterRunFailed++;
      assert.notEqual(runSeed, seed, "a later run has its own seed");
    }
    const replay = /^ {2}replay: (.*)$/m.exec(r.stdout)![1]!;
    assert.match(replay, new RegExp(`--seed ${runSeed}$`));
    const again = runReplay(replay);
    assert.equal(again.status, 2, `replaying ${replay} fails the same way\n${again.stdout}`);
    assert.match(again.stdout, /assert_eq failed: 500 != 200/);
  }
  assert.ok(laterRunFailed > 0, "at least one seed failed after passing runs");
});
