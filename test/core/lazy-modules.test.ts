// kafkajs, pg and yaml are required on first use (src/core/lazy-module.ts), not when the engine, its
// protocols or the Starlark worker's builtins are imported: a run that does not talk to Kafka or
// PostgreSQL nor reads YAML does not pay for loading them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const loaded = (pkg: string) =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`/node_modules/${pkg}/`));

test("importing the engine, its protocols, the worker's builtins and the commands loads none of kafkajs, pg, yaml", async () => {
  await import("../../src/index.js");
  await import("../../src/spec/builtins.js");
  await import("../../src/cli/test.js"); // the commands' modules (main.ts would run a command)
  await import("../../src/cli/check.js");
  for (const pkg of ["kafkajs", "pg", "yaml"]) assert.equal(loaded(pkg), false, `${pkg} was loaded`);

  // First use loads it.
  const { loadYaml } = await import("../../src/core/files.js");
  const dir = mkdtempSync(join(tmpdir(), "faultbox-lazy-"));
  try {
    writeFileSync(join(dir, "a.yaml"), "a: [1, 2]\n");
    assert.deepEqual(loadYaml(dir, "a.yaml"), { a: [1, 2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(loaded("yaml"), true);
  const { kafkajsModule, pgModule } = await import("../../src/core/lazy-module.js");
  assert.equal(typeof kafkajsModule().Kafka, "function");
  assert.equal(typeof pgModule().Client, "function");
  assert.equal(loaded("kafkajs") && loaded("pg"), true);
});
