// The Kafka parts of the spec surface at load time: kafka_ready(), error(code=/api=/message=),
// disconnect(), times=/after= — what they record, and the load errors for wrong uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import "../../src/index.js";
import { loadStarlarkSpec } from "../../src/spec/load.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { createApi } from "../../src/core/define.js";
import { SpecError } from "../../src/core/errors.js";
import { closestKafkaErrorNames, toKafkaRule } from "../../src/protocols/kafka/plugin/index.js";

const KAFKA_SVC = 'svc = service("k", "/bin/true", interface("main", "kafka", 9092))\n';
const HTTP_SVC = 'web = service("web", "/bin/true", interface("main", "http", 8080))\n';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fb-kafka-builtins-"));
  writeFileSync(join(dir, "faultbox.star"), text);
  return join(dir, "faultbox.star");
}

const load = (text: string) => loadStarlarkSpec(write(text));

async function loadError(text: string): Promise<SpecError> {
  try {
    await load(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err;
  }
  throw new Error("expected a load error");
}

const rules = (...r: string[]) => `f = fault_assumption("f", target = svc.main, rules = [${r.join(", ")}])\n`;

test("kafka_ready() is a healthcheck of the kafka plugin's probe: default 120s, optional address", async () => {
  const b = await load(
    'a = service("a", "/bin/true", interface("main", "kafka", 9092), healthcheck = kafka_ready())\n' +
      'b = service("b", "/bin/true", interface("main", "kafka", 9093), healthcheck = kafka_ready("localhost:9093", timeout = "5s"))\n',
  );
  const [a, bb] = b.suite.services;
  assert.deepEqual(a!.healthcheck, {
    kind: "protocol",
    protocol: "kafka",
    name: "kafka_ready",
    timeoutMs: 120_000,
  });
  assert.deepEqual(bb!.healthcheck, {
    kind: "protocol",
    protocol: "kafka",
    name: "kafka_ready",
    addr: "localhost:9093",
    timeoutMs: 5_000,
  });
});

test("kafka_ready(): unknown keywords, bad timeouts and addresses without a port are load errors", async () => {
  const e1 = await loadError('h = kafka_ready(timeot = "5s")\n');
  assert.match(e1.message, /kafka_ready: unexpected keyword argument timeot \(did you mean timeout\?\)/);
  assert.equal(e1.location?.line, 1);
  const e2 = await loadError('h = kafka_ready(timeout = "soon")\n');
  assert.match(e2.message, /kafka_ready\(timeout=\)/);
  const e3 = await loadError('h = kafka_ready("localhost")\n');
  assert.match(e3.message, /kafka_ready\(\): address "localhost" has no port/);
  const e4 = await loadError("h = kafka_ready(9092)\n");
  assert.match(e4.message, /kafka_ready\(\): addr must be a string, got 9092/);
});

test("error(code=) takes a Kafka error name or number; api=, partition=, times=, after= load for kafka", async () => {
  await load(
    KAFKA_SVC +
      rules(
        'error(topic = "t", code = "NOT_LEADER_OR_FOLLOWER")',
        'error(topic = "t", code = "topic_authorization_failed", api = "produce", partition = 0)',
        'error(topic = "t", code = 29, times = 1, after = 2)',
        'error(topic = "t", message = "REQUEST_TIMED_OUT")',
        'disconnect(topic = "t", times = 1)',
        'drop(topic = "t", after = 3)',
        'delay(topic = "t", api = "fetch", delay = "1s", times = 2)',
        'duplicate(topic = "t", times = 1)',
        'drop(topic = "t", client_id = "billing-*")',
      ),
  );
  const e = await loadError(
    HTTP_SVC + 'f = fault_assumption("f", target = web.main, rules = [drop(path = "/x", client_id = "c")])\n',
  );
  assert.match(e.message, /http drop rules match on method, path, not client_id=/);
});

test("an unknown Kafka error name is a load error naming the closest valid names", async () => {
  const e = await loadError(KAFKA_SVC + rules('error(topic = "t", code = "NOT_LEADER")'));
  assert.match(
    e.message,
    /error\(topic="t", code="NOT_LEADER"\): unknown Kafka error "NOT_LEADER"; did you mean NOT_LEADER_OR_FOLLOWER, /,
  );
  assert.equal(e.location?.line, 2);
  // message= (the older way to write it) is checked the same way.
  const e2 = await loadError(KAFKA_SVC + rules('error(topic = "t", message = "TOPIC_AUTHORISATION_FAILED")'));
  assert.match(
    e2.message,
    /unknown Kafka error "TOPIC_AUTHORISATION_FAILED"; did you mean TOPIC_AUTHORIZATION_FAILED/,
  );
  const e3 = await loadError(KAFKA_SVC + rules('error(topic = "t")'));
  assert.match(e3.message, /a kafka error rule needs code=/);
  assert.deepEqual(closestKafkaErrorNames("request timed out", 1), ["REQUEST_TIMED_OUT"]);
  // A misspelt start of a long name suggests that name (not short names at a smaller edit distance).
  assert.deepEqual(closestKafkaErrorNames("NOT_LEADR", 1), ["NOT_LEADER_OR_FOLLOWER"]);
  assert.deepEqual(closestKafkaErrorNames("not_enough_replica", 1), ["NOT_ENOUGH_REPLICAS"]);
  assert.deepEqual(closestKafkaErrorNames("COORDINATOR_NOT_AVALABLE", 1), ["COORDINATOR_NOT_AVAILABLE"]);
});

test("rule constructors reject unknown keywords by name and bad counts", async () => {
  const e1 = await loadError('r = error(topic = "t", cod = "X")\n');
  assert.match(
    e1.message,
    /error\(\): unknown keyword argument "cod"; valid: .*status, message, code, times, after/,
  );
  const e2 = await loadError('r = disconnect(topik = "t")\n');
  assert.match(e2.message, /disconnect\(\): unknown keyword argument "topik"; valid: method/);
  const e3 = await loadError('r = drop(topic = "t", times = -1)\n');
  assert.match(e3.message, /drop\(\): times= must be a non-negative int, got -1/);
  const e4 = await loadError('r = drop(topic = "t", after = "2")\n');
  assert.match(e4.message, /drop\(\): after= must be a non-negative int, got "2"/);
  const e5 = await loadError('r = disconnect("t")\n');
  assert.match(e5.message, /disconnect\(\) takes keyword arguments only/);
});

test("disconnect() and times= are rejected clearly for protocols whose proxy lacks them; HTTP error() still loads", async () => {
  const e1 = await loadError(
    HTTP_SVC + 'f = fault_assumption("f", target = web.main, rules = [disconnect(path = "/x")])\n',
  );
  assert.match(e1.message, /disconnect\(path="\/x"\): protocol "http" supports .* rules, not disconnect/);
  const e2 = await loadError(
    HTTP_SVC +
      'f = fault_assumption("f", target = web.main, rules = [error(path = "/x", status = 503, times = 1)])\n',
  );
  assert.match(e2.message, /the http proxy does not implement times= \(count limits work on kafka rules\)/);
  const e3 = await loadError(
    HTTP_SVC +
      'f = fault_assumption("f", target = web.main, rules = [error(api = "produce", status = 503)])\n',
  );
  assert.match(e3.message, /http error rules match on .*, not api=/);
  await load(
    HTTP_SVC +
      'f = fault_assumption("f", target = web.main, rules = [error(path = "/x", status = 503, message = "down")])\n',
  );
});

test("the spec's rule values reach the Kafka proxy rule: code, api alias, partition, times, after", () => {
  const b = new SpecBuilder("/tmp/x.star", {
    repr: (v) => JSON.stringify(v),
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const r = toKafkaRule(
    b.proxyRule(
      "error",
      { topic: "t", api: "fetch,produce", partition: "2" },
      { code: "not_leader_or_follower", times: 1, after: 2 },
    ),
  );
  assert.deepEqual(r.disposition, { kind: "error", code: 6 });
  assert.deepEqual(r.match, { topic: "t", api: ["fetch", "produce"], partition: 2, times: 1, after: 2 });
  assert.deepEqual(toKafkaRule(b.proxyRule("error", { topic: "t" }, { code: 29 })).disposition, {
    kind: "error",
    code: 29,
  });
  assert.deepEqual(toKafkaRule(b.proxyRule("error", { topic: "t" }, { code: "29" })).disposition, {
    kind: "error",
    code: 29,
  });
  const legacy = toKafkaRule(b.proxyRule("error", { method: "produce" }, { message: "REQUEST_TIMED_OUT" }));
  assert.deepEqual(legacy.disposition, { kind: "error", code: 7 });
  assert.equal(legacy.match.api, "produce");
  const d = toKafkaRule(b.proxyRule("disconnect", { topic: "t" }, { times: 1 }));
  assert.equal(d.kind, "disconnect");
  assert.equal(d.match.times, 1);
});

test("the TypeScript API's rules: error(code=, times=) and disconnect() reach the Kafka proxy rule", () => {
  const b = new SpecBuilder("/tmp/x.spec.ts", {
    repr: (v) => JSON.stringify(v),
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  const e = toKafkaRule(fb.rules.error({ topic: "t", code: "NOT_LEADER_OR_FOLLOWER", times: 1 }));
  assert.deepEqual(e.disposition, { kind: "error", code: 6 });
  assert.deepEqual(e.match, { topic: "t", times: 1 });
  const d = toKafkaRule(fb.rules.disconnect({ topic: "t", after: 2 }));
  assert.equal(d.kind, "disconnect");
  assert.deepEqual(d.match, { topic: "t", after: 2 });
  assert.throws(() => fb.rules.disconnect({ times: -1 }), /times= must be a non-negative integer, got -1/);
});
