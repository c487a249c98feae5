import { test } from "node:test";
import assert from "node:assert/strict";
import { EventLog, globMatch, matchesFilters } from "../../src/core/events.js";

test("events are numbered from 1 in append order and carry type, service and data", () => {
  const log = new EventLog();
  log.append("stdout", "api", { raw: "hello" });
  const e = log.append("proxy", "db", { action: "drop" });
  assert.equal(e.seq, 2);
  assert.deepEqual(
    log.all().map((x) => [x.seq, x.type, x.service]),
    [
      [1, "stdout", "api"],
      [2, "proxy", "db"],
    ],
  );
});

test("waitFor resolves with an event already logged, one arriving later, or undefined at the timeout", async () => {
  const log = new EventLog();
  log.append("a", "s");
  assert.equal((await log.waitFor((e) => e.type === "a", 1000))?.seq, 1);
  const later = log.waitFor((e) => e.type === "b", 5000);
  setTimeout(() => log.append("b", "s"), 10);
  assert.equal((await later)?.type, "b");
  assert.equal(await log.waitFor((e) => e.type === "never", 20), undefined);
});

test("waitFor evaluates async predicates one at a time, in seq order", async () => {
  const log = new EventLog();
  const seen: number[] = [];
  const p = log.waitFor(async (e) => {
    seen.push(e.seq);
    await new Promise((r) => setTimeout(r, 5));
    return e.seq === 3;
  }, 5000);
  log.append("x", "s");
  log.append("x", "s");
  log.append("x", "s");
  assert.equal((await p)?.seq, 3);
  assert.deepEqual(seen, [1, 2, 3]);
});

test("a closed log records nothing more (output of services stopping after the verdict)", () => {
  const log = new EventLog();
  log.append("a", "s");
  log.close();
  log.append("b", "s");
  assert.equal(log.size, 1);
});

test("dict filters match type/service/seq and data fields, with * globs; numbers compare exactly", () => {
  const log = new EventLog();
  const e = log.append("stdout", "api", { event: "order_created", order_id: "o-17", n: 3 });
  assert.ok(matchesFilters(e, { type: "stdout", service: "api", order_id: "o-*" }));
  assert.ok(matchesFilters(e, { n: 3 }));
  assert.ok(matchesFilters(e, { n: "3" }));
  assert.ok(!matchesFilters(e, { n: 4 }));
  assert.ok(!matchesFilters(e, { type: "stderr" }));
  assert.ok(!matchesFilters(e, { missing: "x" }));
  assert.ok(globMatch("orders-*", "orders-1"));
  assert.ok(!globMatch("orders-*", "payments-1"));
  assert.ok(globMatch("a.b", "a.b") && !globMatch("a.b", "axb"));
});
