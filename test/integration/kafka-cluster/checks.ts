// What cluster.test.ts and controller.test.ts share: running a cluster spec through the CLI and the
// checks on a partition test's events.
import assert from "node:assert/strict";
import { faultboxTest, type JsonEvent, type JsonTest } from "../seed/cli.js";
import { observableAcks } from "./specs/helpers.js";

export const specs = "test/integration/kafka-cluster/specs";

/** One run per spec file in this process: tests that check different tests of a spec share it. */
const runs = new Map<string, ReturnType<typeof faultboxTest>>();

export async function passing(spec: string, name: string): Promise<JsonTest> {
  if (!runs.has(spec)) runs.set(spec, faultboxTest(`${specs}/${spec}`, "--seed", "13"));
  const r = await runs.get(spec)!;
  const t = r.json.tests.find((x) => x.name === name);
  assert.ok(t, `no result for ${name}; stderr:\n${r.stderr.slice(-3000)}`);
  assert.equal(t.result, "pass", `${t.reason}\n${r.stderr.slice(-3000)}`);
  return t;
}
export const actions = (t: JsonTest): Record<string, unknown>[] =>
  (t.events ?? []).filter((e: JsonEvent) => e.type === "service_action").map((e) => e.data);

/**
 * specs/partition.ts with one client: the leader isolated and healed (every link to and from it, and
 * with `clients` its clients' connections through the proxy), at least 40 records acknowledged, every
 * acknowledged record stored. Returns how many were acknowledged while the old leader was cut off.
 */
export async function isolatedLeaderLosesNothing(
  client: string,
  spec: string,
  clients = false,
): Promise<number> {
  const t = await passing(spec, "test_isolated_leader_loses_no_acknowledged_record");
  const events = t.events ?? [];
  const [isolate, heal] = actions(t);
  assert.equal(isolate!.action, "isolate");
  assert.equal(isolate!.node, isolate!.leader);
  assert.equal(
    isolate!.clients,
    clients ? true : undefined,
    "the event says whether the clients were cut off",
  );
  assert.deepEqual(heal!.clients, clients ? [isolate!.node] : undefined, "the heal names the clients' cut");
  assert.deepEqual(
    [...(heal!.links as string[])].sort(),
    ["1", "2", "3"]
      .filter((n) => n !== String(isolate!.node))
      .flatMap((n) => [`${n}->${isolate!.node}`, `${isolate!.node}->${n}`])
      .sort(),
    "every link to and from the isolated node was cut, and healed",
  );
  const sends = events.filter((e) => e.type === "stdout" && e.data.name === "producer_send_success");
  const acked = new Set(sends.map((e) => e.data.value));
  const observable = observableAcks(events);
  const stored = events.filter((e) => e.type === "topic").map((e) => e.data.value);
  assert.ok(acked.size >= 40, `acknowledged records: ${acked.size}`);
  const [cutAt, healedAt] = events.filter((e) => e.type === "service_action").map((e) => e.seq);
  const duringCut = events.filter(
    (e) =>
      e.seq > cutAt! && e.seq < healedAt! && e.type === "stdout" && e.data.name === "producer_send_success",
  ).length;
  const held = events.filter((e) => e.type === "proxy_conn_open" && e.data.held === "isolated").length;
  console.log(
    `# ${client}: ${duringCut} record(s) acknowledged while the old leader was cut off` +
      (clients ? `; ${held} client connection(s) to it held` : ""),
  );
  if (!clients) assert.equal(held, 0, "no client connection is held when only the brokers' links are cut");
  assert.deepEqual(
    observable.filter((v) => !stored.includes(v)),
    [],
    "every acknowledged record is stored",
  );
  return duringCut;
}
