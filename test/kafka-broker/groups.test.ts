// Classic consumer groups on the wire and with kafkajs: join/sync rounds, rebalancing when members
// join, leave or stop heartbeating, MEMBER_ID_REQUIRED, coordinator placement, committed offsets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startEmbeddedKafka, type EmbeddedKafka } from "../../src/protocols/kafka/broker/index.js";
import { API_KEYS, KAFKA_ERRORS as E } from "../../src/protocols/kafka/wire/index.js";
import { RawClient } from "./raw-client.js";

const GROUP = "g";

async function coordinatorClient(k: EmbeddedKafka, group = GROUP): Promise<RawClient> {
  const c = await RawClient.open(k.bootstrap.split(",")[0]!);
  const r = await c.call(API_KEYS.FindCoordinator, 3, { key: group, keyType: 0 });
  assert.equal(r.errorCode, E.NONE);
  c.close();
  return RawClient.open(`${r.host}:${r.port}`);
}

const join = (c: RawClient, memberId: string, sessionTimeoutMs = 10000, protocols = ["range"]) =>
  c.call(API_KEYS.JoinGroup, 5, {
    groupId: GROUP,
    sessionTimeoutMs,
    rebalanceTimeoutMs: 10000,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: protocols.map((name) => ({ name, metadata: Buffer.from(`meta-${name}`) })),
  });

/** v4+ joins are refused once with MEMBER_ID_REQUIRED and the id to use (KIP-394). */
async function joinNew(c: RawClient, sessionTimeoutMs?: number, protocols?: string[]) {
  const first = await join(c, "", sessionTimeoutMs, protocols);
  assert.equal(first.errorCode, E.MEMBER_ID_REQUIRED);
  assert.notEqual(first.memberId, "");
  return join(c, first.memberId, sessionTimeoutMs, protocols);
}

const sync = (
  c: RawClient,
  memberId: string,
  generationId: number,
  assignments: { memberId: string; assignment: Buffer }[] = [],
) =>
  c.call(API_KEYS.SyncGroup, 3, {
    groupId: GROUP,
    generationId,
    memberId,
    groupInstanceId: null,
    assignments,
  });

const heartbeat = (c: RawClient, memberId: string, generationId: number) =>
  c
    .call(API_KEYS.Heartbeat, 3, { groupId: GROUP, generationId, memberId, groupInstanceId: null })
    .then((r) => r.errorCode);

test("a member joining a stable group triggers a rebalance that both members complete", async () => {
  const k = await startEmbeddedKafka({ initialRebalanceDelayMs: 0 });
  const a = await coordinatorClient(k);
  const b = await coordinatorClient(k);
  try {
    const ja = await joinNew(a);
    assert.equal(ja.errorCode, E.NONE);
    assert.equal(ja.generationId, 1);
    assert.equal(ja.leader, ja.memberId);
    assert.deepEqual(
      ja.members.map((m) => m.memberId),
      [ja.memberId],
    );
    const sa = await sync(a, ja.memberId, 1, [{ memberId: ja.memberId, assignment: Buffer.from("all") }]);
    assert.deepEqual([sa.errorCode, sa.assignment.toString()], [E.NONE, "all"]);
    assert.equal(await heartbeat(a, ja.memberId, 1), E.NONE);

    // b joins: its join is parked until a re-joins; a learns of the rebalance from its heartbeat.
    const bFirst = await join(b, "");
    const jbPending = join(b, bFirst.memberId);
    assert.equal(await heartbeat(a, ja.memberId, 1), E.REBALANCE_IN_PROGRESS);
    const [ja2, jb] = await Promise.all([join(a, ja.memberId), jbPending]);
    assert.equal(ja2.generationId, 2);
    assert.equal(jb.generationId, 2);
    assert.equal(ja2.leader, ja.memberId, "the leader stays the leader");
    assert.deepEqual(ja2.members.map((m) => m.memberId).sort(), [ja.memberId, jb.memberId].sort());
    assert.deepEqual(jb.members, [], "only the leader gets the member list");
    assert.equal(ja2.members.find((m) => m.memberId === jb.memberId)?.metadata.toString(), "meta-range");

    // The follower's sync waits for the leader's assignment.
    const sbPending = sync(b, jb.memberId, 2);
    const sa2 = await sync(a, ja.memberId, 2, [
      { memberId: ja.memberId, assignment: Buffer.from("p0") },
      { memberId: jb.memberId, assignment: Buffer.from("p1") },
    ]);
    assert.equal(sa2.assignment.toString(), "p0");
    assert.equal((await sbPending).assignment.toString(), "p1");
    assert.equal(await heartbeat(a, ja.memberId, 1), E.ILLEGAL_GENERATION);

    // b leaves: a must re-join and gets generation 3 alone.
    const left = await b.call(API_KEYS.LeaveGroup, 3, {
      groupId: GROUP,
      members: [{ memberId: jb.memberId, groupInstanceId: null }],
    });
    assert.deepEqual(
      left.members?.map((m) => m.errorCode),
      [E.NONE],
    );
    assert.equal(await heartbeat(a, ja.memberId, 2), E.REBALANCE_IN_PROGRESS);
    const ja3 = await join(a, ja.memberId);
    assert.deepEqual([ja3.generationId, ja3.members.length], [3, 1]);
  } finally {
    a.close();
    b.close();
    await k.close();
  }
});

