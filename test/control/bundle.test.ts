// The faultbox command runs from a bundle of its sources (bin/bundle.js): built on first use, reused
// while no bundled source changed, rebuilt when one did; and a running proxy has not loaded the codec
// libraries it has not needed (lz4-napi is a native library: it would show in the process's maps).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startReadyProxy } from "./run-proxy.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the bundle is built once, reused while its sources are unchanged, rebuilt when one changes", async () => {
  // A package of our own shape: bin/ scripts, the four entry points, all importing a shared module.
  const root = mkdtempSync(join(tmpdir(), "fb-bundle-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "src", "cli"), { recursive: true });
  mkdirSync(join(root, "src", "spec"), { recursive: true });
  for (const f of ["bundle.js", "build-bundle.js"]) copyFileSync(join(ROOT, "bin", f), join(root, "bin", f));
  // Its own node_modules (where its bundles are cached), with esbuild from ours.
  mkdirSync(join(root, "node_modules"));
  symlinkSync(join(ROOT, "node_modules", "esbuild"), join(root, "node_modules", "esbuild"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "faultbox-bundle-test", type: "module" }));
  const answer = join(root, "src", "cli", "answer.ts");
  writeFileSync(answer, "export const answer: number = 1;\n");
  for (const [file, base] of [
    ["cli/main.ts", 100],
    ["cli/proxy.ts", 0],
    ["spec/worker.ts", 1000],
    ["spec/worker-boot.ts", 2000],
  ] as const)
    writeFileSync(
      join(root, "src", file),
      `import { answer } from "${file.startsWith("cli") ? "." : "../cli"}/answer.js";\n` +
        `export async function run(argv: string[]): Promise<number> { return ${base} + answer + argv.length; }\n`,
    );
  const { bundleDir } = (await import(pathToFileURL(join(root, "bin", "bundle.js")).href)) as {
    bundleDir(root: string): string | undefined;
  };
  type Entry = { run(a: string[]): Promise<number> };
  // The Starlark worker and its boot are CommonJS files (worker.cjs, worker-boot.cjs).
  const entry = async (dir: string, name: string) =>
    (await import(
      pathToFileURL(join(dir, name.startsWith("worker") ? `${name}.cjs` : `${name}.js`)).href
    )) as Entry;
  const first = bundleDir(root);
  assert.ok(first, "a bundle was built");
  assert.ok(first.startsWith(join(root, "node_modules", ".cache", "faultbox", "bundle-")), first);
  assert.equal(await (await entry(first, "proxy")).run(["x"]), 2);
  assert.equal(await (await entry(first, "cli")).run(["x"]), 102);
  assert.equal(await (await entry(first, "worker")).run([]), 1001);
  assert.equal(await (await entry(first, "worker-boot")).run([]), 2001);
  assert.equal(bundleDir(root), first, "unchanged sources: the same bundle");
  // Touched but not changed (as a checkout does): still the same bundle, found by its hash.
  utimesSync(answer, new Date(), new Date(Date.now() + 5000));
  assert.equal(bundleDir(root), first, "a touched source with the same content: the same bundle");
  writeFileSync(answer, "export const answer: number = 40;\n");
  const second = bundleDir(root);
  assert.ok(second && second !== first, "a changed import: a new bundle");
  assert.equal(await (await entry(second, "proxy")).run(["x", "y"]), 42);
  assert.equal(await (await entry(second, "worker")).run([]), 1040);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(second, "inputs.json"), "utf8")).inputs).sort(), [
    "src/cli/answer.ts",
    "src/cli/main.ts",
    "src/cli/proxy.ts",
    "src/spec/worker-boot.ts",
    "src/spec/worker.ts",
  ]);
  // A pointer that names a bundle whose folder is gone: built again.
  writeFileSync(
    join(root, "node_modules", ".cache", "faultbox", "bundle.json"),
    JSON.stringify({ dir: "gone" }),
  );
  const third = bundleDir(root);
  assert.ok(third && third !== second, "a missing bundle: built again");
});

test("FAULTBOX_NO_BUNDLE=1 runs the sources; a package where no bundle can be built does too", async () => {
  const root = mkdtempSync(join(tmpdir(), "fb-bundle-"));
  mkdirSync(join(root, "bin"));
  for (const f of ["bundle.js", "build-bundle.js"]) copyFileSync(join(ROOT, "bin", f), join(root, "bin", f));
  const { bundleDir } = (await import(pathToFileURL(join(root, "bin", "bundle.js")).href)) as {
    bundleDir(root: string): string | undefined;
  };
  // No esbuild and no sources here: the build fails, and the caller falls back to the sources.
  assert.equal(bundleDir(root), undefined);
  process.env.FAULTBOX_NO_BUNDLE = "1";
  try {
    assert.equal(bundleDir(ROOT), undefined);
  } finally {
    delete process.env.FAULTBOX_NO_BUNDLE;
  }
});

test("a running faultbox proxy has not loaded the lz4 codec (a native library) it has not needed", async () => {
  const p = await startReadyProxy(["--kafka", "kafka=127.0.0.1:9"]);
  try {
    const maps = readFileSync(`/proc/${p.child.pid}/maps`, "utf8");
    assert.doesNotMatch(maps, /lz4/i);
    assert.match(maps, /node/, "the maps are the proxy process's own");
  } finally {
    await p.stop();
  }
});
