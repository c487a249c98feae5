// The README's first command runs examples/quickstart/faultbox.star on the embedded broker. This keeps
// it true: drop and duplicate break the "stored exactly once" invariant, delay does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

test("quickstart: the matrix finds loss under drop and doubles under duplicate, passes under delay", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-quickstart-"));
  try {
    const out = join(dir, "result.json");
    const r = spawnSync(
      process.execPath,
      ["bin/faultbox.js", "test", "examples/quickstart/faultbox.star", "--seed", "3", "--output", out],
      { cwd: root, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(r.status, 2, `exit code 2 (a test failed); stderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
    assert.match(r.stdout, /publish_order × message_loss: assert_eq failed: 0 != 1/);
    assert.match(r.stdout, /publish_order × duplicates: assert_eq failed: 2 != 1/);
    assert.match(r.stdout, /test_matrix_publish_order_slow_broker\s+slow_broker \(fired \d+\)\s+PASS/);
    const json = JSON.parse(readFileSync(out, "utf8")) as { tests: { name: string; result: string }[] };
    const verdicts = Object.fromEntries(json.tests.map((t) => [t.name, t.result]));
    assert.deepEqual(verdicts, {
      test_matrix_publish_order_duplicates: "fail",
      test_matrix_publish_order_message_loss: "fail",
      test_matrix_publish_order_slow_broker: "pass",
      test_publish_order: "pass",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
