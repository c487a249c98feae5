// `faultbox check` catches what it can: a value of the wrong kind in a structure slot, two services
// with one name, a misspelt protocol, a binary that does not exist, an image with no engine to run it.
// Each is an error with the spec line (exit 1), for `check` and for `test` alike, never a crash at run
// time or a test failure (exit 2) per test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { faultbox, root, specFile } from "./helpers.js";

const prelude = `api = service("api", "/bin/sh", interface("main", "http", 0))
loss = fault_assumption("loss", target = api.main, rules = [error(status = 503)])
def hit():
    pass
def check(r):
    pass
`;
// The line of the statement under test is the prelude's length + 1.
const LINE = prelude.split("\n").length;

/** Each case puts a value of the wrong kind in one slot; the message names the slot and what was given. */
const cases: [string, string, RegExp][] = [
  [
    "fault_matrix(faults=) with a rule",
    `fault_matrix(scenarios = [hit], faults = [error(status = 500)])`,
    /fault_matrix\(\): faults= takes fault_assumption\(\.\.\.\) values .*; item 1 is the rule error\(status=500\)/,
  ],
  [
    "fault_matrix(scenarios=) with a string",
    `fault_matrix(scenarios = ["hit"], faults = [loss])`,
    /fault_matrix\(\): scenarios= takes scenario functions .*; item 1 is "hit"/,
  ],
  [
    "fault_matrix(monitors=) with a fault",
    `fault_matrix(scenarios = [hit], faults = [loss], monitors = [loss])`,
    /fault_matrix\(\): monitors= takes monitor\(\.\.\.\) values; item 1 is fault_assumption\("loss"\)/,
  ],
  [
    "fault_matrix(default_expect=) with a string",
    `fault_matrix(scenarios = [hit], faults = [loss], default_expect = "ok")`,
    /fault_matrix\(\): default_expect= takes a function, got "ok"/,
  ],
  [
    "fault_matrix(exclude=) naming a fault it does not have",
    `other = fault_assumption("other", target = api.main, rules = [drop()])\nfault_matrix(scenarios = [hit], faults = [loss], exclude = [(hit, other)])`,
    /fault_matrix\(\): exclude= names the cell \(hit, other\), but fault "other" is not in faults= \(loss\)/,
  ],
  [
    "fault_scenario(faults=) with a rule",
    `fault_scenario("s", scenario = hit, faults = drop())`,
    /fault_scenario\("s"\): faults= takes fault_assumption\(\.\.\.\) values .*; item 1 is the rule drop\(\)/,
  ],
  [
    "fault_scenario(expect=) with a number",
    `fault_scenario("s", scenario = hit, faults = loss, expect = 3)`,
    /fault_scenario\("s"\): expect= takes a function, got 3/,
  ],
  [
    "fault_scenario(monitors=) with a string",
    `fault_scenario("s", scenario = hit, faults = loss, monitors = ["m"])`,
    /fault_scenario\("s"\): monitors= takes monitor\(\.\.\.\) values; item 1 is "m"/,
  ],
  [
    "fault_assumption(faults=) with a rule",
    `fault_assumption("both", faults = [loss, duplicate()])`,
    /fault_assumption\("both"\): faults= takes fault_assumption\(\.\.\.\) values .*; item 2 is the rule duplicate\(\)/,
  ],
  [
    "fault_assumption(monitors=) with a rule",
    `fault_assumption("m", target = api.main, rules = [drop()], monitors = [drop()])`,
    /fault_assumption\("m"\): monitors= takes monitor\(\.\.\.\) values; item 1 is the rule drop\(\)/,
  ],
  [
    "service(depends_on=) with a number",
    `service("web", "/bin/sh", depends_on = [3])`,
    /service\("web"\): depends_on= takes services \(or service names\); item 1 is 3/,
  ],
  [
    "service(args=) with a string",
    `service("web", "/bin/sh", args = "-c")`,
    /service\("web"\): args= must be a list of strings, got "-c"/,
  ],
  [
    "two services with the same name",
    `service("api", "/bin/true")`,
    /service\("api"\): a service named "api" is already declared \(first declared at .*faultbox\.star:1\); service names must be unique/,
  ],
  [
    "two fault_scenarios with one name",
    `fault_scenario("s", scenario = hit, faults = loss)\nfault_scenario("s", scenario = hit, faults = loss, expect = check)`,
    /fault_scenario\("s"\): a test named test_s is already declared by fault_scenario\("s"\) at .*faultbox\.star:\d+; test names must be unique/,
  ],
  [
    "a fault_scenario named like a fault_matrix cell",
    `fault_matrix(scenarios = [hit], faults = [loss])\nfault_scenario("matrix_hit_loss", scenario = hit)`,
    /fault_scenario\("matrix_hit_loss"\): a test named test_matrix_hit_loss is already declared by the fault_matrix\(\) cell \(hit, loss\)/,
  ],
  [
    "two fault_matrix cells whose names run together",
    `def a():\n    pass\ndef a_b():\n    pass\nb_c = fault_assumption("b_c", target = api.main, rules = [drop()])\nc = fault_assumption("c", target = api.main, rules = [drop()])\nfault_matrix(scenarios = [a, a_b], faults = [b_c, c])`,
    /the fault_matrix\(\) cell \(a_b, c\): a test named test_matrix_a_b_c is already declared by the fault_matrix\(\) cell \(a, b_c\)/,
  ],
  [
    "two fault_assumptions of one name in fault_matrix(faults=)",
    `loss2 = fault_assumption("loss", target = api.main, rules = [error(status = 500)])\nfault_matrix(scenarios = [hit], faults = [loss, loss2])`,
    /fault_matrix\(\): faults= holds two different values named "loss" \(items 1 \(.*faultbox\.star:2\) and 2 \(.*faultbox\.star:7\)\); give them distinct names/,
  ],
  [
    "one scenario twice in fault_matrix(scenarios=)",
    `fault_matrix(scenarios = [hit, hit], faults = [loss])`,
    /fault_matrix\(\): scenarios= names "hit" twice \(items 1 and 2\)/,
  ],
  [
    "two lambdas in fault_matrix(scenarios=), both named lambda",
    `fault_matrix(scenarios = [lambda: hit(), lambda: hit()], faults = [loss])`,
    /fault_matrix\(\): scenarios= holds two different values named "lambda" \(items 1 and 2\); give them distinct names/,
  ],
  [
    "a misspelt delay= in a delay rule",
    `fault_assumption("slow", target = api.main, rules = [delay(dealy = "1s")])`,
    /delay\(\) requires delay= or a positional duration argument; got dealy= \(did you mean delay=\?\)/,
  ],
  [
    "an interface protocol typo",
    `service("web", "/bin/sh", interface("main", "htttp", 0))`,
    /interface\("main"\): unknown protocol "htttp"; known protocols: .*http/,
  ],
];

