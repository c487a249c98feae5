// The kafka interface's step methods, called by specs as kafka.broker.publish(...) / consume(...).
// Both go through the interface's proxy (call.target), so the fault rules of a window apply to them.
import type { EachBatchPayload, RecordMetadata } from "kafkajs";
import { SpecError } from "../../../core/errors.js";
import { parseDuration } from "../../../core/duration.js";
import type { StepCall, StepMethod, StepOutcome } from "../../../core/protocol.js";
import { kafkaErrorName } from "../wire/errors.js";
import { dropProducer, kafkaClient, stepProducer, trackClient } from "./clients.js";
import { quorumState, topicPartitions } from "./node-selectors.js";
import { saslFromEnv } from "./sasl.js";

const DEFAULT_CONSUME_TIMEOUT_MS = 10_000;
const JOIN_TIMEOUT_MS = 30_000;

/** A string keyword argument, or `fallback` when absent. */
function text(call: StepCall, name: string, fallback: string): string {
  const v = call.args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "string") {
    throw new SpecError(`kafka: ${name}= must be a string, got ${typeof v} (${JSON.stringify(v)})`);
  }
  return v;
}

function requireTopic(call: StepCall, method: string): string {
  const topic = call.args.topic;
  if (typeof topic !== "string" || topic === "") {
    throw new SpecError(`kafka.${method} requires topic= argument (a non-empty string)`);
  }
  return topic;
}

function outcome(data: Record<string, unknown>, fields: Record<string, unknown> = {}): StepOutcome {
  return { ok: true, body: JSON.stringify(data), data, fields };
}

const PUBLISH_RETRIES = 5;
const RETRY_INITIAL_MS = 200;
const RETRY_MAX_MS = 2000;
/** Kafka errors a broker answers with after it appended the batch (replication did not finish in time). */
const APPENDED_ERRORS = new Set([7 /* REQUEST_TIMED_OUT */, 20 /* NOT_ENOUGH_REPLICAS_AFTER_APPEND */]);

/** acks= of publish: "all" (the default, as -1), 1 (the leader alone) or 0 (no answer at all). */
function acksOf(call: StepCall): number {
  const v = call.args.acks;
  if (v === undefined || v === null || v === "all" || v === -1 || v === "-1") return -1;
  if (v === 1 || v === "1") return 1;
  if (v === 0 || v === "0") return 0;
  throw new SpecError(`kafka.publish: acks= must be "all", 1 or 0, got ${JSON.stringify(v)}`);
}

