import { test } from "node:test";
import assert from "node:assert/strict";
import { faultbox, byName, type JsonResult } from "./cli-helpers.js";

test("the HTTP example (TypeScript spec) passes: exit 0, matrix cells and steps through proxies", () => {
  const r = faultbox(["test", "examples/http-basic/faultbox.spec.ts", "--seed", "42", "--format", "json"]);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as JsonResult;
  assert.equal(json.version, 2);
  assert.equal(json.fail, 0);
  assert.deepEqual(
    json.tests.map((t) => t.name),
    [
      "test_health",
      "test_health_survives_inventory_outage",
      "test_matrix_place_order_inventory_down",
      "test_matrix_place_order_inventory_slow",
      "test_order_is_logged",
      "test_place_order",
    ],
  );
  assert.equal(json.matrix?.total, 2);
  assert.equal(json.matrix?.passed, 2);
  // The order went through the proxy in front of inventory: the proxy saw the rule fire.
  const down = byName(json, "test_matrix_place_order_inventory_down");
  const proxied = down.events!.filter((e) => e.type === "proxy" && e.service === "inventory");
  assert.equal(proxied.length, 1);
  assert.equal(proxied[0]!.data.status, 503);
  // The slow cell delayed the reservation and the order still succeeded.
  const slow = byName(json, "test_matrix_place_order_inventory_slow");
  assert.ok(
    slow.events!.some((e) => e.type === "proxy" && e.data.action === "delay" && e.data.delay_ms === 200),
  );
  // Decoded stdout events carry the service's JSON fields.
  const logged = byName(json, "test_order_is_logged");
  assert.ok(
    logged.events!.some((e) => e.type === "stdout" && e.service === "api" && e.data.order_id === "o-7"),
  );
  assert.equal(logged.assertions, 4);
});

test("the same seed gives the same verdicts and the same event sequence shape", () => {
  const shape = () => {
    const r = faultbox([
      "test",
      "examples/http-basic/faultbox.spec.ts",
      "--seed",
      "5",
      "--format",
      "json",
      "--test",
      "matrix_place_order",
    ]);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as JsonResult;
    return json.tests.map((t) => [
      t.name,
      t.result,
      t.events!.filter((e) => e.service === "test").map((e) => e.type),
    ]);
  };
  assert.deepEqual(shape(), shape());
});