test("a member that stops heartbeating is removed after its session timeout", async () => {
  const k = await startEmbeddedKafka({ initialRebalanceDelayMs: 0, minSessionTimeoutMs: 100 });
  const a = await coordinatorClient(k);
  const b = await coordinatorClient(k);
  try {
    const ja = await joinNew(a, 300);
    await sync(a, ja.memberId, 1, []);
    // a never heartbeats again; b's join completes once a's session has expired.
    const first = await join(b, "", 10000);
    const jb = await join(b, first.memberId, 10000);
    assert.equal(jb.errorCode, E.NONE);
    assert.equal(jb.leader, jb.memberId, "the expired leader was replaced");
    assert.deepEqual(
      jb.members.map((m) => m.memberId),
      [jb.memberId],
    );
    assert.equal(await heartbeat(a, ja.memberId, jb.generationId), E.UNKNOWN_MEMBER_ID);
  } finally {
    a.close();
    b.close();
    await k.close();
  }
});

test("join errors: unknown member, inconsistent protocols, bad session timeout, wrong coordinator", async () => {
  const k = await startEmbeddedKafka({ brokers: 3, initialRebalanceDelayMs: 0 });
  const a = await coordinatorClient(k);
  try {
    assert.equal((await join(a, "who-is-this")).errorCode, E.UNKNOWN_MEMBER_ID);
    assert.equal((await join(a, "", 1)).errorCode, E.INVALID_SESSION_TIMEOUT);
    const ja = await joinNew(a, 10000, ["range"]);
    await sync(a, ja.memberId, ja.generationId, []);
    const first = await join(a, "", 10000, ["roundrobin"]);
    assert.equal(first.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);
    const coordinator = (await a.call(API_KEYS.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [GROUP] }))
      .coordinators![0]!;
    const notCoordinator = k.brokers.find((b) => b.nodeId !== coordinator.nodeId)!;
    const wrong = await RawClient.open(`${notCoordinator.host}:${notCoordinator.port}`);
    assert.equal((await join(wrong, "")).errorCode, E.NOT_COORDINATOR);
    wrong.close();
  } finally {
    a.close();
    await k.close();
  }
});

