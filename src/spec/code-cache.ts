// A V8 code cache for the Starlark worker. When the faultbox command runs from its bundle (bin/bundle.js),
// a worker starts in worker-boot.ts, which compiles the worker's own bundle (worker.cjs) with the cache,
// runs it, and once the spec has loaded writes the cache for the next run when there was none to use.
//
// Why: a worker is a fresh V8 isolate, and loading a spec there is mostly cold code. V8 compiles a
// function the first time it is called, and a spec load calls a great many of the interpreter's
// (scanner, parser, resolver, compiler, builtins). A code cache made after a load holds the bytecode of
// every function compiled so far, so the next worker starts with them compiled: on a 391-line spec the
// first load takes ~40% less time (bench/starlark/cold.ts). Node's own compile cache (NODE_COMPILE_CACHE)
// is made when a module is compiled, before any of those functions ran, and does not help the load.
//
// The cache is an optimisation only: a missing, unreadable, damaged or stale cache, or a folder that
// cannot be written, means compiling as without one. A cache file is `sha256(source) + sha256(payload) +
// payload`, written to a temporary name and renamed, so a reader never sees half a file, and one that
// is damaged or was made for another source (V8's own check compares only the source's length) is
// refused before V8 sees it. V8 refuses a cache made by another V8 version or under other flags
// (`cachedDataRejected`), and the file is then rewritten. One file per Node version, architecture and
// command-line flags, so runs under several Node versions in one checkout do not keep replacing each
// other's. FAULTBOX_NO_CODE_CACHE=1 neither reads nor writes it, nor does a process with source maps on.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

/** Called by the worker once the spec has loaded (see worker.ts), when a cache is to be written. */
export const WORKER_LOADED_HOOK = Symbol.for("faultbox.workerLoaded");

/** What became of the cache in one run of runWithCodeCache(). */
export type CodeCacheStatus =
  | "disabled" // FAULTBOX_NO_CODE_CACHE, or source maps on (node --enable-source-maps)
  | "used"
  | "written" // there was none (or a damaged one, or one for another source): written after the load
  | "rejected" // V8 refused the one there was: rewritten after the load
  | "unwritable"; // there was none usable, and the new one could not be written

/** The cache file for `bundle` under this process's Node version, architecture and flags. */
export function codeCacheFile(bundle: string): string {
  const flags = createHash("sha256").update(process.execArgv.join("\0")).digest("hex").slice(0, 12);
  return join(dirname(bundle), `${basename(bundle)}-${process.version}-${process.arch}-${flags}.codecache`);
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest();

/** The payload of `file` if it is intact and was made for `source`, else undefined. */
export function readCodeCache(file: string, source: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.length <= 64 || !data.subarray(0, 32).equals(sha256(source))) return undefined;
  const payload = data.subarray(64);
  return sha256(payload).equals(data.subarray(32, 64)) ? payload : undefined;
}

/** Writes `payload` for `source` as `file`, whole or not at all; false when it could not be written. */
export function writeCodeCache(file: string, source: string, payload: Buffer): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([sha256(source), sha256(payload), payload]));
    renameSync(tmp, file);
    return true;
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
}

/** The source compiled for `bundle`: CommonJS's module wrapper around it. */
export function wrappedSource(bundle: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, "utf8")}\n})`;
}

/**
 * Compiles and runs the CommonJS bundle `bundle` with the code cache and returns its exports. Calls
 * `status` with what became of the cache: at once when it was used or disabled, else once the spec has
 * loaded (WORKER_LOADED_HOOK, called by the worker) with whether the new cache was written.
 */
export function runWithCodeCache(bundle: string, status: (s: CodeCacheStatus) => void): unknown {
  // Node maps stack traces through source maps (--enable-source-maps) for modules it loads itself, not
  // for a vm.Script: then the bundle is required as usual, without a cache.
  if (process.sourceMapsEnabled) {
    status("disabled");
    return createRequire(bundle)(bundle) as unknown;
  }
  const enabled = !process.env.FAULTBOX_NO_CODE_CACHE;
  const cacheFile = codeCacheFile(bundle);
  const source = wrappedSource(bundle);
  const cached = enabled ? readCodeCache(cacheFile, source) : undefined;
  const script = new Script(source, { filename: bundle, cachedData: cached });
  const used = cached !== undefined && !script.cachedDataRejected;
  if (!enabled) status("disabled");
  else if (used) status("used");
  else
    (globalThis as Record<symbol, () => void>)[WORKER_LOADED_HOOK] = () => {
      const written = writeCodeCache(cacheFile, source, script.createCachedData());
      status(written ? (cached ? "rejected" : "written") : "unwritable");
    };
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(bundle),
    module,
    bundle,
    dirname(bundle),
  );
  return module.exports;
}
