import { test } from "node:test";
import assert from "node:assert/strict";
import { faultbox, type JsonResult } from "./cli-helpers.js";

// Each example exists as a Starlark spec and as a TypeScript module; both run on the same engine and
// must reach the same verdicts for the same reasons.
const examples: [string, number][] = [
  ["examples/http-basic", 0],
  ["examples/http-failing", 2],
  ["examples/http-postgres", 0],
];

function verdicts(spec: string, exit: number) {
  const r = faultbox(["test", spec, "--seed", "11", "--format", "json"]);
  assert.equal(r.status, exit, `${spec}: ${r.stderr}`);
  const json = JSON.parse(r.stdout) as JsonResult;
  return {
    tests: json.tests.map((t) => ({
      name: t.name,
      result: t.result,
      reason: t.reason,
      assertions: t.assertions,
      diagnostics: t.diagnostics?.map((d) => d.code),
    })),
    matrix: json.matrix?.cells.map((c) => [c.scenario, c.fault, c.outcome]),
  };
}

for (const [dir, exit] of examples) {
  test(`${dir}: faultbox.star and faultbox.spec.ts give the same verdicts`, () => {
    const star = verdicts(`${dir}/faultbox.star`, exit);
    const ts = verdicts(`${dir}/faultbox.spec.ts`, exit);
    assert.ok(star.tests.length > 0);
    assert.deepEqual(star, ts);
  });
}
