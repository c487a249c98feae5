// The node selectors without Kafka: scripted brokers answer Metadata (naming each other, with each one's
// view of a partition) and DescribeQuorum (each one's view of the metadata quorum).
// - kafka.controller() and kafka.broker.quorum(): the newest leader (the highest epoch among answers
//   that name one) must win over a stale or leaderless answer, and a broker that fails or errs must not
//   hide the others' answers.
// - the partition view (kafka.leader(), kafka.follower(), kafka.broker.metadata()): with equal leader
//   epochs, the leader's own answer wins over a cut-off follower's stale ISR.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { FrameReader, decodeRequest, encodeResponse } from "../../src/protocols/kafka/wire/index.js";
import {
  kafkaNodeSelectors,
  quorumState,
  topicPartitions,
} from "../../src/protocols/kafka/plugin/node-selectors.js";
import { kafkaSteps } from "../../src/protocols/kafka/plugin/steps.js";

/** One broker's answer to DescribeQuorum: a view, a Kafka error code, or no answer at all. */
type View = { leader: number; epoch: number } | { error: number } | "silent";

/** One broker's view of partition 0 of topic "t". */
interface PartitionView {
  leader: number;
  epoch: number;
  isr: number[];
}

interface FakeNode {
  id: number;
  port: number;
  view: View;
  partition?: PartitionView;
  /** The node ids its Metadata names as live brokers (all of them unless set). */
  lists?: number[];
  seen: string[];
}

