import { test } from "node:test";
import assert from "node:assert/strict";
import { faultbox, byName, type JsonResult } from "./cli-helpers.js";

test("the PostgreSQL example passes: rows as dicts, reuse with reset, monitors, connection fault", () => {
  const r = faultbox(["test", "examples/http-postgres/faultbox.spec.ts", "--seed", "1", "--format", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as JsonResult;
  assert.equal(json.pass, 5);
  // db is reused: started once, announced as reused in later tests, reset before each.
  const started = json.tests.map(
    (t) => t.events!.find((e) => e.type === "service_started" && e.service === "db")!.data.mode,
  );
  assert.deepEqual(started, [undefined, "reused", "reused", "reused", "reused"]);
  assert.ok(
    byName(json, "test_order_is_stored").events!.some(
      (e) => e.type === "service_reset" && e.service === "db",
    ),
  );
  // The outage dropped the API's database connections through the proxy.
  const outage = byName(json, "test_db_outage_rejects_orders");
  assert.ok(outage.events!.some((e) => e.type === "proxy" && e.service === "db" && e.data.action === "drop"));
});
