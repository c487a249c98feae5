import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const bin = new URL("../../bin/faultbox.js", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));

function faultbox(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
}

test("--version prints the package version", () => {
  const r = faultbox("--version");
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test("--help lists every subcommand", () => {
  const r = faultbox("--help");
  assert.equal(r.status, 0);
  for (const c of ["test", "check", "init", "starlark"]) assert.match(r.stdout, new RegExp(`faultbox ${c}`));
});

test("an unknown subcommand is a usage error (exit 1) naming it", () => {
  const r = faultbox("frobnicate");
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});
