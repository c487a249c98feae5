import { test } from "node:test";
import assert from "node:assert/strict";
import type { SuiteResult, TestResult } from "../../src/core/results.js";
import { escapeHtml, toHtml } from "../../src/report/html.js";

function testResult(over: Partial<TestResult>): TestResult {
  return {
    name: "test_x",
    result: "pass",
    seed: "1",
    durationMs: 12,
    assertions: 1,
    warnings: [],
    events: [],
    faults: [],
    ...over,
  };
}

function suite(tests: TestResult[], over: Partial<SuiteResult> = {}): SuiteResult {
  return {
    file: "/tmp/spec/faultbox.star",
    seed: "42",
    durationMs: 1500,
    pass: tests.filter((t) => t.result === "pass").length,
    fail: tests.filter((t) => t.result === "fail" || t.result === "error").length,
    inconclusive: tests.filter((t) => t.result === "inconclusive").length,
    tests,
    warnings: [],
    notRun: [],
    ...over,
  };
}

test("escapeHtml escapes every character that could open markup or leave an attribute", () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&</a>`),
    "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
  );
});

test("text from specs, services and events is escaped: a service cannot inject markup into the report", () => {
  const evil = `<script>alert("x")</script>`;
  const html = toHtml(
    suite([
      testResult({
        name: "test_evil",
        result: "fail",
        reason: `assert failed: ${evil}`,
        failureType: "assertion",
        events: [
          { seq: 1, time: "2026-01-01T00:00:00.000Z", type: "stdout", service: "api", data: { line: evil } },
          {
            seq: 2,
            time: "2026-01-01T00:00:00.250Z",
            type: "proxy",
            service: "api",
            data: { action: "error" },
          },
        ],
        serviceOutput: { service: "api", lines: [evil] },
      }),
    ]),
    "/tmp/spec",
  );
  // Only the report's own script element exists.
  assert.equal((html.match(/<script>/g) ?? []).length, 1);
  assert.ok(!html.includes(evil));
  assert.match(html, /assert failed: &lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  // Event times are relative to the test's first event; the type filter lists each type once.
  assert.match(html, /<td>2<\/td><td>\+250 ms<\/td><td>proxy<\/td>/);
  assert.match(html, /<option value="">all \(2\)<\/option><option>proxy<\/option><option>stdout<\/option>/);
  assert.match(html, /replay: <code>faultbox test faultbox\.star --test evil --seed 1<\/code>/);
});

test("the matrix shows one cell per scenario and fault, excluded cells marked, and fault windows with firings", () => {
  const cell = (scenario: string, fault: string, result: TestResult["result"], reason?: string) =>
    testResult({
      name: `test_matrix_${scenario}_${fault}`,
      result,
      reason,
      matrix: { scenario, fault },
      faultWindows: [
        {
          assumption: fault,
          target: "kafka.main",
          rules: [{ rule: 'drop(topic="orders")', fired: result === "pass" ? 0 : 3 }],
          fired: result === "pass" ? 0 : 3,
        },
      ],
    });
  const html = toHtml(
    suite(
      [
        cell("order", "kafka_drop", "fail", "lost message"),
        cell("order", "db_eio", "pass"),
        cell("refund", "kafka_drop", "pass"),
      ],
      {
        matrix: {
          scenarios: ["order", "refund"],
          faults: ["kafka_drop", "db_eio"],
          excluded: [{ scenario: "refund", fault: "db_eio" }],
        },
      },
    ),
  );
  assert.match(
    html,
    /<tr><th>order<\/th><td class="fail" title="lost message">FAILED<\/td><td class="pass">PASS<\/td><\/tr><tr><th>refund<\/th><td class="pass">PASS<\/td><td class="skip">excluded<\/td><\/tr>/,
  );
  // matched is unknown for this window (no "matched" in its JSON): a dash, then fired.
  assert.match(
    html,
    /<td><code>drop\(topic=&quot;orders&quot;\)<\/code><\/td><td>—<\/td><td class="">3<\/td>/,
  );
  // A window whose rule never fired is highlighted.
  assert.match(html, /<td class="warn">0<\/td>/);
  assert.match(html, /<title>faultbox: [^<]*faultbox\.star \(2 passed, 1 failed\)<\/title>/);
});

test("interrupted runs list the tests not run, and suite warnings appear", () => {
  const html = toHtml(
    suite([testResult({})], { notRun: ["test_b", "test_c"], warnings: ["fault f never fired"] }),
  );
  assert.match(html, /not run \(interrupted\): test_b, test_c/);
  assert.match(html, /<p class="warn">fault f never fired<\/p>/);
  assert.match(html, /<td><b>2<\/b> not run<\/td>/);
});
