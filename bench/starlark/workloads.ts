// Faultbox-shaped Starlark workloads for the benchmark: a generated spec (startup cost of a spec run)
// and monitor-style predicates over a large event log (the cost that grows with a run's length).

/** Names the generated spec calls; the drivers predeclare each as a builtin returning a struct. */
export const SPEC_STUBS = [
  "service",
  "interface",
  "fault",
  "fault_assumption",
  "monitor",
  "assert_eventually",
  "assert_never",
  "topic",
  "json_decoder",
  "determinism",
  "scenario",
];

/** A spec of `services` services, each with faults, monitors and tests (about 30 lines per service). */
export function generateSpec(services: number): string {
  const out: string[] = [
    '"""Generated Faultbox-shaped spec for benchmarking: services, faults, monitors, tests."""',
    "",
    "RETRIES = 3",
    'TOPICS = ["orders", "payments", "shipments", "audit"]',
    "",
    "def topic_name(base, i):",
    '    return "%s-%d" % (base, i)',
    "",
    "def kafka_brokers(n):",
    '    return ["broker-%d:9092" % i for i in range(n)]',
    "",
  ];
  for (let i = 0; i < services; i++) {
    out.push(
      `svc${i} = service(`,
      `    name = "svc${i}",`,
      `    command = ["./bin/svc${i}", "--port", "${8000 + i}"],`,
      `    env = {"KAFKA": ",".join(kafka_brokers(3)), "ID": "${i}", "RETRIES": str(RETRIES)},`,
      `    interfaces = [interface("http", port = ${8000 + i}), interface("kafka", port = ${9000 + i})],`,
      `)`,
      ``,
      `drop_${i} = fault_assumption(`,
      `    name = "drop-${i}",`,
      `    target = svc${i},`,
      `    rules = [fault(op = "produce", topic = topic_name(TOPICS[${i} % len(TOPICS)], ${i}), action = "drop", probability = 0.${(i % 9) + 1})],`,
      `)`,
      ``,
      `def check_order_${i}(e):`,
      `    data = e.get("data", {})`,
      `    if data.get("status") == "failed" and data.get("retries", 0) > RETRIES:`,
      `        return "order %s failed after %d retries" % (data.get("id"), data.get("retries"))`,
      `    return None`,
      ``,
      `monitor(name = "orders-${i}", where = lambda e: e.get("type") == "produce" and e.get("service") == "svc${i}", check = check_order_${i})`,
      ``,
      `def test_happy_path_${i}():`,
      `    order = {"id": "o-${i}", "items": [{"sku": "s%d" % k, "qty": k} for k in range(5)]}`,
      `    total = sum_qty(order["items"])`,
      `    assert_eventually(where = lambda e: e.get("topic") == "orders" and e.get("key") == order["id"], timeout = "5s")`,
      `    return total`,
      ``,
      `def test_drop_${i}():`,
      `    scenario(faults = [drop_${i}], run = lambda: svc${i})`,
      `    assert_never(where = lambda e: e.get("type") == "duplicate" and e.get("service") == "svc${i}")`,
      ``,
    );
  }
  out.push(
    "def sum_qty(items):",
    "    total = 0",
    "    for it in items:",
    '        total += it["qty"]',
    "    return total",
    "",
    "determinism(seed = 42)",
    "",
  );
  return out.join("\n");
}

/** bench_*(b) functions in the starlark-go benchmark protocol: predicates over an event log of dicts. */
export const MONITOR_BENCH = `
def make_events(n):
    kinds = ["produce", "fetch", "commit", "duplicate"]
    return [
        {"type": kinds[i % 4], "service": "svc%d" % (i % 7), "topic": "orders",
         "key": "o-%d" % (i % 100), "seq": i, "data": {"status": "ok" if i % 13 else "failed", "retries": i % 5}}
        for i in range(n)
    ]

EVENTS = make_events(10000)

def bench_monitor_filter_lambda(b):
    where = lambda e: e["type"] == "produce" and e.get("service") == "svc3"
    for _ in range(b.n):
        n = 0
        for e in EVENTS:
            if where(e):
                n += 1

def bench_monitor_comprehension(b):
    for _ in range(b.n):
        failed = [e["key"] for e in EVENTS if e["data"]["status"] == "failed" and e["data"]["retries"] > 2]

def bench_monitor_group_by(b):
    for _ in range(b.n):
        counts = {}
        for e in EVENTS:
            k = e["key"]
            counts[k] = counts.get(k, 0) + 1

def bench_monitor_format(b):
    for _ in range(b.n):
        msgs = ["%s at seq %d (%s)" % (e["key"], e["seq"], e["type"]) for e in EVENTS[:1000]]
`;
