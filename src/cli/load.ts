// Loads a spec file into a SpecBuilder: TypeScript modules through the TS API, .star through the
// Starlark builtins (src/spec/).
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import "../index.js";
import { loadTypeScriptSpec } from "../core/define.js";
import type { SpecBuilder } from "../core/builder.js";
import { DEFAULT_LOAD_TIMEOUT_MS } from "../core/engine.js";
import { processStallGuard } from "../core/stall-guard.js";
import { UsageError } from "./args.js";

export interface LoadOptions {
  /** Time limit of loading the spec (a top-level endless loop ends with a positioned error). */
  timeoutMs?: number;
}

export async function loadSpec(path: string | undefined, options: LoadOptions = {}): Promise<SpecBuilder> {
  let file = resolve(path ?? "faultbox.star");
  if (!existsSync(file)) {
    throw new UsageError(
      path ? `spec file not found: ${path}` : "no spec given and ./faultbox.star does not exist",
    );
  }
  // A directory stands for its faultbox.star, as no argument stands for ./faultbox.star.
  if (statSync(file).isDirectory()) {
    const inside = join(file, "faultbox.star");
    if (!existsSync(inside)) {
      const specs = readdirSync(file)
        .filter((f) => /\.(star|spec\.ts|spec\.mts)$/.test(f))
        .sort()
        .slice(0, 3)
        .map((f) => join(path!, f));
      throw new UsageError(
        `${path} is a directory without a faultbox.star; give the spec file` +
          (specs.length ? `, e.g. ${specs.join(" or ")}` : " (a .star, .ts or .mts file)"),
      );
    }
    file = inside;
  }
  const ext = extname(file);
  if ([".ts", ".mts", ".js", ".mjs"].includes(ext)) {
    // A TypeScript spec's top level runs on this thread: a synchronous endless loop there can only be
    // ended by the stall guard (a Starlark spec loads in a worker the engine stops by itself).
    const guard = processStallGuard();
    guard.arm(`loading ${path ?? "faultbox.star"}`, options.timeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS);
    try {
      return await loadTypeScriptSpec(file);
    } finally {
      guard.disarm();
    }
  }
  // The Starlark front end is loaded on demand: a TypeScript spec's run does not load it.
  const { loadStarlarkSpec } = await import("../spec/load.js");
  return loadStarlarkSpec(file, options);
}
