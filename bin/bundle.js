// The faultbox command runs from a bundle of its sources: plain JavaScript, built by esbuild (which tsx
// already brings) on first use, and again whenever a bundled source file changed. Running the
// TypeScript sources through tsx instead costs every start its loader thread and a lookup and
// transform per module (~200 of them): a `faultbox test` of a one-line spec took ~1 s of CPU through
// tsx. A proxy-only process also stays small this way (tsx alone is ~30 MiB of a proxy's memory).
//
// The bundle has three entry points: cli.js (src/cli/main.ts), proxy.js (src/cli/proxy.ts, what
// `faultbox proxy` runs, so a proxy loads neither the engine nor Starlark) and worker-boot.cjs (the
// Starlark worker thread: it runs worker.cjs, src/spec/worker.ts as one CommonJS file, with a V8 code
// cache it keeps beside it, see src/spec/code-cache.ts). It lives in node_modules/.cache/faultbox/, where the npm
// packages it imports resolve. bundleDir(root) returns its folder, or undefined: then the caller runs
// the sources through tsx (FAULTBOX_NO_BUNDLE=1, or a read-only install without a bundle).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

/**
 * Whether every source the bundle in `dir` was built from is unchanged: same size and modification
 * time as when it was bundled (a stat, cheap enough for every start), else the same sha256 (a file
 * touched but not changed, e.g. by a checkout).
 */
function current(root, dir) {
  try {
    const { inputs } = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
    return Object.entries(inputs).every(([file, { hash, size, mtimeMs }]) => {
      const st = statSync(join(root, file));
      return (st.size === size && st.mtimeMs === mtimeMs) || sha256(join(root, file)) === hash;
    });
  } catch {
    return false;
  }
}

export function bundleDir(root) {
  if (process.env.FAULTBOX_NO_BUNDLE) return undefined;
  const cache = join(root, "node_modules", ".cache", "faultbox");
  const pointer = join(cache, "bundle.json");
  try {
    const dir = join(cache, JSON.parse(readFileSync(pointer, "utf8")).dir);
    if (current(root, dir)) return dir;
  } catch {
    // no bundle yet
  }
  try {
    mkdirSync(cache, { recursive: true });
    // A fresh directory per build, named in a pointer file replaced atomically: a process started from
    // an older bundle keeps its files, and two builds at once do not step on each other.
    const name = `bundle-${Date.now()}-${randomBytes(4).toString("hex")}`;
    const dir = join(cache, name);
    const built = spawnSync(process.execPath, [join(root, "bin", "build-bundle.js"), root, dir], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (built.status !== 0 || !current(root, dir)) {
      rmSync(dir, { recursive: true, force: true });
      return undefined;
    }
    const tmp = `${pointer}.${name}`;
    writeFileSync(tmp, JSON.stringify({ dir: name }));
    renameSync(tmp, pointer);
    for (const old of readdirSync(cache)) {
      const path = join(cache, old);
      // Bundles replaced more than a day ago (no run still starting from them), also those of the
      // earlier proxy-only layout (proxy-bundle-*).
      if (/^(proxy-)?bundle-/.test(old) && old !== name && Date.now() - statSync(path).mtimeMs > 86_400_000)
        rmSync(path, { recursive: true, force: true });
    }
    return dir;
  } catch {
    return undefined; // e.g. a read-only install: run through tsx instead
  }
}
