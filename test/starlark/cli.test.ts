import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const testdata = new URL("./testdata/", import.meta.url).pathname;

function faultbox(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
}

test("cli: faultbox starlark FILE runs a file; load() is relative to it", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-starlark-"));
  try {
    writeFileSync(join(dir, "lib.star"), "def twice(x):\n    return 2 * x\n");
    writeFileSync(join(dir, "main.star"), 'load("lib.star", "twice")\nprint("result:", twice(21))\n');
    const r = faultbox("starlark", join(dir, "main.star"));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "result: 42\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cli: faultbox starlark FILE prints a positioned error with the source line and exits 1", () => {
  const dir = mkdtempSync(join(tmpdir(), "fb-starlark-"));
  try {
    const file = join(dir, "bad.star");
    writeFileSync(file, "def f(x):\n    return x.nme\nf(struct(name = 1))\n");
    const r = faultbox("starlark", file);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /bad\.star:2:13: struct has no \.nme attribute \(did you mean \.name\?\)\n {4}return x\.nme\n {12}\^/,
    );
    assert.match(r.stderr, /Traceback \(most recent call last\):/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("cli: faultbox starlark --test runs chunks and prints a summary", () => {
  const r = faultbox("starlark", "--test", join(testdata, "chunked.star"));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS .*chunked\.star:1\n/);
  assert.match(r.stdout, /\n5 passed, 0 failed\n$/);
});

test("cli: faultbox starlark --test reports each failing chunk and exits 2", () => {
  const r = faultbox("starlark", "--test", join(testdata, "chunked_failing.star"));
  assert.equal(r.status, 2);
  assert.match(
    r.stdout,
    /FAIL .*chunked_failing\.star:1\n {2}assertion failed: .*chunked_failing\.star:2: 1 != 2/,
  );
  assert.match(
    r.stdout,
    /FAIL .*chunked_failing\.star:5\n {2}.*:5: expected error matching an error that never happens/,
  );
  assert.match(
    r.stdout,
    /FAIL .*chunked_failing\.star:8\n {2}unexpected error: .*:8:7: floored division by zero/,
  );
  assert.match(r.stdout, /PASS .*chunked_failing\.star:11/);
  assert.match(r.stdout, /1 passed, 3 failed\n$/);
});

test("cli: faultbox starlark with bad arguments is a usage error", () => {
  assert.equal(faultbox("starlark").status, 1);
  const r = faultbox("starlark", "/nonexistent/x.star");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot read \/nonexistent\/x\.star/);
});
