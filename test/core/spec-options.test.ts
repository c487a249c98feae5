// TypeScript spec option objects are checked as strictly as Starlark keyword arguments: an unknown key
// is a load error at the spec line, naming the valid keys and the closest one.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { loadTypeScriptSpec, registerSyscallController, SpecError } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "faultbox-spec-options-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const index = pathToFileURL(join(import.meta.dirname, "../../src/index.ts")).href;

// The syscall supervisor is not what this file tests: a stand-in controller that is always available.
registerSyscallController({
  unavailableReason: () => undefined,
  wrap: () => {
    throw new Error("not launched in these tests");
  },
});

let n = 0;
/** Writes a spec whose body is `lines` (line 1 of the body is line 4 of the file) and loads it. */
async function load(lines: string[]) {
  const file = join(dir, `spec${++n}.mts`);
  const head = [
    `import { defineSpec } from ${JSON.stringify(index)};`,
    "export default defineSpec((fb) => {",
  ];
  const common =
    'const api = fb.service("api", { binary: "true", interfaces: [fb.interface("main", "http", 0)] });';
  writeFileSync(file, [...head, common, ...lines, "});", ""].join("\n"));
  return loadTypeScriptSpec(file);
}

async function loadError(lines: string[]): Promise<SpecError> {
  try {
    await load(lines);
  } catch (err) {
    assert.ok(err instanceof SpecError, `want a SpecError, got ${String(err)}`);
    return err;
  }
  assert.fail("the spec loaded");
}

test("spec options: an unknown key is an error at the spec line, naming the closest and the valid keys", async () => {
  const cases: [string, RegExp][] = [
    [
      'fb.faultAssumption("down", { target: api.main, rulse: [fb.rules.error({ status: 503 })] });',
      /^faultAssumption\("down"\): unknown option "rulse" \(did you mean "rules"\?\); valid options: target, rules, syscall, monitors, faults, description$/,
    ],
    [
      'fb.service("db", { bianry: "true" });',
      /^service\("db"\): unknown option "bianry" \(did you mean "binary"\?\); valid options: interfaces, binary, image,/,
    ],
    [
      'fb.service("db", { binary: "true", depends_on: ["api"] });',
      /unknown option "depends_on" \(did you mean "dependsOn"\?\)/,
    ],
    [
      'fb.service("db", { binary: "true", cmd: "x" });',
      /unknown option "cmd" \(arguments go in args: \[\.\.\.\]\)/,
    ],
    [
      'fb.service("db", { binary: "true", ops: { persist: { syscalls: ["fsync"], pth: "/x" } } });',
      /^service\("db"\) ops\.persist: unknown option "pth" \(did you mean "path"\?\); valid options: syscalls, path$/,
    ],
    [
      'fb.test("t", () => {}, { timout: "5s" });',
      /^test\("t"\): unknown option "timout" \(did you mean "timeout"\?\)/,
    ],
    ['fb.ready({ timout: "5s" });', /^ready\(\): unknown option "timout"/],
    [
      "fb.stdout({ decodr: fb.jsonDecoder() });",
      /^stdout\(\): unknown option "decodr" \(did you mean "decoder"\?\)/,
    ],
    [
      'fb.syscall.deny("EIO", { probabilty: 0.5 });',
      /^syscall\.deny\(\): unknown option "probabilty" \(did you mean "probability"\?\); valid options: probability, label, maxFires$/,
    ],
    ["fb.rules.drop({}, { probabilty: 0.5 });", /^rules\.drop\(\): unknown option "probabilty"/],
    [
      'fb.faultScenario("s", { scenario: fb.scenario("x", () => 1), expekt: () => {} });',
      /^faultScenario\("s"\): unknown option "expekt" \(did you mean "expect"\?\)/,
    ],
    [
      'fb.faultMatrix({ scenarios: [fb.scenario("x", () => 1)], faults: [], default_expect: () => {} });',
      /^faultMatrix\(\): unknown option "default_expect" \(did you mean "defaultExpect"\?\)/,
    ],
    [
      'fb.monitor("m", { on: () => true, state_init: 0 });',
      /^monitor\("m"\): unknown option "state_init" \(did you mean "stateInit"\?\); valid options: on, stateInit, update, check$/,
    ],
    [
      'fb.faultAssumption("w", { target: api, write: "EIO" });',
      /^faultAssumption\("w"\): unknown option "write" \(a syscall fault: write: fb\.syscall\.deny\("EIO"\)\)/,
    ],
  ];
  for (const [line, re] of cases) {
    const err = await loadError([line]);
    assert.match(err.message, re, line);
    assert.equal(err.location?.line, 4, `${line}: the error names the spec line`);
  }
});

test("spec options: a misspelt rule matcher is an error suggesting the real one", async () => {
  const err = await loadError([
    'fb.faultAssumption("slow", { target: api.main, rules: [fb.rules.error({ stauts: 503 })] });',
  ]);
  assert.match(err.message, /http error rules match on .*, not stauts= \(did you mean status=\?\)/);
});

test("spec options: a syscall fault beside the options is applied, as write=deny() is in Starlark", async () => {
  const builder = await load([
    'const a = fb.faultAssumption("disk", { target: api, write: fb.syscall.deny("EIO") });',
    'const b = fb.faultAssumption("disk2", { target: api, syscall: { fsync: fb.syscall.deny("EIO") } });',
    'fb.test("uses", () => [a, b]);',
  ]);
  const test = builder.suite.tests.find((t) => t.name === "test_uses")!;
  const [a, b] = (await test.body()) as { syscall: { key: string; syscalls: string[] }[] }[];
  assert.deepEqual(
    a!.syscall.map((r) => [r.key, r.syscalls[0]]),
    [["write", "write"]],
  );
  assert.deepEqual(
    b!.syscall.map((r) => r.key),
    ["fsync"],
  );
  // A misspelt syscall name is still an error, from the same check as Starlark's.
  const err = await loadError(['fb.faultAssumption("d", { target: api, wirte: fb.syscall.deny("EIO") });']);
  assert.match(err.message, /unknown keyword "wirte" for service "api"/);
});

test("spec options: every rule takes times/after/probability beside its matchers, as in Starlark", async () => {
  const builder = await load([
    'const rules = [fb.rules.duplicate({ topic: "t", times: 1 }), fb.rules.delay({ delay: "1s", topic: "t", after: 2 }),',
    '  fb.rules.drop({ topic: "t", probability: 0.5 }), fb.rules.drop({ topic: "t" }, { probability: 0.25 })];',
    'fb.test("rules", () => rules);',
  ]);
  const rules = (await builder.suite.tests.find((t) => t.name === "test_rules")!.body()) as {
    match: Record<string, string>;
    params: Record<string, unknown>;
    probability: number;
  }[];
  assert.deepEqual(
    rules.map((r) => [r.match, r.params, r.probability]),
    [
      [{ topic: "t" }, { times: 1 }, 1],
      [{ topic: "t" }, { delayMs: 1000, after: 2 }, 1],
      [{ topic: "t" }, {}, 0.5],
      [{ topic: "t" }, {}, 0.25],
    ],
  );
});