const servers: Server[] = [];
const sockets = new Set<Socket>();
after(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

async function cluster(views: View[], partitions: PartitionView[] = []): Promise<FakeNode[]> {
  const nodes: FakeNode[] = views.map((view, i) => ({
    id: i + 1,
    port: 0,
    view,
    partition: partitions[i],
    seen: [],
  }));
  for (const node of nodes) {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      const frames = new FrameReader();
      socket.on("data", (chunk) => {
        for (const frame of frames.push(chunk)) {
          const req = decodeRequest(frame);
          node.seen.push(`${req.apiKey} v${req.apiVersion}`);
          const out = answer(nodes, node, req);
          if (out) socket.write(out);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    node.port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  return nodes;
}

function answer(nodes: FakeNode[], node: FakeNode, req: ReturnType<typeof decodeRequest>): Buffer | null {
  const v = req.apiVersion;
  const id = req.header.correlationId;
  if (req.apiKey === 3)
    return encodeResponse(3, v, id, {
      throttleTimeMs: 0,
      brokers: nodes
        .filter((n) => !node.lists || node.lists.includes(n.id))
        .map((n) => ({ nodeId: n.id, host: "127.0.0.1", port: n.port, rack: null })),
      clusterId: "fake",
      controllerId: 1,
      topics: (req.body.topics ?? []).map((t) => ({
        errorCode: node.partition ? 0 : 3,
        name: t.name,
        topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
        isInternal: false,
        partitions: node.partition
          ? [
              {
                errorCode: 0,
                partitionIndex: 0,
                leaderId: node.partition.leader,
                leaderEpoch: node.partition.epoch,
                replicaNodes: [1, 2, 3],
                isrNodes: node.partition.isr,
                offlineReplicas: [],
              },
            ]
          : [],
        topicAuthorizedOperations: -2147483648,
      })),
    });
  if (req.apiKey === 55) {
    const view = node.view;
    if (view === "silent") return null;
    const topic = req.body.topics[0]!.topicName;
    const replica = (replicaId: number) => ({
      replicaId,
      logEndOffset: 10n,
      lastFetchTimestamp: -1n,
      lastCaughtUpTimestamp: -1n,
    });
    return encodeResponse(55, v, id, {
      errorCode: 0,
      topics: [
        {
          topicName: topic,
          partitions: [
            {
              partitionIndex: 0,
              errorCode: "error" in view ? view.error : 0,
              leaderId: "error" in view ? -1 : view.leader,
              leaderEpoch: "error" in view ? -1 : view.epoch,
              highWatermark: 10n,
              currentVoters: [3, 1, 2].map(replica),
              observers: [],
            },
          ],
        },
      ],
    });
  }
  return null;
}

function call(nodes: FakeNode[], signal = new AbortController().signal) {
  return {
    target: { host: "127.0.0.1", port: nodes[0]!.port },
    args: {},
    serviceEnv: {},
    service: "kafka",
    iface: "broker",
    nodes: nodes.map((n) => n.id),
    signal,
  };
}

describe("kafka.controller(): the active KRaft controller from DescribeQuorum", () => {
  it("asks every broker and takes the leader with the highest epoch over a stale view", async () => {
    // Node 1 was cut off and still believes it leads (epoch 4); nodes 2 and 3 elected node 2 (epoch 5).
    const nodes = await cluster([
      { leader: 1, epoch: 4 },
      { leader: 2, epoch: 5 },
      { leader: 2, epoch: 5 },
    ]);
    const q = await quorumState(call(nodes));
    assert.deepEqual(q, {
      leader: 2,
      leaderEpoch: 5,
      highWatermark: 10,
      voters: [1, 2, 3],
      observers: [],
      views: [
        { node: 1, leader: 1, leaderEpoch: 4 },
        { node: 2, leader: 2, leaderEpoch: 5 },
        { node: 3, leader: 2, leaderEpoch: 5 },
      ],
    });
    for (const n of nodes) assert.ok(n.seen.includes("55 v1"), `node ${n.id} was asked`);
    const chosen = await kafkaNodeSelectors.controller!.resolve(call(nodes));
    assert.deepEqual(chosen, { node: 2, info: { controller: 2, quorum_epoch: 5, voters: [1, 2, 3] } });
  });

  it("asks every broker seen before, when the bootstrap broker, cut off, names only itself", async () => {
    const nodes = await cluster([
      { leader: 1, epoch: 1 },
      { leader: 1, epoch: 1 },
      { leader: 1, epoch: 1 },
    ]);
    assert.equal((await quorumState(call(nodes))).leader, 1);
    // Node 1, the bootstrap broker, is cut off: its controller stopped hearing the others' heartbeats
    // and its Metadata names only itself; the two others elected node 2.
    nodes[0]!.lists = [1];
    nodes[1]!.view = { leader: 2, epoch: 2 };
    nodes[2]!.view = { leader: 2, epoch: 2 };
    const q = await quorumState(call(nodes));
    assert.equal(q.leader, 2);
    assert.deepEqual(
      q.views.map((v) => v.node),
      [1, 2, 3],
    );
  });

  it("ignores a candidate's higher epoch without a leader, an error and a broker that does not answer", async () => {
    // Without pre-vote (Kafka 3.9) an isolated node keeps starting elections: its epoch grows, it has no leader.
    const nodes = await cluster([{ leader: -1, epoch: 9 }, { error: 15 }, { leader: 3, epoch: 6 }, "silent"]);
    const started = Date.now();
    const q = await quorumState(call(nodes));
    assert.equal(q.leader, 3);
    assert.equal(q.leaderEpoch, 6);
    const [candidate, erring, leader, silent] = q.views;
    assert.deepEqual(candidate, { node: 1, leader: -1, leaderEpoch: 9 });
    assert.deepEqual(erring, { node: 2, error: "DescribeQuorum: COORDINATOR_NOT_AVAILABLE" });
    assert.deepEqual(leader, { node: 3, leader: 3, leaderEpoch: 6 });
    assert.equal(silent!.node, 4);
    assert.match("error" in silent! ? silent.error : "", /did not answer within 5 s/);
    // The silent broker is given up on after the per-broker timeout (5 s), not waited for forever.
    assert.ok(Date.now() - started < 20_000);
  });

  it("fails naming each broker's reason when none names a leader (and the run is stopping)", async () => {
    const nodes = await cluster([{ leader: -1, epoch: 3 }, { error: 15 }]);
    const stop = new AbortController();
    stop.abort();
    await assert.rejects(
      quorumState(call(nodes, stop.signal)),
      /no broker named the active controller \(node 2: DescribeQuorum: COORDINATOR_NOT_AVAILABLE\)/,
    );
    const leaderless = await cluster([{ leader: -1, epoch: 3 }]);
    await assert.rejects(quorumState(call(leaderless, stop.signal)), /the metadata quorum has no leader/);
  });

  it("kafka.broker.quorum() returns the view as a step's data, and a failure as .ok False with the reason", async () => {
    const nodes = await cluster([
      { leader: 1, epoch: 7 },
      { leader: 1, epoch: 7 },
    ]);
    const step = kafkaSteps.quorum!;
    assert.deepEqual(step.params, []);
    const r = await step.run({ ...call(nodes), method: "quorum" } as never);
    assert.equal(r.ok, true);
    assert.deepEqual(r.data, {
      leader: 1,
      leader_epoch: 7,
      voters: [1, 2, 3],
      observers: [],
      high_watermark: 10,
      views: [
        { node: 1, leader: 1, leader_epoch: 7 },
        { node: 2, leader: 1, leader_epoch: 7 },
      ],
    });
    const stop = new AbortController();
    stop.abort();
    const down = await step.run({
      ...call(await cluster([{ error: 15 }]), stop.signal),
      method: "quorum",
    } as never);
    assert.equal(down.ok, false);
    assert.match(String(down.error), /^kafka quorum: no broker named the active controller/);
  });
});

describe("the partition view: the newest leader epoch, and the leader's own answer on a tie", () => {
  it("a fenced follower's stale ISR loses to the leader's answer with the same leader epoch", async () => {
    // Node 1 (a follower) was cut off and fenced: the others removed it from the ISR, which keeps the
    // leader epoch. Node 1 is also the bootstrap address, so its answer comes first.
    const nodes = await cluster(
      ["silent", "silent", "silent"],
      [
        { leader: 2, epoch: 3, isr: [1, 2, 3] },
        { leader: 2, epoch: 3, isr: [2, 3] },
        { leader: 2, epoch: 3, isr: [2, 3] },
      ],
    );
    const [p] = await topicPartitions(call(nodes), "t");
    assert.deepEqual(p, {
      topic: "t",
      partition: 0,
      leader: 2,
      leaderEpoch: 3,
      replicas: [1, 2, 3],
      isr: [2, 3],
    });
    const follower = await kafkaNodeSelectors.follower!.resolve({ ...call(nodes), args: { topic: "t" } });
    assert.equal(follower.node, 3, "the in-sync follower, not the fenced node 1");
  });

  it("a higher leader epoch wins whoever gives it, the isolated old leader's own view included", async () => {
    const nodes = await cluster(
      ["silent", "silent", "silent"],
      [
        { leader: 1, epoch: 4, isr: [1, 2, 3] },
        { leader: 3, epoch: 5, isr: [2, 3] },
        { leader: 3, epoch: 5, isr: [2, 3] },
      ],
    );
    const [p] = await topicPartitions(call(nodes), "t");
    assert.equal(p!.leader, 3);
    assert.equal(p!.leaderEpoch, 5);
    assert.deepEqual(p!.isr, [2, 3]);
    const leader = await kafkaNodeSelectors.leader!.resolve({ ...call(nodes), args: { topic: "t" } });
    assert.equal(leader.node, 3);
  });
});
