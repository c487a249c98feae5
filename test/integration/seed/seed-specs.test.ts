// Every examples/seed spec, run through the faultbox CLI against real Apache Kafka (a local KRaft
// broker standing in for the seed's confluentinc/cp-kafka image) and, for the integrity patterns,
// real PostgreSQL under real seccomp faults. Exit codes and the JSON output are checked: each fault
// that fired appears as a `proxy` event (or `syscall` deny events for the database fault).
import { test as it } from "node:test";
import assert from "node:assert/strict";
import { allPassed, faultboxTest, fired, ofType, test } from "./cli.js";

it("publish_consume.star: the seed's publish and consume calls and response shapes", async () => {
  const run = await faultboxTest("examples/seed/publish_consume.star");
  assert.equal(run.code, 0, allPassed(run));
  assert.equal(run.json.pass, 5);
  assert.match(
    run.stderr,
    /no container engine reachable; service "kafka" \(image confluentinc\/cp-kafka:7\.6\) runs as a local Apache Kafka broker/,
  );
  const t = test(run, "test_publish_response");
  const recv = ofType(t, "step_recv").find((e) => e.data.method === "publish");
  assert.equal(recv?.data.ok, true);
});

it("faults.star: drop, delay and duplicate do what the seed says, in fault(), fault_scenario and fault_matrix", async () => {
  const run = await faultboxTest("examples/seed/faults.star");
  assert.equal(run.code, 0, allPassed(run));
  assert.equal(run.json.pass, 6);
  const drop = test(run, "test_drop_producer_thinks_it_published");
  assert.equal(fired(drop, "drop").length, 1);
  assert.equal(fired(drop, "drop")[0]!.data.topic, "order-events");
  const delay = test(run, "test_delay_holds_the_publish");
  assert.ok(fired(delay, "delay").length >= 1);
  const publish = ofType(delay, "step_recv").find((e) => e.data.method === "publish");
  assert.ok(
    Number(publish?.data.duration_ms) >= 3000,
    `delayed publish took ${publish?.data.duration_ms} ms`,
  );
  const dup = test(run, "test_duplicate_consumer_sees_it_twice");
  assert.equal(fired(dup, "duplicate").length, 1);
  assert.equal(ofType(dup, "topic").filter((e) => e.data.id === "dup-1").length, 2);
  assert.deepEqual(test(run, "test_drop_in_fault_scenario").faults, ["message_loss"]);
  assert.deepEqual(run.json.matrix?.cells.map((c) => [c.fault, c.passed]).sort(), [
    ["duplicates", true],
    ["message_loss", true],
  ]);
  assert.equal(fired(test(run, "test_matrix_publish_one_duplicates"), "duplicate").length, 1);
});

it("observer.star: topic events carry the decoded payload and the record's fields", async () => {
  const run = await faultboxTest("examples/seed/observer.star");
  assert.equal(run.code, 0, allPassed(run));
  const created = ofType(test(run, "test_check_a_message_was_published"), "topic");
  assert.deepEqual(
    created.map((e) => e.data),
    [
      {
        id: 1,
        action: "created",
        topic: "order-events",
        partition: 0,
        offset: 0,
        key: "order-1",
        value: '{"id":1,"action":"created"}',
      },
    ],
  );
  const rejected = test(run, "test_check_no_message_was_published_on_error");
  assert.ok(fired(rejected, "error").length >= 1);
  assert.equal(ofType(rejected, "topic").length, 0);
});

it("reset.star: unique topic per run, marker, and a fresh broker per test", async () => {
  const run = await faultboxTest("examples/seed/reset.star");
  assert.equal(run.code, 0, allPassed(run));
  assert.equal(run.json.pass, 4);
  // reuse=False: one broker start per test
  for (const t of run.json.tests) assert.equal(ofType(t, "service_started").length, 1, t.name);
});

