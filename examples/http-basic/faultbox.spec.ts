// The HTTP example as a TypeScript module: same topology, tests and faults as faultbox.star.
// Run: faultbox test examples/http-basic/faultbox.spec.ts
import { defineSpec } from "../../src/index.js";

export default defineSpec((fb) => {
  // Port 0: a free port is picked when the spec loads; .port and .addr give it.
  const inventoryMain = fb.interface("main", "http", 0);
  const apiMain = fb.interface("main", "http", 0);
  const inventory = fb.service("inventory", {
    binary: "node",
    args: ["server.mjs"],
    interfaces: [inventoryMain],
    env: { ROLE: "inventory", PORT: String(inventoryMain.port) },
    healthcheck: fb.ready({ timeout: "10s" }),
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });
  const api = fb.service("api", {
    binary: "node",
    args: ["server.mjs"],
    interfaces: [apiMain],
    // Late-bound: resolves to the address of the proxy in front of inventory.main at launch.
    env: { ROLE: "api", PORT: String(apiMain.port), INVENTORY_ADDR: inventory.main.proxyAddr },
    dependsOn: ["inventory"],
    healthcheck: fb.ready({ timeout: "10s" }),
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });
  const placeOrder = fb.scenario("place_order", async () => {
    const r = await api.main.post({ path: "/orders", body: { id: "o-1", sku: "sku-1" } });
    return r.status;
  });

  const inventoryDown = fb.faultAssumption("inventory_down", {
    target: inventory.main,
    rules: [fb.rules.error({ status: 503, path: "/reserve" })],
  });
  const inventorySlow = fb.faultAssumption("inventory_slow", {
    target: inventory.main,
    rules: [fb.rules.delay({ delay: "200ms", path: "/reserve" })],
  });

  fb.test("health", async () => {
    const r = await api.main.get({ path: "/health" });
    fb.assertEq(r.status, 200);
    fb.assertEq((r.data as { status: string }).status, "ok");
  });

  fb.test("order_is_logged", async () => {
    const r = await api.main.post({ path: "/orders", body: { id: "o-7" } });
    fb.assertEq(r.status, 201);
    await fb.assertEventually({
      where: (e) => e.type === "stdout" && e.data.event === "order_created" && e.data.order_id === "o-7",
    });
    await fb.assertNever({ where: (e) => e.type === "stdout" && e.data.event === "order_failed" });
    await fb.assertBefore({ type: "stdout", event: "reserved" }, { type: "stdout", event: "order_created" });
  });

  fb.faultMatrix({
    scenarios: [placeOrder],
    faults: [inventoryDown, inventorySlow],
    defaultExpect: (status) => fb.assertEq(status, 201, "orders succeed"),
    // Without inventory the API must refuse the order rather than accept it unreserved.
    overrides: [
      { scenario: "place_order", fault: "inventory_down", expect: (status) => fb.assertEq(status, 503) },
    ],
  });

  // A fault applied inline for part of a test: the health endpoint is not affected by inventory faults.
  fb.test("health_survives_inventory_outage", async () => {
    await fb.fault(
      inventory.main,
      async () => {
        const r = await api.main.get({ path: "/health" });
        fb.assertEq(r.status, 200);
        const order = await api.main.post({ path: "/orders", body: { id: "o-9" } });
        fb.assertEq(order.status, 503);
      },
      fb.rules.error({ status: 503 }),
    );
  });
});
