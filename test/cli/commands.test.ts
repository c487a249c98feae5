import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;

function faultbox(args: string[], cwd = root) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd });
}

test("faultbox check loads a spec without running it and lists its tests", () => {
  const r = faultbox(["check", "examples/http-basic/faultbox.star"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ok {2}examples\/http-basic\/faultbox\.star — 2 service\(s\), 6 test\(s\)/m);
  assert.match(r.stdout, /test_matrix_place_order_inventory_down/);
  const json = JSON.parse(
    faultbox(["check", "examples/http-basic/faultbox.spec.ts", "--format", "json"]).stdout,
  );
  assert.equal(json.ok, true);
  assert.deepEqual(json.services, ["inventory", "api"]);
});

test("faultbox check reports a spec error with file, line and code (exit 1)", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-check-"));
  writeFileSync(
    join(dir, "faultbox.star"),
    'a = 1\nsvc = service("svc", "/bin/true", healthcheck = "tcp")\n',
  );
  const r = faultbox(["check", join(dir, "faultbox.star")]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^error: \[SPEC_LOAD_FAILED\] .*faultbox\.star:2: service\(\) healthcheck must be a tcp\(\), http\(\) or ready\(\) value, got "tcp"/,
  );
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace from our internals");
});

test("usage errors exit 1 naming the problem", () => {
  assert.match(
    faultbox(["test", "examples/http-basic/faultbox.star", "--frobnicate"]).stderr,
    /unknown flag: --frobnicate/,
  );
  assert.equal(faultbox(["test", "examples/http-basic/faultbox.star", "--seed", "abc"]).status, 1);
  assert.match(
    faultbox(["test", "examples/http-basic/faultbox.star", "--format=xml"]).stderr,
    /--format must be text or json/,
  );
  // A report path that cannot be written is refused before the run, not after minutes of tests.
  const noDir = faultbox(["test", "examples/http-basic/faultbox.star", "--html", "/nonexistent-dir/r.html"]);
  assert.equal(noDir.status, 1);
  assert.match(noDir.stderr, /--html \/nonexistent-dir\/r\.html: directory \/nonexistent-dir does not exist/);
  assert.doesNotMatch(noDir.stdout + noDir.stderr, /Seed:/, "nothing ran");
  const isDir = faultbox(["test", "examples/http-basic/faultbox.star", "--junit", tmpdir()]);
  assert.equal(isDir.status, 1);
  assert.match(isDir.stderr, /--junit .* is a directory; give a file name/);
  const missing = faultbox(["test", "nope.star"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /spec file not found: nope\.star/);
});

test("faultbox init writes a starter spec that loads, and never overwrites", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-init-"));
  const r = faultbox(["init", "./server", "--name", "shop", "--port", "9090"], dir);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(join(dir, "faultbox.star"), "utf8");
  assert.match(text, /shop = service\("shop", "\.\/server",\n {4}interface\("main", "http", 9090\)/);
  assert.match(text, /def test_health_check\(\):/);
  // The starter names ./server, which does not exist yet: check says so (a set-up error), then passes.
  const missing = faultbox(["check", "faultbox.star"], dir);
  assert.equal(missing.status, 1);
  assert.match(
    missing.stderr,
    /SETUP_ERROR\] faultbox\.star:\d+: service "shop": binary "\.\/server" not found/,
  );
  writeFileSync(join(dir, "server"), "#!/bin/sh\n", { mode: 0o755 });
  const check = faultbox(["check", "faultbox.star"], dir);
  assert.equal(check.status, 0, check.stderr);
  assert.equal(faultbox(["init"], dir).status, 1);
  const tcp = faultbox(["init", "--protocol", "tcp", "--output", "-"], dir);
  assert.match(tcp.stdout, /def test_ping\(\):/);
  assert.equal(existsSync(join(dir, "-")), false);
  assert.match(
    faultbox(["init", "--protocol", "udp", "--output", "-"], dir).stderr,
    /--protocol must be http or tcp/,
  );
});
