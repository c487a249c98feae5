// The order API backed by PostgreSQL. Shows steps on a postgres interface (rows as dicts in .data),
// reuse=True with a reset hook, both monitor forms, and a connection-level fault on the database.
import { defineSpec } from "../../src/index.js";

export default defineSpec((fb) => {
  const dbMain = fb.interface("main", "postgres", 0);
  const apiMain = fb.interface("main", "http", 0);
  const inventoryMain = fb.interface("main", "http", 0);

  const db = fb.service("db", {
    binary: "./postgres.sh",
    interfaces: [dbMain],
    env: { PORT: String(dbMain.port), POSTGRES_USER: "postgres" },
    healthcheck: fb.ready({ timeout: "30s" }),
    // Starting PostgreSQL takes a while: keep it across tests, emptying the table before each one.
    reuse: true,
    seed: async () => {
      await db.main.exec({ sql: "CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, sku text)" });
    },
    reset: async () => {
      await db.main.exec({ sql: "TRUNCATE orders" });
    },
  });
  const inventory = fb.service("inventory", {
    binary: "node",
    args: ["server.mjs"],
    interfaces: [inventoryMain],
    env: { ROLE: "inventory", PORT: String(inventoryMain.port) },
    healthcheck: fb.ready(),
  });
  const api = fb.service("api", {
    binary: "node",
    args: ["server.mjs"],
    interfaces: [apiMain],
    env: {
      ROLE: "api",
      PORT: String(apiMain.port),
      INVENTORY_ADDR: inventory.main.proxyAddr,
      // A literal address of another service is rewritten to its proxy at launch.
      DATABASE_URL: `postgres://postgres@${db.main.addr}/postgres`,
    },
    dependsOn: ["db", "inventory"],
    healthcheck: fb.ready(),
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });

  // Callback form: may run steps and call fail().
  const noOrphanEvents = fb.monitor(async (e) => {
    if (e.type === "stdout" && e.data.event === "order_created") {
      const r = await db.main.query({
        sql: `SELECT count(*) AS n FROM orders WHERE id = '${e.data.order_id}'`,
      });
      const rows = r.data as { n: number }[];
      if (rows[0]!.n === 0) fb.fail(`orphan event: order ${e.data.order_id} not in DB`);
    }
  });
  // Stateful form: folds events into a state and checks it after each one.
  fb.monitor("one_event_per_order", {
    on: (e) => e.type === "stdout" && e.data.event === "order_created",
    stateInit: {},
    update: (e, s) => ({
      ...(s as Record<string, number>),
      [String(e.data.order_id)]: ((s as Record<string, number>)[String(e.data.order_id)] ?? 0) + 1,
    }),
    check: (e, s) => (s as Record<string, number>)[String(e.data.order_id)] === 1,
  });

  const dbDown = fb.faultAssumption("db_connections_dropped", {
    target: db.main,
    rules: [fb.rules.drop()],
    monitors: [noOrphanEvents],
  });

  fb.test("order_is_stored", async () => {
    const r = await api.main.post({ path: "/orders", body: { id: "o-1", sku: "sku-9" } });
    fb.assertEq(r.status, 201);
    const rows = await db.main.query({ sql: "SELECT id, sku FROM orders ORDER BY id" });
    fb.assertTrue(rows.ok, rows.error);
    fb.assertEq(rows.data, [{ id: "o-1", sku: "sku-9" }]);
    const got = await api.main.get({ path: "/orders/o-1" });
    fb.assertEq((got.data as { sku: string }).sku, "sku-9");
  });

  fb.test("reset_empties_the_table", async () => {
    const rows = await db.main.query({ sql: "SELECT count(*) AS n FROM orders" });
    fb.assertEq((rows.data as { n: number }[])[0]!.n, 0);
  });

  fb.test("sql_error_is_a_failed_step", async () => {
    const r = await db.main.query({ sql: "SELECT * FROM no_such_table" });
    fb.assertEq(r.ok, false);
    fb.assertTrue(r.error.includes("no_such_table"), r.error);
  });

  const placeOrder = fb.scenario(
    "place_order",
    async () => (await api.main.post({ path: "/orders", body: { id: "o-2" } })).status,
  );
  fb.faultScenario("db_outage_rejects_orders", {
    scenario: placeOrder,
    faults: dbDown,
    expect: async (status) => {
      fb.assertEq(status, 500, "the API reports the failed insert");
      await fb.assertNever({ where: (e) => e.type === "stdout" && e.data.event === "order_created" });
    },
  });
});