test("offsets: commits are checked against the generation and read back per version", async () => {
  const k = await startEmbeddedKafka({ initialRebalanceDelayMs: 0, topics: [{ name: "t", partitions: 2 }] });
  const a = await coordinatorClient(k);
  try {
    const ja = await joinNew(a);
    await sync(a, ja.memberId, 1, []);
    const commit = (generation: number, memberId: string, offset: bigint) =>
      a
        .call(API_KEYS.OffsetCommit, 8, {
          groupId: GROUP,
          generationIdOrMemberEpoch: generation,
          memberId,
          groupInstanceId: null,
          topics: [
            {
              name: "t",
              partitions: [
                {
                  partitionIndex: 1,
                  committedOffset: offset,
                  committedLeaderEpoch: -1,
                  committedMetadata: "m",
                },
              ],
            },
          ],
        })
        .then((r) => r.topics[0]!.partitions[0]!.errorCode);
    assert.equal(await commit(7, ja.memberId, 5n), E.ILLEGAL_GENERATION);
    assert.equal(await commit(1, "stranger", 5n), E.UNKNOWN_MEMBER_ID);
    assert.equal(await commit(1, ja.memberId, 5n), E.NONE);
    assert.equal(k.committedOffset(GROUP, "t", 1), 5n);

    const v5 = await a.call(API_KEYS.OffsetFetch, 5, {
      groupId: GROUP,
      topics: [{ name: "t", partitionIndexes: [0, 1] }],
    });
    assert.deepEqual(
      v5.topics!.flatMap((t) => t.partitions!.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])),
      [
        [0, -1n, ""],
        [1, 5n, "m"],
      ],
    );
    const v8 = await a.call(API_KEYS.OffsetFetch, 8, {
      groups: [{ groupId: GROUP, topics: null }],
      requireStable: false,
    });
    assert.deepEqual(
      v8.groups![0]!.topics.flatMap((t) =>
        t.partitions.map((p) => [t.name, p.partitionIndex, p.committedOffset]),
      ),
      [["t", 1, 5n]],
    );
  } finally {
    a.close();
    await k.close();
  }
});

test("kafkajs: two consumers split a topic's partitions and one takes over all of them when the other leaves", async () => {
  const k = await startEmbeddedKafka({ brokers: 3, topics: [{ name: "t", partitions: 4 }] });
  const kafka = new Kafka({ brokers: k.bootstrap.split(","), logLevel: logLevel.NOTHING });
  const assignments = new Map<string, number[]>();
  const consumer = (name: string) => {
    const c = kafka.consumer({ groupId: "kjs", sessionTimeout: 6000, heartbeatInterval: 200 });
    c.on(c.events.GROUP_JOIN, (e) =>
      assignments.set(name, [...(e.payload.memberAssignment["t"] ?? [])].sort()),
    );
    return c;
  };
  const waitFor = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 50));
  };
  const c1 = consumer("c1");
  const c2 = consumer("c2");
  try {
    await c1.connect();
    await c1.subscribe({ topic: "t" });
    await c1.run({ eachMessage: async () => {} });
    await waitFor(() => assignments.get("c1")?.length === 4);
    await c2.connect();
    await c2.subscribe({ topic: "t" });
    await c2.run({ eachMessage: async () => {} });
    await waitFor(() => (assignments.get("c2")?.length ?? 0) > 0 && (assignments.get("c1")?.length ?? 0) < 4);
    assert.deepEqual([...assignments.get("c1")!, ...assignments.get("c2")!].sort(), [0, 1, 2, 3]);
    await c2.disconnect();
    await waitFor(() => assignments.get("c1")?.length === 4);
  } finally {
    await c1.disconnect();
    await c2.disconnect();
    await k.close();
  }
});

test("DescribeGroups and ListGroups report state, protocol and members", async () => {
  const k = await startEmbeddedKafka({ initialRebalanceDelayMs: 0 });
  const a = await coordinatorClient(k);
  try {
    const ja = await joinNew(a);
    await sync(a, ja.memberId, 1, [{ memberId: ja.memberId, assignment: Buffer.from("mine") }]);
    const d = await a.call(API_KEYS.DescribeGroups, 5, {
      groups: [GROUP, "nobody"],
      includeAuthorizedOperations: false,
    });
    const g = d.groups[0]!;
    assert.deepEqual(
      [g.errorCode, g.groupState, g.protocolType, g.protocolData],
      [E.NONE, "Stable", "consumer", "range"],
    );
    assert.deepEqual(
      g.members.map((m) => [m.memberId, m.clientId, m.memberAssignment.toString()]),
      [[ja.memberId, "raw-test", "mine"]],
    );
    assert.equal(d.groups[1]!.groupState, "Dead");
    const l = await a.call(API_KEYS.ListGroups, 4, { statesFilter: ["Stable"] });
    assert.deepEqual(
      l.groups.map((x) => [x.groupId, x.groupState]),
      [[GROUP, "Stable"]],
    );
  } finally {
    a.close();
    await k.close();
  }
});
