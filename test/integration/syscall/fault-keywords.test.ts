// The keywords docs/syscall.md documents for deny()/delay() (probability= in both grammars,
// max_fires=, label=), probability on proxy rules, and fault windows that report matched and fired
// separately: `faultbox test` of specs/fault-keywords.star, whose service makes exactly N write(2)
// calls on its data file per request.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaultWindowRecord } from "../../../src/core/results.js";
import { syscallFaultsSupported } from "../../../src/syscall/index.js";

const support = syscallFaultsSupported();
const skip = support.ok ? false : support.reason;
const bin = new URL("../../../bin/faultbox.js", import.meta.url).pathname;
const spec = new URL("./specs/fault-keywords.star", import.meta.url).pathname;

// fault_windows in the JSON has the shape of core's record.
interface JsonTest {
  name: string;
  result: string;
  reason?: string;
  fault_windows?: (FaultWindowRecord & { opened_at?: string; closed_at?: string })[];
}

function faultbox(args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
}

test("deny/delay keywords, probability forms and matched vs fired counts", { skip, timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-fault-keywords-"));
  try {
    const out = join(dir, "result.json");
    const r = faultbox(["test", spec, "--seed", "3", "--output", out]);
    const json = JSON.parse(readFileSync(out, "utf8")) as { tests: JsonTest[] };
    const byName = new Map(json.tests.map((t) => [t.name, t]));
    for (const t of json.tests) assert.equal(t.result, "pass", `${t.name}: ${t.reason}\n${r.stdout}`);
    assert.equal(r.status, 0, r.stderr);
    // A window's opened_at/closed_at are wall-clock moments: checked ordered, then left out.
    const window = (name: string, i = 0) => {
      const { opened_at, closed_at, ...w } = byName.get(name)!.fault_windows![i]!;
      assert.ok(Date.parse(opened_at!) <= Date.parse(closed_at!), `${name}: ${opened_at} .. ${closed_at}`);
      return w;
    };

    // probability=0 matches every write and faults none: matched 16, fired 0.
    assert.deepEqual(window("test_probability_zero_never_fires"), {
      assumption: "never",
      target: "app",
      rules: [{ rule: 'data=deny("EIO", probability=0)', matched: 16, fired: 0 }],
      matched: 16,
      fired: 0,
    });
    // "50%" fires on some of the 40 writes (seeded), and the counts say which.
    const half = window("test_half_of_the_writes_fail");
    assert.equal(half.matched, 40);
    assert.ok(half.fired > 0 && half.fired < 40, JSON.stringify(half));
    // max_fires=1 per window: two windows, one fire each.
    const once = byName.get("test_max_fires_one_fails_one_write")!.fault_windows!;
    assert.deepEqual(
      once.map((w) => [w.matched, w.fired]),
      [
        [10, 1],
        [10, 1],
      ],
    );
    assert.deepEqual([window("test_delay_max_fires").matched, window("test_delay_max_fires").fired], [5, 2]);
    // allow(): counted as matched, never fires, and is not reported as a fault that never fired.
    assert.deepEqual(window("test_allow_matches_and_never_fires").rules, [
      { rule: "data=allow()", matched: 6, fired: 0 },
    ]);
    assert.doesNotMatch(r.stdout, /data=allow\(\) on "app" never fired/);
    assert.equal(window("test_errno_in_any_case").fired, 2);
    // Proxy rules: matched and fired from the proxy's counters.
    assert.deepEqual(window("test_proxy_probability_zero_never_fires").rules, [
      { rule: "error(status=503, probability=0)", matched: 10, fired: 0 },
    ]);
    const proxyHalf = window("test_proxy_probability_percent");
    assert.equal(proxyHalf.matched, 30);
    assert.ok(proxyHalf.fired > 0 && proxyHalf.fired < 30, JSON.stringify(proxyHalf));

    // The console names both counts where they differ.
    const summary = r.stdout.slice(r.stdout.indexOf("Summary:"));
    assert.match(summary, /test_probability_zero_never_fires\s+never \(not fired, 16 matched\)\s+PASS/);
    assert.match(summary, /test_max_fires_one_fails_one_write\s+once \(fired 2 of 20 matched\)\s+PASS/);
    assert.match(r.stdout, /never fired \(16 syscalls matched it, none was faulted\)/);

    // The HTML report has a matched column next to fired.
    const html = join(dir, "report.html");
    const h = faultbox([
      "test",
      spec,
      "--seed",
      "3",
      "--test",
      "probability_zero_never_fires",
      "--html",
      html,
    ]);
    assert.equal(h.status, 0, h.stderr + h.stdout);
    assert.match(
      readFileSync(html, "utf8"),
      /<th[^>]*>matched<\/th><th[^>]*>fired<\/th>.*<td>16<\/td><td class="warn">0<\/td>/s,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a probability out of range or ambiguous is a load error with the spec line", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-probability-"));
  try {
    const cases: [string, RegExp][] = [
      ['deny("EIO", probability=50)', /:3: deny\(probability=\): 50 is ambiguous .*write "50%" or 0\.5/],
      ['deny("EIO", probability=1.5)', /:3: deny\(probability=\): 1\.5 is above 1/],
      ['deny("EIO", probability="150%")', /:3: deny\(probability=\): "150%" is more than 100%/],
      ['delay("1s", max_fires=0)', /:3: delay\(max_fires=\): must be an integer above 0, got 0/],
    ];
    for (const [fault, message] of cases) {
      const file = join(dir, "bad.star");
      writeFileSync(
        file,
        `w = service("w", "sh", args = ["-c", "sleep 100"])\n\na = fault_assumption("a", target = w, write = ${fault})\n\ndef test_x():\n    pass\n`,
      );
      const r = faultbox(["check", file]);
      assert.equal(r.status, 1, `${fault}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, message);
    }
    const proxy = join(dir, "proxy.star");
    writeFileSync(
      proxy,
      'i = interface("main", "http", 0)\ns = service("s", "sh", i, args = ["-c", "sleep 100"])\nf = fault_assumption("f", target = s.main, rules = [error(status = 503, probability = 25)])\n\ndef test_x():\n    pass\n',
    );
    const r = faultbox(["check", proxy]);
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /:3: error\(probability=\): 25 is ambiguous .*"25%" or 0\.25/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
