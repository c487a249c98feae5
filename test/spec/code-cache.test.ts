// The Starlark worker's V8 code cache (src/spec/code-cache.ts), on a small CommonJS bundle run in fresh
// processes the way worker-boot.cjs runs worker.cjs: written after the "load", used by the next process,
// refused and rewritten when damaged or made for another source, never read or written when disabled,
// and never in the way when it cannot be written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { codeCacheFile, readCodeCache, wrappedSource, writeCodeCache } from "../../src/spec/code-cache.js";

const codeCache = new URL("../../src/spec/code-cache.ts", import.meta.url).href;

/** A bundle with some functions to compile, with the banner worker.cjs has (bin/build-bundle.js). */
const bundleSource = (variant: string) => `"use strict";
var __faultboxImportMetaUrl = require("node:url").pathToFileURL(__filename).href;
const { basename } = require("node:path");
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
function words(s) { return s.split(/\\s+/).filter(Boolean).map((w) => w.toUpperCase()); }
module.exports = { variant: ${JSON.stringify(variant)}, url: __faultboxImportMetaUrl, base: basename(__filename), fib, words };
`;

/**
 * Runs the bundle in a fresh process: loads it with the cache, calls the functions (the "load"), then
 * the hook the worker calls, and prints what happened.
 */
function runFresh(bundle: string, env: Record<string, string> = {}, sourceMaps = false) {
  // tsx, which runs these children, turns source maps on: set them as the case wants.
  const script = `process.setSourceMapsEnabled(${sourceMaps});
const { codeCacheFile, runWithCodeCache, WORKER_LOADED_HOOK } = await import(${JSON.stringify(codeCache)});
const statuses = [];
const m = runWithCodeCache(${JSON.stringify(bundle)}, (s) => statuses.push(s));
const result = [m.fib(15), m.words("a bc  d").join(",")];
const hooked = typeof globalThis[WORKER_LOADED_HOOK] === "function";
globalThis[WORKER_LOADED_HOOK]?.();
const file = codeCacheFile(${JSON.stringify(bundle)});
console.log(JSON.stringify({ statuses, hooked, result, variant: m.variant, url: m.url, base: m.base, file }));`;
  const out = execFileSync(process.execPath, [...process.execArgv, "--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, FAULTBOX_NO_CODE_CACHE: "", ...env },
  });
  return JSON.parse(out.trim().split("\n").pop()!) as {
    statuses: string[];
    hooked: boolean;
    result: [number, string];
    variant: string;
    url: string;
    base: string;
    /** The cache file this process used (named for its Node version, architecture and flags). */
    file: string;
  };
}

function fixture(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), "faultbox-codecache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, "worker.cjs");
  writeFileSync(bundle, bundleSource("one"));
  return { dir, bundle };
}

/** The cache file the children use for `bundle` (their flags name it: ask one). */
const cacheOf = (bundle: string) => runFresh(bundle, { FAULTBOX_NO_CODE_CACHE: "1" }).file;

test("the first process writes the cache after the load; the next uses it and writes nothing", (t) => {
  const { bundle } = fixture(t);
  const first = runFresh(bundle);
  assert.deepEqual(first.statuses, ["written"]);
  assert.equal(first.file, cacheOf(bundle));
  assert.equal(first.hooked, true);
  assert.deepEqual(first.result, [610, "A,BC,D"]);
  assert.equal(first.url, pathToFileURL(bundle).href);
  assert.equal(first.base, "worker.cjs");
  const file = cacheOf(bundle);
  assert.ok(readCodeCache(file, wrappedSource(bundle)), "no intact cache written");
  const written = statSync(file).mtimeMs;

  const second = runFresh(bundle);
  assert.deepEqual(second.statuses, ["used"]);
  assert.equal(second.hooked, false); // nothing to write
  assert.deepEqual(second.result, [610, "A,BC,D"]);
  assert.equal(statSync(file).mtimeMs, written);
});

