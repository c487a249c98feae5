// `faultbox proxy` runs from a bundle of its sources (bin/proxy-bundle.js): built on first use, reused
// while no bundled source changed, rebuilt when one did; and a running proxy has not loaded the codec
// libraries it has not needed (lz4-napi is a native library: it would show in the process's maps).
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startReadyProxy } from "./run-proxy.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the bundle is built once, reused while its sources are unchanged, rebuilt when one changes", async () => {
  // A package of our own shape: bin/ scripts, a src/cli/proxy.ts that imports a second module.
  const root = mkdtempSync(join(tmpdir(), "fb-bundle-"));
  mkdirSync(join(root, "bin"));
  mkdirSync(join(root, "src", "cli"), { recursive: true });
  for (const f of ["proxy-bundle.js", "build-proxy-bundle.js"])
    copyFileSync(join(ROOT, "bin", f), join(root, "bin", f));
  // Its own node_modules (where its bundles are cached), with esbuild from ours.
  mkdirSync(join(root, "node_modules"));
  symlinkSync(join(ROOT, "node_modules", "esbuild"), join(root, "node_modules", "esbuild"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "faultbox-bundle-test", type: "module" }));
  writeFileSync(join(root, "src", "cli", "answer.ts"), "export const answer: number = 1;\n");
  writeFileSync(
    join(root, "src", "cli", "proxy.ts"),
    'import { answer } from "./answer.js";\nexport async function run(argv: string[]): Promise<number> { return answer + argv.length; }\n',
  );
  const { proxyBundle } = (await import(pathToFileURL(join(root, "bin", "proxy-bundle.js")).href)) as {
    proxyBundle(root: string): string | undefined;
  };
  const cacheOf = (p: string) => p.slice(0, p.lastIndexOf("/"));
  const first = proxyBundle(root);
  assert.ok(first, "a bundle was built");
  assert.ok(first.startsWith(join(root, "node_modules", ".cache", "faultbox", "proxy-bundle-")), first);
  const mod1 = (await import(pathToFileURL(first).href)) as { run(a: string[]): Promise<number> };
  assert.equal(await mod1.run(["x"]), 2);
  assert.equal(proxyBundle(root), first, "unchanged sources: the same bundle");
  writeFileSync(join(root, "src", "cli", "answer.ts"), "export const answer: number = 40;\n");
  const second = proxyBundle(root);
  assert.ok(second && second !== first, "a changed import: a new bundle");
  const mod2 = (await import(pathToFileURL(second).href)) as { run(a: string[]): Promise<number> };
  assert.equal(await mod2.run(["x", "y"]), 42);
  assert.deepEqual(
    Object.keys(JSON.parse(readFileSync(join(cacheOf(second), "inputs.json"), "utf8")).inputs).sort(),
    ["src/cli/answer.ts", "src/cli/proxy.ts"],
  );
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
