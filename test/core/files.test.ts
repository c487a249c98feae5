import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFile, loadJson, loadYaml } from "../../src/core/files.js";

test("load_file/load_json/load_yaml read under the spec folder and refuse paths outside it", () => {
  const root = mkdtempSync(join(tmpdir(), "fb-files-"));
  const spec = join(root, "spec");
  mkdirSync(join(spec, "data"), { recursive: true });
  writeFileSync(join(spec, "data", "orders.json"), '{"orders": [1, 2]}');
  writeFileSync(join(spec, "cfg.yaml"), "mode: fast\nretries: 3\n");
  writeFileSync(join(root, "secret.txt"), "no");
  symlinkSync(join(root, "secret.txt"), join(spec, "link.txt"));
  assert.deepEqual(loadJson(spec, "data/orders.json"), { orders: [1, 2] });
  assert.deepEqual(loadYaml(spec, "cfg.yaml"), { mode: "fast", retries: 3 });
  assert.throws(() => loadFile(spec, "../secret.txt"), /is outside the spec's folder/);
  assert.throws(() => loadFile(spec, join(root, "secret.txt")), /is outside the spec's folder/);
  assert.throws(
    () => loadFile(spec, "link.txt"),
    /is outside the spec's folder/,
    "a symlink cannot escape either",
  );
  assert.throws(() => loadFile(spec, "missing.txt"), /cannot read "missing\.txt"/);
  writeFileSync(join(spec, "bad.json"), "{oops");
  assert.throws(() => loadJson(spec, "bad.json"), /"bad\.json" is not valid JSON/);
});