it("no_message_loss.star: the seed's produce/consume counts are equal and not vacuous", async () => {
  const run = await faultboxTest("examples/seed/no_message_loss.star");
  assert.equal(run.code, 0, allPassed(run));
  const t = test(run, "test_no_message_loss");
  assert.equal(ofType(t, "topic").filter((e) => e.data.action === "produce").length, 3);
  assert.equal(ofType(t, "topic").filter((e) => e.data.action === "consume").length, 3);
  assert.ok(fired(t, "delay").length >= 1);
  assert.ok(!(t.diagnostics ?? []).some((d) => d.code === "VACUOUS_ASSERTION"));
});

it("no_duplicates.star: exactly one stored record across a broker restart, and although produce requests failed", async () => {
  const run = await faultboxTest("examples/seed/no_duplicates.star", "--seed", "8");
  assert.equal(run.code, 0, allPassed(run));
  const t = test(run, "test_no_duplicates");
  const restarts = ofType(t, "service_action").filter((e) => e.data.action === "restart");
  assert.equal(restarts.length, 1, "broker_restart restarted the broker");
  assert.equal(restarts[0]!.data.cause, 'fault "broker_restart"');
  assert.equal(ofType(t, "topic").length, 1);
  const moved = test(run, "test_no_duplicates_when_leader_moves");
  assert.ok(fired(moved, "error").length >= 1, "leader_moves fired with --seed 8");
  assert.equal(ofType(moved, "topic").length, 1);
});

it("integrity.star: no orphan events under a real EIO on the database's writes", async () => {
  const run = await faultboxTest("examples/seed/integrity.star");
  assert.equal(run.code, 0, allPassed(run));
  const t = test(run, "test_no_orphan_events");
  assert.ok(ofType(t, "fault_applied").some((e) => e.service === "db"));
  assert.ok(
    ofType(t, "syscall").some((e) => e.service === "db" && String(e.data.decision).startsWith("deny")),
  );
});

it("multiprocess_note.star: a protocol fault works on the Kafka image", async () => {
  const run = await faultboxTest("examples/seed/multiprocess_note.star");
  assert.equal(run.code, 0, allPassed(run));
  assert.equal(fired(run.json.tests[0]!, "drop").length, 1);
});

it("negative control: the seed's monitor catches an application that publishes before it commits", async () => {
  const run = await faultboxTest("test/integration/seed/fixtures/orphan_event_naive.star");
  assert.equal(run.code, 2);
  assert.equal(
    run.json.tests[0]!.reason,
    "monitor violation: fail: orphan Kafka event: order eio-1 not in DB",
  );
});

it("the seed's disk_error applies to the local Kafka that stands in for the image (it runs under the supervisor); a protocol-only test in the same spec passes", async () => {
  const run = await faultboxTest("test/integration/seed/fixtures/disk_error.star");
  assert.equal(run.code, 0, allPassed(run));
  assert.equal(fired(test(run, "test_protocol_only"), "drop").length, 1);
  const disk = test(run, "test_publish_under_disk_error");
  const publish = ofType(disk, "step_recv").filter((e) => e.data.method === "publish");
  assert.deepEqual(
    publish.map((e) => e.data.ok),
    [true, false],
  );
  const denied = ofType(disk, "syscall").filter(
    (e) => e.service === "kafka" && e.data.decision === "deny(EIO)",
  );
  assert.ok(denied.length > 0);
  // The JVM writes from its network and request-handler threads, not its main thread.
  assert.ok(denied.some((e) => e.data.tid !== e.data.pid));
  const segment = ofType(test(run, "test_segment_write_fails"), "syscall").filter(
    (e) => e.data.label === "segment",
  );
  assert.ok(segment.length > 0 && segment.every((e) => /\/orders-0\/\d+\.log$/.test(String(e.data.path))));
  // A service action restarts the broker under a fresh supervisor, and the fault still reaches it.
  const restarted = test(run, "test_segment_fault_after_a_restart");
  assert.ok(ofType(restarted, "service_action").length > 0);
  assert.ok(ofType(restarted, "syscall").some((e) => e.data.label === "segment"));
});

it("negative control: the seed's assert_never fails when the record was stored", async () => {
  const run = await faultboxTest("test/integration/seed/fixtures/published_despite_assert_never.star");
  assert.equal(run.code, 2);
  assert.match(
    run.json.tests[0]!.reason ?? "",
    /^assert_never: found matching event #\d+ \(topic on kafka\)/,
  );
});
