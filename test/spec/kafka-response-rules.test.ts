// The response-side Kafka rules in a spec: lose_response(), delay_response(delay=), throttle(time=)
// and blackhole() are builtins because the kafka plugin registers them; `faultbox check` accepts
// them on a Kafka interface, refuses unknown keywords by name, bad values, and other protocols.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import "../../src/index.js";
import { loadStarlarkSpec } from "../../src/spec/load.js";
import { SpecBuilder } from "../../src/core/builder.js";
import { createApi } from "../../src/core/define.js";
import { SpecError } from "../../src/core/errors.js";
import { kafkaProtocol } from "../../src/protocols/kafka/plugin/index.js";
import { toKafkaRule } from "../../src/protocols/kafka/plugin/index.js";
import type { ProxyRule } from "../../src/core/model.js";

const KAFKA_SVC = 'svc = service("k", "/bin/true", interface("main", "kafka", 9092))\n';
const HTTP_SVC = 'web = service("web", "/bin/true", interface("main", "http", 8080))\n';
const rules = (...r: string[]) => `f = fault_assumption("f", target = svc.main, rules = [${r.join(", ")}])\n`;

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fb-kafka-response-rules-"));
  writeFileSync(join(dir, "faultbox.star"), text);
  return join(dir, "faultbox.star");
}

async function loadError(text: string): Promise<SpecError> {
  try {
    await loadStarlarkSpec(write(text));
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err;
  }
  throw new Error("expected a load error");
}

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const check = (file: string) => spawnSync(process.execPath, [bin, "check", file], { encoding: "utf8" });

test("the four rules load on a Kafka interface and reach the proxy as written", async () => {
  // The kafka plugin checks each rule of a fault_assumption at load time: record what it is given.
  const seen: ProxyRule[] = [];
  const original = kafkaProtocol.checkRule!;
  kafkaProtocol.checkRule = (rule) => {
    seen.push(rule);
    return original(rule);
  };
  try {
    await loadStarlarkSpec(
      write(
        KAFKA_SVC +
          rules(
            'lose_response(api = "offset_commit", client_id = "billing-*", times = 1)',
            'delay_response(topic = "orders", delay = "2s", after = 1)',
            'throttle(api = "fetch,produce", time = "1500ms", probability = 0.5)',
            'blackhole(client_id = "consumer-2")',
          ),
      ),
    );
  } finally {
    kafkaProtocol.checkRule = original;
  }
  const got = seen.map(toKafkaRule);
  assert.deepEqual(
    got.map((r) => [r.kind, r.requestAction, r.match]),
    [
      ["lose_response", { kind: "lose_response" }, { api: "offset_commit", clientId: "billing-*", times: 1 }],
      ["delay_response", { kind: "delay_response", holdMs: 2000 }, { topic: "orders", after: 1 }],
      ["throttle", { kind: "throttle", throttleMs: 1500 }, { api: ["fetch", "produce"], probability: 0.5 }],
      ["blackhole", { kind: "blackhole" }, { clientId: "consumer-2" }],
    ],
  );
  assert.deepEqual(
    got.map((r) => r.defaultApis),
    [["produce"], ["produce"], ["produce", "fetch"], ["*"]],
  );
});

test("unknown keywords are refused naming the valid ones; positional arguments and missing values too", async () => {
  const e1 = await loadError('r = blackhole(clientid = "c")\n');
  assert.match(
    e1.message,
    /blackhole\(\): unknown keyword argument "clientid"; valid: .*client_id, probability, times, after/,
  );
  assert.equal(e1.location?.line, 1);
  const e2 = await loadError('r = throttle(delay = "1s")\n');
  assert.match(
    e2.message,
    /throttle\(\): unknown keyword argument "delay"; valid: .*probability, time, times, after/,
  );
  const e3 = await loadError('r = delay_response(time = "1s")\n');
  assert.match(
    e3.message,
    /delay_response\(\): unknown keyword argument "time"; valid: .*probability, delay, times/,
  );
  const e4 = await loadError('r = lose_response("produce")\n');
  assert.match(e4.message, /lose_response\(\) takes keyword arguments only/);
  const e5 = await loadError(KAFKA_SVC + rules('delay_response(topic = "t")'));
  assert.match(e5.message, /delay_response\(topic="t"\): delay= is required/);
  const e6 = await loadError(KAFKA_SVC + rules('throttle(time = "0s")'));
  assert.match(e6.message, /throttle\(time=\) must be|time= must be from 1ms/);
  const e7 = await loadError(KAFKA_SVC + rules('throttle(time = "soon")'));
  assert.match(e7.message, /throttle\(time=\): bad duration "soon"/);
  const e8 = await loadError(KAFKA_SVC + rules("lose_response(times = -1)"));
  assert.match(e8.message, /lose_response\(\): times= must be a non-negative int, got -1/);
});

test("on an HTTP interface they are load errors naming what that proxy supports", async () => {
  const e = await loadError(
    HTTP_SVC + 'f = fault_assumption("f", target = web.main, rules = [blackhole(path = "/x")])\n',
  );
  assert.match(e.message, /blackhole\(path="\/x"\): protocol "http" supports .* rules, not blackhole/);
});

test("faultbox check accepts a spec using them (exit 0) and reports a misspelt keyword with its line (exit 1)", () => {
  const ok = check(
    write(
      KAFKA_SVC +
        rules('lose_response(api = "produce")', 'blackhole(client_id = "c2")') +
        "def noop():\n    pass\n" +
        'fault_scenario("s", scenario = noop, faults = f, expect = lambda r: True)\n',
    ),
  );
  assert.equal(ok.status, 0, ok.stderr);
  const bad = check(write(KAFKA_SVC + rules('lose_response(api = "produce")', 'throttle(tme = "1s")')));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /faultbox\.star:2: throttle\(\): unknown keyword argument "tme"/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, "no stack trace from our internals");
});

test("the TypeScript API offers them too", () => {
  const b = new SpecBuilder("/tmp/x.spec.ts", {
    repr: (v) => JSON.stringify(v),
    equals: isDeepStrictEqual,
    truthy: Boolean,
  });
  const fb = createApi(b);
  assert.deepEqual(toKafkaRule(fb.rules.loseResponse({ api: "end_txn", times: 1 })).match, {
    api: "end_txn",
    times: 1,
  });
  assert.deepEqual(toKafkaRule(fb.rules.delayResponse({ delay: "250ms" })).requestAction, {
    kind: "delay_response",
    holdMs: 250,
  });
  assert.deepEqual(toKafkaRule(fb.rules.throttle({ time: "2s", api: "fetch" })).requestAction, {
    kind: "throttle",
    throttleMs: 2000,
  });
  assert.deepEqual(toKafkaRule(fb.rules.blackhole({ client_id: "c", after: 2 })).match, {
    clientId: "c",
    after: 2,
  });
});
