// The Starlark snippets of Faultbox's Kafka reference page (the product description) must parse, resolve
// and run under the default (Faultbox) dialect. The spec builtins are stubbed: a stub answers any
// attribute, index or call with another stub, so only the language is under test here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ArgsKw, HostObject, Interpreter, type Thread, type Value } from "../../src/starlark/index.js";

class Stub extends HostObject {
  constructor(readonly name: string) {
    super();
  }
  typeName(): string {
    return "stub";
  }
  override attr(name: string): Value {
    return new Stub(`${this.name}.${name}`);
  }
  override index(key: Value): Value {
    return new Stub(`${this.name}[${String(key)}]`);
  }
  callHost(_t: Thread, _a: Value[], _k: ArgsKw): Value {
    return new Stub(`${this.name}()`);
  }
}

const NAMES = [
  "service",
  "interface",
  "tcp",
  "fault_assumption",
  "drop",
  "delay",
  "duplicate",
  "topic",
  "json_decoder",
  "assert_eventually",
  "assert_never",
  "monitor",
  "deny",
  "fault_scenario",
  "events",
  "assert_eq",
  "db",
  "publish_and_consume",
  "consumer_slow",
  "publish_order",
  "broker_restart",
];

const SEED = `
kafka = service("kafka",
    interface("broker", "kafka", 9092),
    image = "confluentinc/cp-kafka:7.6",
    healthcheck = tcp("localhost:9092"),
)
kafka.broker.publish(topic="order-events", data='{"id":1,"action":"created"}', key="order-1")
kafka.broker.publish(topic="notifications", data="hello world")
resp = kafka.broker.publish(topic="events", data="test")
# resp.data = {"published": true, "topic": "events"}
resp = kafka.broker.consume(topic="order-events")
message_loss = fault_assumption("message_loss",
    target = kafka.broker,
    rules = [drop(topic="order-events")],
)
slow_broker = fault_assumption("slow_broker",
    target = kafka.broker,
    rules = [delay(topic="*", delay="3s")],
)
duplicates = fault_assumption("duplicates",
    target = kafka.broker,
    rules = [duplicate(topic="order-events")],
)
# Option 1: Use unique topic names per test run (no reset needed)
import time
TOPIC = "orders-" + str(int(time.time()))

# Option 2: Use consumer group offsets (consume from latest)
def reset_kafka():
    # Publish a marker, then consume until you see it
    kafka.broker.publish(topic="orders", data='{"marker":"reset"}')

kafka = service("kafka",
    interface("broker", "kafka", 9092),
    image = "confluentinc/cp-kafka:7.6",
    # reuse=False (default) — topic state resets with container
)
kafka = service("kafka",
    interface("broker", "kafka", 9092),
    image = "confluentinc/cp-kafka:7.6",
    observe = [topic("order-events", decoder=json_decoder())],
)
# Check a message was published
assert_eventually(where=lambda e:
    e.type == "topic" and e.data.get("topic") == "order-events"
    and e.data.get("action") == "created")

# Check NO message was published (on error)
assert_never(where=lambda e:
    e.type == "topic" and e.data.get("topic") == "order-events")

def no_orphan_events(event):
    if event["type"] == "topic" and event.get("order_id"):
        rows = db.main.query(
            sql="SELECT count(*) as n FROM orders WHERE id='" + event["order_id"] + "'"
        ).data[0]["n"]
        if rows == 0:
            fail("orphan Kafka event: order " + event["order_id"] + " not in DB")

orphan_check = monitor(no_orphan_events)

db_write_error = fault_assumption("db_write_error",
    target = db,
    write = deny("EIO"),
    monitors = [orphan_check],
)
fault_scenario("no_message_loss",
    scenario = publish_and_consume,
    faults = consumer_slow,
    expect = lambda r: assert_eq(
        len(events(where=lambda e: e.type == "topic" and e.data.get("action") == "produce")),
        len(events(where=lambda e: e.type == "topic" and e.data.get("action") == "consume")),
        "every produced message must be consumed"),
)
fault_scenario("no_duplicates",
    scenario = publish_order,
    faults = broker_restart,
    expect = lambda r: (
        # Count unique order IDs in consumed messages
        assert_eq(
            len(events(where=lambda e: e.type == "topic" and e.data.get("topic") == "order-events")),
            1,
            "exactly one message for this order"),
    ),
)
`;

test("seed: every snippet of the Kafka reference runs in the default dialect", () => {
  const interp = new Interpreter({ predeclared: Object.fromEntries(NAMES.map((n) => [n, new Stub(n)])) });
  const mod = interp.execFile("faultbox.star", SEED);
  assert.match(mod.globals.get("TOPIC") as string, /^orders-\d{10}$/);
  assert.ok(mod.globals.has("no_orphan_events"));
});
