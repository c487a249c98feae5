// A failed step says so: ok=False with an error naming the cause, and no data that reads like an empty
// result. Reading .data of a failed step raises an error naming the step and its cause, and when that
// happens inside a monitor, the violation carries the monitor's spec line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { specFile, testWithJson, type JsonTest } from "./helpers.js";

/** A loopback port nobody listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function run(body: string): Promise<JsonTest[]> {
  const port = await closedPort();
  const r = testWithJson(
    specFile(
      `db = service("db", interface("main", "postgres", ${port}), remote = "127.0.0.1:${port}")\n${body}`,
    ),
  );
  assert.equal(r.status, 2, r.stdout + r.stderr);
  return r.tests;
}

test("a failed step is ok=False with its cause; reading its .data raises an error naming the step and cause", async () => {
  const [t] = await run(`def test_query():
    r = db.main.query(sql = "SELECT 1 AS n")
    assert_eq(r.ok, False)
    assert_true(len(r.error) > 0, "the error names the cause")
    n = r.data[0]["n"]
`);
  assert.equal(t!.result, "error", t!.reason);
  assert.match(
    t!.reason!,
    /^db\.main\.query\(\) failed, so its response has no \.data: .+ \(check \.ok before using \.data\)$/,
  );
  assert.equal(t!.location?.line, 6, "the line that read .data");
  const recv = (t!.events ?? []).find((e) => e.type === "step_recv")!;
  assert.equal(recv.data.ok, false);
  assert.ok(String(recv.data.error).length > 0);
});

test("a monitor whose step failed reports the step's cause and the monitor's spec line", async () => {
  const [t] = await run(`def no_orphans(event):
    rows = db.main.query(sql = "SELECT count(*) AS n FROM orders").data
    if rows[0]["n"] == 0:
        fail("orphan event")

def test_monitored():
    monitor(no_orphans, type = "stdout")
    monitor(no_orphans, type = "step_recv")
    db.main.exec(sql = "INSERT INTO orders VALUES (1)")
`);
  assert.equal(t!.failure_type, "monitor", t!.reason);
  assert.match(
    t!.reason!,
    /^monitor violation: monitor "no_orphans" raised: db\.main\.query\(\) failed, so its response has no \.data: /,
  );
  assert.equal(t!.location?.line, 3, "the monitor's line that read .data");
});
