// Whether a service runs under the syscall supervisor is decided from every syscall fault the spec can
// apply to it, inline fault(svc, write=...) calls and fault_assumptions built in test bodies included,
// and the decision does not depend on which tests ran before. Where a fault cannot apply (the embedded
// broker runs inside faultbox; a TypeScript test body builds its assumption late), only the tests that
// use it fail, with the reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { syscallFaultsSupported } from "../../src/syscall/index.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;
const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const spec = (name: string) => new URL(`./specs/${name}`, import.meta.url).pathname;

interface JsonResult {
  tests: { name: string; result: string; reason?: string }[];
}

function run(args: string[]): { status: number | null; json: JsonResult; out: string } {
  const json = args[0] === "test" ? ["--format", "json"] : [];
  const r = spawnSync(process.execPath, [bin, ...args, ...json], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  let result: JsonResult = { tests: [] };
  try {
    result = JSON.parse(r.stdout) as JsonResult;
  } catch {
    // check prints text; the assertions show the output
  }
  return { status: r.status, json: result, out: r.stdout + r.stderr };
}

const verdicts = (json: JsonResult) => Object.fromEntries(json.tests.map((t) => [t.name, t.result]));

test("inline syscall faults apply in every test, whatever ran first", { skip, timeout: 180_000 }, () => {
  const all = run(["test", spec("inline-faults.star")]);
  assert.deepEqual(
    verdicts(all.json),
    {
      test_a_inline: "pass",
      test_b_inline_again: "pass",
      test_c_target_is_a_parameter: "pass",
      test_d_assumption_built_in_the_test: "pass",
    },
    all.out,
  );
  assert.equal(all.status, 0);
  // Each test alone: the first test to run is no longer the one that fails.
  for (const name of ["b_inline_again", "c_target_is_a_parameter", "d_assumption_built_in_the_test"]) {
    const one = run(["test", spec("inline-faults.star"), "--test", name]);
    assert.equal(one.status, 0, `${name} alone:\n${one.out}`);
  }
});

test("a fault that cannot apply fails only the test that uses it, with the reason", { skip }, () => {
  const r = run(["test", spec("unsupervised.star")]);
  assert.equal(r.status, 2, r.out);
  assert.deepEqual(verdicts(r.json), { test_disk_error: "error", test_protocol_only: "pass" }, r.out);
  const failed = r.json.tests.find((t) => t.name === "test_disk_error")!;
  assert.match(
    failed.reason!,
    /^syscall faults on "bus" cannot apply: service "bus" is the embedded Kafka broker, which runs inside faultbox/,
  );
});

test(
  "a TypeScript test body that builds its syscall fault late is told to declare it at load",
  { skip },
  () => {
    const r = run(["test", spec("late-assumption.spec.ts")]);
    assert.equal(r.status, 2, r.out);
    assert.match(
      r.json.tests[0]!.reason!,
      /"ticker" cannot apply: it was started without the syscall supervisor: .*Declare the fault_assumption when the spec loads/,
    );
  },
);

test(
  "an inline fault naming a service checks its keywords and target at load, with the line",
  { skip },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "fb-sites-"));
    try {
      const file = join(dir, "bad.star");
      const write = (body: string) =>
        writeFileSync(
          file,
          `db = service("db", "sh", args = ["-c", "sleep 100"])\nfar = service("far", remote = "127.0.0.1:1", healthcheck = tcp("127.0.0.1:1"))\n\ndef test_x():\n${body}\n`,
        );
      write('    fault(db, wirte = deny("EIO"), run = lambda: None)');
      let r = run(["check", file]);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /bad\.star:5: fault\(\): unknown keyword "wirte" for service "db"/);
      write('    fault(far, write = deny("EIO"), run = lambda: None)');
      r = run(["check", file]);
      assert.equal(r.status, 1, r.out);
      assert.match(
        r.out,
        /bad\.star:5: fault\(\): "far" is remote; syscall faults \(write=\) need a local process/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
