import { test } from "node:test";
import assert from "node:assert/strict";
import { SpecBuilder } from "../../src/core/builder.js";
import "../../src/index.js"; // registers the protocols interfaces name
import { resolveEnvValue, startOrder, proxyPlaceholder } from "../../src/core/topology.js";

const lang = { repr: String, equals: Object.is, truthy: Boolean };

function topology() {
  const b = new SpecBuilder("/tmp/spec.star", lang);
  const mk = (name: string, deps: string[] = []) =>
    b.service(name, {
      binary: "/bin/true",
      interfaces: [b.interface("main", "http", 10_000 + b.suite.services.length)],
      dependsOn: deps,
    });
  return { b, mk };
}

test("services start dependencies first; ties keep declaration order", () => {
  const { b, mk } = topology();
  mk("api", ["db", "cache"]);
  mk("db");
  mk("cache");
  mk("worker", ["db"]);
  assert.deepEqual(
    startOrder(b.suite.services).map((s) => s.name),
    ["db", "cache", "api", "worker"],
  );
});

test("a dependency cycle or an unknown dependency is a spec error naming the services", () => {
  const { b, mk } = topology();
  mk("a", ["b"]);
  mk("b", ["a"]);
  assert.throws(() => startOrder(b.suite.services), /cycle: a -> b -> a/);
  const t2 = topology();
  t2.mk("a", ["ghost"]);
  assert.throws(() => startOrder(t2.b.suite.services), /service "a" depends_on unknown service "ghost"/);
});

test("env late binding: placeholders become proxy addresses; other services' literal addresses go through their proxy", () => {
  const proxies = new Map([["db.main", { host: "127.0.0.1", port: 40001 }]]);
  const upstreams = new Map([
    ["db.main", { service: "db", addr: { host: "127.0.0.1", port: 5432 } }],
    ["api.main", { service: "api", addr: { host: "127.0.0.1", port: 8080 } }],
  ]);
  const r = resolveEnvValue(
    `${proxyPlaceholder("ADDR", "db", "main")}|${proxyPlaceholder("PORT", "db", "main")}`,
    "api",
    proxies,
    upstreams,
  );
  assert.deepEqual(r, { value: "127.0.0.1:40001|40001", unresolved: [] });
  assert.equal(
    resolveEnvValue("postgres://u@localhost:5432/x", "api", proxies, upstreams).value,
    "postgres://u@127.0.0.1:40001/x",
  );
  // No rewrite of a longer port (54321) nor of the service's own address.
  assert.equal(resolveEnvValue("127.0.0.1:54321", "api", proxies, upstreams).value, "127.0.0.1:54321");
  assert.equal(resolveEnvValue("127.0.0.1:5432", "db", proxies, upstreams).value, "127.0.0.1:5432");
  assert.deepEqual(
    resolveEnvValue(proxyPlaceholder("ADDR", "kafka", "broker"), "api", proxies, upstreams).unresolved,
    ["kafka.broker"],
  );
});

test("env late binding: a substituted image's declared port and its real port both reach the proxy", () => {
  // kafka declared 9092 (what kafka.broker.addr gave at load); the local broker standing in for its
  // image listens on 41234; the proxy in front is 40002.
  const proxies = new Map([
    ["kafka.broker", { host: "127.0.0.1", port: 40002 }],
    ["db.main", { host: "127.0.0.1", port: 41234 }],
  ]);
  const upstreams = new Map([
    ["kafka.broker", { service: "kafka", addr: { host: "127.0.0.1", port: 41234 }, declaredPort: 9092 }],
    ["db.main", { service: "db", addr: { host: "127.0.0.1", port: 5432 }, declaredPort: 5432 }],
  ]);
  const resolve = (v: string, consumer = "app") => resolveEnvValue(v, consumer, proxies, upstreams).value;
  assert.equal(resolve("127.0.0.1:9092"), "127.0.0.1:40002");
  assert.equal(resolve("localhost:41234"), "127.0.0.1:40002");
  assert.equal(resolve("127.0.0.1:9092,127.0.0.1:9092"), "127.0.0.1:40002,127.0.0.1:40002");
  // One pass: the db's proxy port equals the broker's real port, yet the rewritten db address stays.
  assert.equal(resolve("postgres://u@localhost:5432/x"), "postgres://u@127.0.0.1:41234/x");
  // Not another address that merely ends the same way, nor kafka's own env.
  assert.equal(resolve("10.127.0.0.1:9092"), "10.127.0.0.1:9092");
  assert.equal(resolve("127.0.0.1:9092", "kafka"), "127.0.0.1:9092");
});

test("service() validation: exactly one of binary/image/remote, unique interfaces, reuse warning", () => {
  const b = new SpecBuilder("/tmp/spec.star", lang);
  assert.throws(() => b.service("x", {}), /requires one of: binary/);
  assert.throws(() => b.service("x", { binary: "a", image: "b" }), /accepts only one of/);
  const i = b.interface("main", "http", 1234);
  assert.throws(
    () => b.service("x", { binary: "a", interfaces: [i, b.interface("main", "tcp", 1235)] }),
    /declares interface "main" twice/,
  );
  b.service("y", { binary: "a", reuse: true });
  assert.match(b.suite.warnings[0]!, /reuse=True with neither seed nor reset/);
  assert.ok(b.interface("auto", "http", 0).port > 0, "port 0 allocates a free port");
});