test("a damaged cache is refused before V8 sees it, and rewritten", (t) => {
  const { bundle } = fixture(t);
  runFresh(bundle);
  const file = cacheOf(bundle);
  const data = readFileSync(file);
  data[data.length - 10] ^= 0xff; // one flipped byte in the payload
  writeFileSync(file, data);
  assert.equal(readCodeCache(file, wrappedSource(bundle)), undefined);
  const r = runFresh(bundle);
  assert.deepEqual(r.statuses, ["written"]);
  assert.deepEqual(r.result, [610, "A,BC,D"]);
  assert.ok(readCodeCache(file, wrappedSource(bundle)));
  // Truncated to less than its checksum: the same.
  writeFileSync(file, data.subarray(0, 20));
  assert.deepEqual(runFresh(bundle).statuses, ["written"]);
});

test("a cache made for another source is refused, even one of the same length, and rewritten", (t) => {
  const { bundle } = fixture(t);
  runFresh(bundle);
  // A rebuilt bundle of the same length: V8's own check (which compares lengths) would take the cache.
  writeFileSync(bundle, bundleSource("two"));
  const r = runFresh(bundle);
  assert.deepEqual(r.statuses, ["written"]);
  assert.equal(r.variant, "two");
  assert.deepEqual(runFresh(bundle).statuses, ["used"]);
});

test("a cache V8 refuses is rewritten", (t) => {
  const { bundle } = fixture(t);
  const file = cacheOf(bundle);
  // Intact by our checks (made for this source, checksum right) but not V8 code cache data.
  assert.ok(writeCodeCache(file, wrappedSource(bundle), Buffer.alloc(4096, 7)));
  const r = runFresh(bundle);
  assert.deepEqual(r.statuses, ["rejected"]);
  assert.deepEqual(r.result, [610, "A,BC,D"]);
  assert.deepEqual(runFresh(bundle).statuses, ["used"]);
});

test("FAULTBOX_NO_CODE_CACHE=1 neither reads nor writes a cache", (t) => {
  const { bundle } = fixture(t);
  const r = runFresh(bundle, { FAULTBOX_NO_CODE_CACHE: "1" });
  assert.deepEqual(r.statuses, ["disabled"]);
  assert.equal(r.hooked, false);
  assert.deepEqual(r.result, [610, "A,BC,D"]);
  assert.equal(existsSync(cacheOf(bundle)), false);
});

test("with source maps on, the bundle is required as usual (stacks map to the sources), without a cache", (t) => {
  const { bundle } = fixture(t);
  const r = runFresh(bundle, {}, true);
  assert.deepEqual(r.statuses, ["disabled"]);
  assert.deepEqual(r.result, [610, "A,BC,D"]);
  assert.equal(r.url, pathToFileURL(bundle).href);
  assert.equal(existsSync(r.file), false);
});

test("a cache that cannot be written leaves the bundle running and no temporary file behind", (t) => {
  const { dir, bundle } = fixture(t);
  mkdirSync(cacheOf(bundle)); // a directory where the file would go: the rename fails
  const r = runFresh(bundle);
  assert.deepEqual(r.statuses, ["unwritable"]);
  assert.deepEqual(r.result, [610, "A,BC,D"]);
  assert.deepEqual(
    execFileSync("ls", [dir], { encoding: "utf8" }).trim().split("\n").sort(),
    ["worker.cjs", cacheOf(bundle).split("/").pop()!].sort(),
  );
});

test("cache files: one per Node version, architecture and flags; writeCodeCache is all or nothing", (t) => {
  const { dir, bundle } = fixture(t);
  const name = cacheOf(bundle).split("/").pop()!;
  assert.ok(name.startsWith(`worker.cjs-${process.version}-${process.arch}-`), name);
  // Other flags, another file (V8 refuses a cache made under other flags).
  assert.notEqual(codeCacheFile(bundle), cacheOf(bundle));
  const x = join(dir, "x.codecache");
  assert.ok(writeCodeCache(x, "source", Buffer.from("payload")));
  assert.equal(readCodeCache(x, "source")?.toString(), "payload");
  assert.equal(readCodeCache(x, "sourcf"), undefined);
  assert.equal(writeCodeCache(join(dir, "missing", "x.codecache"), "source", Buffer.from("payload")), false);
  assert.equal(readCodeCache(join(dir, "missing", "x.codecache"), "source"), undefined);
});
