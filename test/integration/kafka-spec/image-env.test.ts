// Env late binding for an image-run Kafka, through the CLI: app's KAFKA_BROKERS is kafka.broker.addr
// (the declared port 9092 at load time) while the Kafka image runs as a local broker on another port.
// The app must get the proxy's address, so its own produce crosses the proxy: a drop rule drops it,
// and without the rule the topic observer sees its records. One spec run (one Kafka start).
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultboxTest, type CliRun, type JsonEvent } from "../seed/cli.js";

const spec = "test/integration/kafka-spec/specs/image-env/faultbox.star";

let run: Promise<CliRun> | undefined;
const once = () => (run ??= faultboxTest(spec, "--seed", "11"));

const first = (events: JsonEvent[], pred: (e: JsonEvent) => boolean) => events.find(pred);

test("image= Kafka: the app's KAFKA_BROKERS (kafka.broker.addr) reaches the broker through its proxy", async () => {
  const r = await once();
  const t = r.json.tests.find((x) => x.name === "test_app_traffic_crosses_the_kafka_proxy");
  assert.ok(t, `no result; stderr:\n${r.stderr}`);
  assert.equal(t.result, "pass", `${t.reason}\n${r.stderr}`);
  assert.equal(r.code, 0);
  const events = t.events ?? [];
  const proxy = first(events, (e) => e.type === "proxy_started" && e.service === "kafka");
  assert.ok(proxy, "a proxy runs in front of kafka.broker");
  const config = first(
    events,
    (e) => e.type === "stdout" && e.service === "app" && e.data.event === "config",
  );
  assert.ok(config, "the app printed its config");
  // The declared port (9092) is not where the local broker listens; the app got the proxy instead.
  assert.equal(config.data.kafka_brokers, proxy.data.listen);
  assert.notEqual(proxy.data.target, "127.0.0.1:9092");
});

test("image= Kafka: the app's record is dropped by the proxy under the rule and stored without it", async () => {
  const r = await once();
  const t = r.json.tests.find((x) => x.name === "test_app_traffic_crosses_the_kafka_proxy")!;
  const events = t.events ?? [];
  const dropped = first(
    events,
    (e) =>
      e.type === "proxy" && e.service === "kafka" && e.data.action === "drop" && e.data.topic === "orders",
  );
  assert.ok(dropped, "the proxy dropped a produce to orders");
  const stored = events.filter((e) => e.type === "topic").map((e) => e.data.id);
  assert.ok(stored.includes("kept-1") && stored.includes("kept-2"), `stored: ${stored.join(", ")}`);
  assert.ok(!stored.includes("lost-1"), "the dropped record was never stored");
  const windows = (t as { fault_windows?: { assumption: string; fired: number }[] }).fault_windows;
  assert.equal(windows?.[0]?.assumption, "orders_lost");
  assert.ok(windows[0]!.fired >= 1);
});