for (const [what, statement, message] of cases) {
  test(`check and test refuse ${what}, with the spec line (exit 1)`, () => {
    const file = specFile(`${prelude}${statement}\ndef test_x():\n    pass\n`);
    const line = LINE + statement.split("\n").length - 1;
    for (const cmd of ["check", "test"]) {
      const r = faultbox([cmd, file]);
      assert.equal(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`faultbox\\.star:${line}:`),
        `${cmd} names line ${line}: ${r.stderr}`,
      );
      assert.match(r.stderr, message, cmd);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+|TypeError|Cannot read/, "no crash from our internals");
    }
  });
}

test("a TypeScript spec gets the same check: a rule in fault_matrix(faults=)", () => {
  const index = join(root, "src", "index.ts");
  const file = specFile(
    `import { defineSpec } from ${JSON.stringify(index)};
export default defineSpec((fb) => {
  const api = fb.service("api", { binary: "/bin/sh", interfaces: [fb.interface("main", "http", 0)] });
  const hit = fb.scenario("hit", async () => undefined);
  fb.faultMatrix({ scenarios: [hit], faults: [fb.rules.duplicate({}) as never] });
  void api;
});
`,
    "faultbox.spec.mts",
  );
  const r = faultbox(["check", file]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /faultbox\.spec\.mts:5: fault_matrix\(\): faults= takes fault_assumption/);
});