/** The Kafka error code the broker (or a proxy rule) answered an attempt with, if it answered. */
function answeredCode(err: unknown): number | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if ((e as { name?: unknown }).name === "KafkaJSProtocolError") {
      const code = (e as { code?: unknown }).code;
      return typeof code === "number" ? code : undefined;
    }
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * publish(topic=, data=, key="", acks="all"): ok means the broker acknowledged the record (with
 * acks=all by default: every in-sync replica has it; acks=1: the leader has it). Retries
 * transient errors itself (kafkajs's producer does not, see stepProducer) so that a failure knows
 * whether any attempt may have been written: only when every attempt was answered with an error that
 * means "not appended" is the failure `definite` in the step_recv event.
 */
async function publish(call: StepCall): Promise<StepOutcome> {
  const topic = requireTopic(call, "publish");
  const value = text(call, "data", "");
  const key = text(call, "key", "");
  const acks = acksOf(call);
  const sasl = saslFromEnv(call.serviceEnv, call.service);
  let mayBeWritten = false;
  try {
    const producer = await stepProducer(call.target, sasl);
    let meta: RecordMetadata | undefined;
    for (let attempt = 0, backoff = RETRY_INITIAL_MS; ; attempt++) {
      try {
        [meta] = await producer.send({
          topic,
          acks,
          timeout: 30_000,
          messages: [{ key: key === "" ? null : key, value }],
        });
        break;
      } catch (err) {
        const code = answeredCode(err);
        if (code === undefined || APPENDED_ERRORS.has(code)) mayBeWritten = true;
        // kafkajs gives up on a retriable error with KafkaJSNumberOfRetriesExceeded (it retries 0 times).
        const retriable = (err as Error).name === "KafkaJSNumberOfRetriesExceeded";
        if (!retriable || attempt >= PUBLISH_RETRIES || call.signal.aborted) throw err;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, RETRY_MAX_MS);
      }
    }
    const data: Record<string, unknown> = { published: true, topic };
    if (meta && meta.partition >= 0) data.partition = meta.partition;
    const offset = meta?.baseOffset !== undefined ? Number(meta.baseOffset) : -1;
    if (offset >= 0 && Number.isSafeInteger(offset)) data.offset = offset;
    // The record itself goes into the event too: the history checker identifies records by key and value.
    // The record itself goes into the event too (the history checker identifies records by key and
    // value), and acks when not "all" (an acks=0 "success" tells nothing).
    return outcome(data, {
      topic,
      key,
      value,
      ...(acks !== -1 ? { acks } : {}),
      ...(data.partition !== undefined ? { partition: data.partition } : {}),
      ...(data.offset !== undefined ? { offset: data.offset } : {}),
    });
  } catch (err) {
    // A producer whose connection broke is not reused: the next step starts clean.
    dropProducer(call.target, sasl);
    return {
      ok: false,
      error: `kafka publish to "${topic}" failed: ${failureText(err)}`,
      fields: { topic, key, value, ...(acks !== -1 ? { acks } : {}), definite: !mayBeWritten },
    };
  }
}

/**
 * kafkajs's message with the broker's Kafka error name in front when there is one
 * ("TOPIC_AUTHORIZATION_FAILED: Not authorized to access topics ..."), so a spec can check which error
 * an error(code=...) rule injected. The code is found on the error or on its causes (retries exhausted).
 */
function failureText(err: unknown): string {
  const message = (err as Error).message;
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "number") {
      const name = kafkaErrorName(code);
      return message.includes(name) ? message : `${name}: ${message}`;
    }
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return message;
}

interface Consumed {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/**
 * consume(topic=, group=, timeout="10s"): one record, committing only that record's offset for the
 * group, so the next consume with the same group gets the next record. The default group is scoped to
 * the run and the test: a constant group would resume where an earlier test or run stopped.
 */
async function consume(call: StepCall): Promise<StepOutcome> {
  const topic = requireTopic(call, "consume");
  const group = text(call, "group", `faultbox-${call.runNonce}`);
  if (group === "") throw new SpecError("kafka.consume: group= must not be empty");
  const rawTimeout = call.args.timeout;
  let timeoutMs = DEFAULT_CONSUME_TIMEOUT_MS;
  if (rawTimeout !== undefined) {
    try {
      timeoutMs = parseDuration(rawTimeout as string | number, "kafka.consume(timeout=)");
    } catch (err) {
      throw new SpecError((err as Error).message);
    }
  }
  let finished = false;
  const consumer = kafkaClient(
    call.target,
    "faultbox-step",
    saslFromEnv(call.serviceEnv, call.service),
  ).consumer({
    groupId: group,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: true,
    retry: {
      retries: 10,
      initialRetryTime: 100,
      maxRetryTime: 1000,
      // Never restart once the step is over: a consumer must not outlive its step.
      restartOnFailure: async () => !finished,
    },
  });
  const untrack = trackClient(consumer, call.target);
  let got: Consumed | undefined;
  let resolveGot!: () => void;
  const gotOne = new Promise<void>((r) => (resolveGot = r));
  let failure: Error | undefined;
  let joinedYet = false;
  const joined = new Promise<void>((resolve) =>
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joinedYet = true;
      resolve();
    }),
  );
  // kafkajs restarts a consumer after retriable errors (a group coordinator still loading right after
  // the broker started); only a crash it will not recover from ends the step early.
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart) return;
    failure = e.payload.error;
    resolveGot();
  });
  try {
    await consumer.connect();
    // A topic created by this very request (auto-creation) has no leader for a moment: retry.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        break;
      } catch (err) {
        if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        const m = batch.messages[0];
        if (got || !m) return;
        got = {
          topic: batch.topic,
          partition: batch.partition,
          offset: Number(m.offset),
          key: m.key ? m.key.toString("utf8") : "",
          value: m.value ? m.value.toString("utf8") : "",
        };
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(m.offset) + 1n).toString() },
        ]);
        resolveGot();
      },
    });
    const onAbort = () => resolveGot();
    call.signal.addEventListener("abort", onAbort);
    // timeout= bounds the wait for a message once the consumer is in its group; joining (slow while a
    // fresh broker creates its offsets topic) has its own, longer bound.
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number) => new Promise<void>((r) => timers.push(setTimeout(r, ms)));
    await Promise.race([gotOne, joined, after(JOIN_TIMEOUT_MS)]);
    if (!got && !failure && !joinedYet) {
      failure = new Error(`the consumer did not join group "${group}" within ${JOIN_TIMEOUT_MS}ms`);
    } else await Promise.race([gotOne, after(timeoutMs)]);
    timers.forEach(clearTimeout);
    call.signal.removeEventListener("abort", onAbort);
  } catch (err) {
    failure = err as Error;
  } finally {
    finished = true;
    await consumer.disconnect().catch(() => undefined);
    untrack();
  }
  if (got) {
    return outcome({ ...got }, { ...got, group });
  }
  if (failure) return { ok: false, error: `kafka consume from "${topic}" failed: ${failureText(failure)}` };
  return {
    ok: false,
    error: `kafka consume from "${topic}" (group "${group}"): no message arrived within ${timeoutMs}ms`,
  };
}

