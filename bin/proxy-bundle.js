// `faultbox proxy` runs from a bundle of its sources (plain JavaScript, built by esbuild on first use
// and again whenever a bundled source file changed), not through tsx: tsx's loader (its hooks run in a
// thread of their own) and transpiling the sources at start cost a proxy-only process ~30 MiB of its
// ~90 MiB. The bundle lives in node_modules/.cache/faultbox/, where the npm packages it imports
// resolve. Returns the bundle's path, or undefined (then the caller runs the sources through tsx).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Whether every source the bundle in `dir` was built from is unchanged. */
function current(root, dir) {
  try {
    const { inputs } = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
    return Object.entries(inputs).every(([file, hash]) => sha256(join(root, file)) === hash);
  } catch {
    return false;
  }
}

export function proxyBundle(root) {
  if (process.env.FAULTBOX_NO_BUNDLE) return undefined;
  const cache = join(root, "node_modules", ".cache", "faultbox");
  const pointer = join(cache, "proxy-bundle.json");
  try {
    const dir = join(cache, JSON.parse(readFileSync(pointer, "utf8")).dir);
    if (current(root, dir)) return join(dir, "proxy.js");
  } catch {
    // no bundle yet
  }
  try {
    mkdirSync(cache, { recursive: true });
    // A fresh directory per build, named in a pointer file replaced atomically: a proxy started from
    // an older bundle keeps its files, and two builds at once do not step on each other.
    const name = `proxy-bundle-${Date.now()}-${randomBytes(4).toString("hex")}`;
    const dir = join(cache, name);
    const built = spawnSync(process.execPath, [join(root, "bin", "build-proxy-bundle.js"), root, dir], {
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
      // Bundles replaced more than a day ago: no proxy still starting from them.
      if (old.startsWith("proxy-bundle-") && old !== name && Date.now() - statSync(path).mtimeMs > 86_400_000)
        rmSync(path, { recursive: true, force: true });
    }
    return join(dir, "proxy.js");
  } catch {
    return undefined; // e.g. a read-only install: run through tsx instead
  }
}
