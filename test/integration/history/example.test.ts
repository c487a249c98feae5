// examples/history/acks.star, the README's walkthrough of the history checker, run as a user runs it:
// on its own 3-node Apache Kafka cluster (kafka_cluster), acks=1 loses the records the leader alone
// acknowledged and the checker names them; acks=all with min.insync.replicas=2 is refused instead and
// loses nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { root } from "../seed/cli.js";
import { faultboxJson, testNamed } from "./cli.js";

interface Verdict {
  ok: boolean;
  counts: Record<string, number>;
  anomalies: Record<string, { key: string; detail: string }[]>;
  summary: string;
}

test("examples/history/acks.star: acks=1 loses what the leader alone acknowledged, named by the checker; acks=all loses nothing", async () => {
  const r = await faultboxJson(join(root, "examples/history/acks.star"));
  const verdict = (name: string): Verdict => {
    const t = testNamed(r, name);
    assert.equal(t.result, "pass", `${name}: ${t.reason}\n${r.stderr.slice(-3000)}`);
    const v = (t.events ?? []).find((e) => e.type === "history_check")?.data as unknown as Verdict;
    assert.ok(v, `${name}: a history_check event`);
    process.stderr.write(`# ${name}: ${v.summary}\n`);
    return v;
  };
  const one = verdict("test_acks_1_loses_acknowledged_records");
  const lost = one.anomalies.lost!.map((e) => e.key);
  // Every record sent while the follower was paused was acknowledged by the leader alone, then lost.
  // Only records the leader acknowledged alone are lost: those sent while the follower was paused (the
  // first may survive, in the answer to the fetch the follower sent before it stopped).
  assert.ok(lost.length >= 1, one.summary);
  assert.deepEqual(
    lost.filter((k) => !/^lagging-[0-4]$/.test(k)),
    [],
    one.summary,
  );
  const all = verdict("test_acks_all_loses_nothing");
  assert.equal(all.ok, true, all.summary);
  assert.deepEqual(all.anomalies.lost ?? [], [], all.summary);
  assert.equal(r.code, 0);
});
