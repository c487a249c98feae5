// The engine driven through the TypeScript API, against a remote HTTP service owned by the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import "../../src/index.js";
import { createApi, type ServiceHandle, type SpecApi } from "../../src/core/define.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { runSuite } from "../../src/core/engine.js";
import { isDeepStrictEqual } from "node:util";
import { toJson } from "../../src/report/json.js";
import type { JsonDoc } from "../../src/report/doc.js";

async function withService(fn: (port: number) => Promise<void>) {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ path: req.url, hits }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

async function suiteOf(define: (fb: SpecApi, svc: ServiceHandle<"main">) => void, port: number, seed = 1n) {
  const b = new SpecBuilder("/tmp/engine-test.ts", {
    repr: (v) => JSON.stringify(v),
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  const svc = fb.service("svc", {
    remote: `127.0.0.1:${port}`,
    interfaces: [fb.interface("main", "http", port)],
  });
  define(fb, svc);
  return runSuite(b.suite, b.runtime, { seed });
}

test("steps go through the proxy of a remote service and return Response fields", async () => {
  await withService(async (port) => {
    const r = await suiteOf((fb, svc) => {
      fb.test("step", async () => {
        const res = await svc.iface("main").get({ path: "/a?b=1" });
        fb.assertEq(
          [res.ok, res.status, (res.data as { path: string }).path, res.error],
          [true, 200, "/a?b=1", ""],
        );
        fb.assertTrue(res.duration_ms >= 0);
        const send = (await fb.events({ where: (e) => e.type === "step_send" }))[0]!;
        fb.assertTrue(send.data.addr !== `127.0.0.1:${port}`, "the step went through the proxy");
      });
    }, port);
    assert.equal(r.tests[0]!.result, "pass", r.tests[0]!.reason);
    assert.equal(r.tests[0]!.assertions, 3);
  });
});

test("unknown step keywords and methods are rejected by name", async () => {
  await withService(async (port) => {
    const r = await suiteOf((fb, svc) => {
      fb.test("bad_kw", async () => void (await svc.iface("main").call("get", { pth: "/" })));
      fb.test("bad_method", async () => void (await svc.iface("main").call("publish", {})));
    }, port);
    assert.match(
      r.tests.find((t) => t.name === "test_bad_kw")!.reason!,
      /http\.get\(\): unknown keyword argument "pth"; valid: path, body, headers/,
    );
    assert.match(
      r.tests.find((t) => t.name === "test_bad_method")!.reason!,
      /svc\.main \(http\) has no step method "publish"; available: get, post, put, patch, delete/,
    );
  });
});

test("callback monitors see events but not those their own steps cause; stateful monitors fold state", async () => {
  await withService(async (port) => {
    let calls = 0;
    const r = await suiteOf((fb, svc) => {
      fb.test("monitors", async () => {
        fb.monitor(async (e) => {
          if (e.type === "step_recv" && e.data.method === "get") {
            calls++;
            await svc.iface("main").post({ path: "/from-monitor" }); // must not re-trigger this monitor
          }
        });
        fb.monitor("count_gets", {
          on: (e) => e.type === "step_send" && e.data.method === "get",
          stateInit: 0,
          update: (_e, n) => (n as number) + 1,
          check: (_e, n) => (n as number) <= 1,
        });
        await svc.iface("main").get({ path: "/1" });
        await svc.iface("main").get({ path: "/2" });
      });
    }, port);
    const t = r.tests[0]!;
    assert.equal(t.result, "fail");
    assert.match(
      t.reason!,
      /^monitor violation: monitor "count_gets" violated at event seq=\d+ type="step_send"/,
    );
    assert.equal(calls, 2, "one callback per matching event, none for the monitor's own step");
    assert.equal(t.events.filter((e) => e.type === "step_send" && e.data.method === "post").length, 2);
  });
});

test("nested fault windows on one interface keep the outer rules when the inner window closes", async () => {
  await withService(async (port) => {
    const r = await suiteOf((fb, svc) => {
      const main = svc.iface("main");
      fb.test("nested", async () => {
        await fb.fault(
          main,
          async () => {
            await fb.fault(
              main,
              async () => {
                fb.assertEq((await main.get({ path: "/inner" })).status, 418);
              },
              fb.rules.error({ status: 418, path: "/inner" }),
            );
            fb.assertEq((await main.get({ path: "/outer" })).status, 503);
            fb.assertEq((await main.get({ path: "/inner" })).status, 200);
          },
          fb.rules.error({ status: 503, path: "/outer" }),
        );
        fb.assertEq((await main.get({ path: "/outer" })).status, 200);
      });
    }, port);
    assert.equal(r.tests[0]!.result, "pass", r.tests[0]!.reason);
  });
});

test("the seed makes probabilistic faults and fb.random() reproducible", async () => {
  await withService(async (port) => {
    const run = (seed: bigint) =>
      suiteOf(
        (fb, svc) => {
          fb.test("flaky", async () => {
            const statuses: number[] = [];
            await fb.fault(
              svc.iface("main"),
              async () => {
                for (let i = 0; i < 10; i++)
                  statuses.push((await svc.iface("main").get({ path: "/" })).status);
              },
              fb.rules.error({ status: 500, probability: 0.5 }),
            );
            return { statuses, r: fb.random() };
          });
        },
        port,
        seed,
      );
    const a = (await run(5n)).tests[0]!.returnValue;
    const b = (await run(5n)).tests[0]!.returnValue;
    const c = (await run(6n)).tests[0]!.returnValue;
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});

test("--runs repeats a test and stops at its first failing run", async () => {
  await withService(async (port) => {
    const b = new SpecBuilder("/tmp/engine-test.ts", {
      repr: String,
      equals: isDeepStrictEqual,
      truthy: Boolean,
    });
    const fb = createApi(b);
    const svc = fb.service("svc", {
      remote: `127.0.0.1:${port}`,
      interfaces: [fb.interface("main", "http", port)],
    });
    let n = 0;
    fb.test("third_fails", async () => {
      n++;
      fb.assertTrue(n < 3, `run ${n}`);
      await svc.iface("main").get({});
    });
    const r = await runSuite(b.suite, b.runtime, { seed: 1n, runs: 5 });
    assert.deepEqual(r.tests[0]!.runs, { total: 3, passed: 2 });
    assert.equal(r.tests[0]!.reason, "run 3");
  });
});

test("steps outside a running test are a spec error", () => {
  const b = new SpecBuilder("/tmp/engine-test.ts", {
    repr: String,
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  assert.throws(() => fb.assertTrue(true), /assert_true\(\) can only be used while a test runs/);
});

// What the engine records for the reports' timelines and plots.
test("fault windows carry their open/close times, a failure its moment, proxies every request with its latency", async () => {
  await withService(async (port) => {
    const r = await suiteOf((fb, svc) => {
      const main = svc.iface("main");
      fb.test("fails_in_window", async () => {
        await main.get({ path: "/before" });
        await fb.fault(
          main,
          async () => {
            await main.get({ path: "/slow" });
            fb.assertEq(1, 2, "inside the window");
          },
          fb.rules.delay({ delay: "200ms", path: "/slow" }),
        );
      });
      fb.test("passes", async () => void (await main.get({ path: "/x" })));
    }, port);
    const failed = r.tests.find((t) => t.name === "test_fails_in_window")!;
    const passed = r.tests.find((t) => t.name === "test_passes")!;
    assert.equal(failed.result, "fail");

    const w = failed.faultWindows![0]!;
    const at = (iso: string | undefined) => Date.parse(iso!);
    assert.ok(at(failed.startedAt) <= at(w.openedAt), "the window opens after the test starts");
    assert.ok(at(w.openedAt) <= at(failed.failedAt!.time), "the assertion failed inside the window");
    assert.ok(at(failed.failedAt!.time) <= at(w.closedAt), "and before the window closed");
    // The failure comes right after the slow step's answer, before the window's removal is logged.
    const last = failed.events.find((e) => e.seq === failed.failedAt!.afterSeq)!;
    assert.equal(last.type, "step_recv");
    assert.equal(last.data.ok, true);
    assert.ok(
      failed.events.some((e) => e.seq > failed.failedAt!.afterSeq && e.type === "proxy_fault_removed"),
    );
    assert.equal(passed.failedAt, undefined);

    const traffic = failed.traffic!;
    assert.deepEqual(
      traffic.map((t) => [t.service, t.iface, t.protocol]),
      [["svc", "main", "http"]],
    );
    assert.deepEqual(
      traffic[0]!.samples.map((s) => [s.api, s.detail]),
      [
        ["GET", "/before"],
        ["GET", "/slow"],
      ],
    );
    // The delay rule holds the request at least 200 ms: a lower bound the rule guarantees.
    assert.ok(traffic[0]!.samples[1]!.latencyMs >= 200, `latency ${traffic[0]!.samples[1]!.latencyMs}`);
    assert.deepEqual(
      passed.traffic![0]!.samples.map((s) => s.detail),
      ["/x"],
    );

    // The JSON result: times relative to the test's start, columns, the window's times.
    const doc = toJson(r, "/tmp") as JsonDoc;
    const jt = doc.tests.find((t) => t.name === "test_fails_in_window")!;
    assert.equal(jt.started_at, failed.startedAt);
    assert.deepEqual(jt.failed_at, {
      timestamp: failed.failedAt!.time,
      after_seq: failed.failedAt!.afterSeq,
    });
    assert.equal(jt.fault_windows![0]!.opened_at, w.openedAt);
    assert.equal(jt.fault_windows![0]!.closed_at, w.closedAt);
    const jtraffic = jt.traffic![0]!;
    assert.deepEqual(jtraffic.apis, ["GET"]);
    assert.deepEqual(jtraffic.api, [0, 0]);
    assert.deepEqual(jtraffic.detail, ["/before", "/slow"]);
    assert.ok(jtraffic.t[0]! >= 0 && jtraffic.t[0]! <= jtraffic.t[1]!);
  });
});
