// Deliberately failing tests: each shows how a kind of failure is reported.
import { defineSpec } from "../../src/index.js";

export default defineSpec((fb) => {
  const main = fb.interface("main", "http", 0);
  const api = fb.service("api", {
    binary: "node",
    // The marker lets tests find (and prove the absence of) this run's processes.
    args: [
      "server.mjs",
      ...(process.env.FAULTBOX_EXAMPLE_MARKER ? [process.env.FAULTBOX_EXAMPLE_MARKER] : []),
    ],
    interfaces: [main],
    env: { ROLE: "inventory", PORT: String(main.port) },
    healthcheck: fb.http(`${main.addr}/health`),
    observe: [fb.stdout({ decoder: fb.jsonDecoder() })],
  });

  fb.test("passes", async () => {
    const r = await api.main.get({ path: "/health" });
    fb.assertEq(r.status, 200);
  });

  fb.test("wrong_status", async () => {
    const r = await api.main.get({ path: "/nope" });
    fb.assertEq(r.status, 200, "the route exists");
  });

  fb.test("monitor_violation", async () => {
    fb.monitor("at_most_one_reservation", {
      on: (e) => e.type === "stdout" && e.data.event === "reserved",
      stateInit: 0,
      update: (_e, n) => (n as number) + 1,
      check: (_e, n) => (n as number) <= 1,
    });
    await api.main.post({ path: "/reserve?sku=a" });
    await api.main.post({ path: "/reserve?sku=b" });
  });

  fb.test("vacuous_but_passing", async () => {
    // Both sets are empty: the assertion passes, with a warning that it proves nothing.
    const produced = await fb.events({ where: (e) => e.type === "topic" && e.data.action === "produce" });
    const consumed = await fb.events({ where: (e) => e.type === "topic" && e.data.action === "consume" });
    fb.assertEq(produced.length, consumed.length, "every produced message is consumed");
  });

  fb.test("fault_never_fires", async () => {
    await fb.fault(
      api.main,
      async () => {
        const r = await api.main.get({ path: "/health" });
        fb.assertEq(r.status, 200);
      },
      fb.rules.error({ status: 500, path: "/never-called" }),
    );
  });

  fb.test(
    "times_out",
    async () => {
      await fb.assertEventually({ where: (e) => e.type === "never", timeout: "10s" });
    },
    { timeout: "300ms" },
  );

  fb.test("callback_monitor_fails", async () => {
    fb.monitor((event) => {
      if (event.type === "stdout" && event.data.sku === "bad") fb.fail("reserved a bad sku");
    });
    await api.main.post({ path: "/reserve?sku=bad" });
  });

  if (process.env.FAULTBOX_EXAMPLE_SLOW) {
    // Only for the interrupt tests: a test that is still running when the runner is stopped.
    fb.test("long_running", async () => {
      await fb.assertEventually({ where: (e) => e.type === "never", timeout: "60s" });
    });
  }

  const reserve = fb.scenario(
    "reserve",
    async () => (await api.main.post({ path: "/reserve?sku=x" })).status,
  );
  const broken = fb.faultAssumption("reserve_broken", {
    target: api.main,
    rules: [fb.rules.error({ status: 500, path: "/reserve" })],
  });
  fb.faultScenario("expectation_violated", {
    scenario: reserve,
    faults: broken,
    expect: (status) => fb.assertEq(status, 200, "reservations survive"),
  });
});