test("a service binary that does not exist is a set-up error: check reports it, test exits 1 before any test", () => {
  const file = specFile(
    `api = service("api", "./no-such-server", interface("main", "http", 0))\nweb = service("web", "no-such-tool-on-path")\ndef test_x():\n    assert_true(True)\n`,
  );
  const c = faultbox(["check", file]);
  assert.equal(c.status, 1, c.stdout + c.stderr);
  assert.match(
    c.stderr,
    /SETUP_ERROR\] .*faultbox\.star:1: service "api": binary "\.\/no-such-server" not found/,
  );
  assert.match(
    c.stderr,
    /SETUP_ERROR\] .*faultbox\.star:2: service "web": binary "no-such-tool-on-path" not found on PATH/,
  );
  const t = faultbox(["test", file]);
  assert.equal(t.status, 1, t.stdout + t.stderr);
  assert.match(t.stderr, /SETUP_ERROR\] .*service "api": binary "\.\/no-such-server" not found/);
  assert.doesNotMatch(t.stdout, /=== RUN/, "no test ran");
  const cj = JSON.parse(faultbox(["check", file, "--format", "json"]).stdout);
  assert.equal(cj.ok, false);
  assert.deepEqual(
    cj.findings.map((f: { code: string }) => f.code),
    ["SETUP_ERROR", "SETUP_ERROR"],
  );
});

test("an image with no container engine and no local stand-in is a set-up error naming the alternatives", () => {
  const file = specFile(
    `web = service("web", interface("main", "http", 8080), image = "nginx:1.27")\ndef test_x():\n    assert_true(True)\n`,
  );
  const noEngine = { DOCKER_HOST: "unix:///nonexistent/docker.sock", XDG_RUNTIME_DIR: "/nonexistent" };
  for (const cmd of ["check", "test"]) {
    const r = faultbox([cmd, file], { env: noEngine });
    assert.equal(r.status, 1, `${cmd}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr,
      /SETUP_ERROR\] .*faultbox\.star:1: service "web": image nginx:1\.27 cannot run here: no container engine is reachable/,
    );
    assert.match(r.stderr, /remote="host:port"/);
  }
  // A Kafka image has a local stand-in: no set-up error.
  const kafka = specFile(
    `k = service("k", interface("broker", "kafka", 9092), image = "apache/kafka:4.1.1")\ndef test_x():\n    assert_true(True)\n`,
  );
  assert.equal(faultbox(["check", kafka], { env: noEngine }).status, 0);
});

test("a def test_x beats a scenario, fault_scenario or matrix cell of its name (Faultbox), with a warning naming both", () => {
  const file = specFile(
    `${prelude}scenario(hit)\nfault_scenario("s", scenario = hit, faults = loss)\nfault_matrix(scenarios = [hit], faults = [loss])\nscenario(hit)\ndef test_hit():\n    pass\ndef test_s():\n    pass\ndef test_matrix_hit_loss():\n    pass\n`,
  );
  const r = faultbox(["check", file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  for (const [def, replaced] of [
    [`test test_hit at .*faultbox\\.star:${LINE + 4}`, `scenario\\(hit\\) at .*faultbox\\.star:${LINE}`],
    [
      `test test_s at .*faultbox\\.star:${LINE + 6}`,
      `fault_scenario\\("s"\\) at .*faultbox\\.star:${LINE + 1} \\(under fault loss\\)`,
    ],
    [
      `test test_matrix_hit_loss at .*faultbox\\.star:${LINE + 8}`,
      `the fault_matrix\\(\\) cell \\(hit, loss\\) at .*faultbox\\.star:${LINE + 2} \\(under fault loss\\)`,
    ],
  ])
    assert.match(
      out,
      new RegExp(`WARNING: .*${def} replaces ${replaced}, which has the same name and will not run`),
      out,
    );
  // scenario(hit) twice is one scenario: no error, and only the three warnings above.
  assert.equal(out.match(/^WARNING:/gm)?.length, 3, out);
  assert.match(out, /3 test\(s\)/, out);
});

test("a fault_assumption that injects nothing is a warning naming its line; monitors alone or faults= are something", () => {
  const file = specFile(
    `${prelude}none = fault_assumption("none", target = api.main, rules = [])\nbare = fault_assumption("bare")\nm = monitor(lambda e: None)\nwatch = fault_assumption("watch", monitors = [m])\nboth = fault_assumption("both", faults = [loss])\nfault_matrix(scenarios = [hit], faults = [none, bare, watch, both])\n`,
  );
  const r = faultbox(["check", file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout + r.stderr;
  for (const [name, line] of [
    ["none", LINE],
    ["bare", LINE + 1],
  ] as const)
    assert.match(
      out,
      new RegExp(
        `WARNING: .*fault_assumption\\("${name}"\\) \\(.*faultbox\\.star:${line}\\) injects nothing: no rules=, no syscall faults and no faults=, so a test under it runs without faults`,
      ),
      out,
    );
  assert.equal(out.match(/^WARNING:/gm)?.length, 2, out);
});