/**
 * metadata(topic=): the topic's partitions as the cluster's Metadata reports them now, through the
 * proxy: `{"topic", "partitions": [{"partition", "leader", "leader_epoch", "replicas", "isr"}]}`.
 * For specs that wait for a leader to move or a follower to leave the ISR.
 */
async function metadata(call: StepCall): Promise<StepOutcome> {
  const topic = requireTopic(call, "metadata");
  try {
    const partitions = await topicPartitions(call, topic);
    return outcome(
      {
        topic,
        partitions: partitions.map((p) => ({
          partition: p.partition,
          leader: p.leader,
          leader_epoch: p.leaderEpoch,
          replicas: p.replicas,
          isr: p.isr,
        })),
      },
      { topic },
    );
  } catch (err) {
    return { ok: false, error: `kafka metadata of "${topic}": ${(err as Error).message}` };
  }
}

/**
 * quorum(): the KRaft metadata quorum as the cluster reports it now, through the proxy:
 * `{"leader", "leader_epoch", "voters", "observers", "high_watermark", "views"}`; `leader` is the
 * active controller, `views` what each broker answered (`{"node", "leader", "leader_epoch"}` or
 * `{"node", "error"}`). For specs that wait for a new controller to be elected.
 */
async function quorum(call: StepCall): Promise<StepOutcome> {
  try {
    const q = await quorumState(call);
    return outcome(
      {
        leader: q.leader,
        leader_epoch: q.leaderEpoch,
        voters: q.voters,
        observers: q.observers,
        high_watermark: q.highWatermark,
        // What each broker said, so a spec can tell a stale view from a broker that did not answer.
        views: q.views.map((v) =>
          "error" in v
            ? { node: v.node, error: v.error }
            : { node: v.node, leader: v.leader, leader_epoch: v.leaderEpoch },
        ),
      },
      {},
    );
  } catch (err) {
    return { ok: false, error: `kafka quorum: ${(err as Error).message}` };
  }
}

export const kafkaSteps: Record<string, StepMethod> = {
  publish: { params: ["topic", "data", "key", "acks"], required: ["topic"], run: publish },
  consume: { params: ["topic", "group", "timeout"], required: ["topic"], run: consume },
  metadata: { params: ["topic"], required: ["topic"], run: metadata },
  quorum: { params: [], run: quorum },
};
