// The bundle after a run (`--bundle FILE`; by default when a test failed or was inconclusive, into
// $FAULTBOX_BUNDLE_DIR or ./.faultbox/bundles, keeping the newest $FAULTBOX_KEEP_BUNDLES or 20;
// `--no-bundle` turns it off).
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { errorMessage } from "../core/errors.js";
import type { Suite } from "../core/model.js";
import { exitCode, type SuiteResult } from "../core/results.js";
import { defaultBundleDir, defaultBundleName, pruneBundles, writeBundle } from "../report/bundle.js";
import type { JsonDoc } from "../report/doc.js";
import { normalizeDoc } from "../report/normalize.js";
import { exactTestFilter, shellQuote } from "../report/replay.js";

export interface AfterRun {
  suite: Suite;
  result: SuiteResult;
  doc: JsonDoc;
  specGiven: string;
  /** --bundle FILE, or undefined. */
  bundle?: string;
  noBundle: boolean;
  options: { test?: string; runs?: number; timeout?: number; shard?: string };
}

/** A free default name: the run's time and seed, with -2, -3... when two runs share both. */
function freeName(dir: string, seed: string): string {
  const base = defaultBundleName(seed);
  let name = base;
  for (let i = 2; existsSync(join(dir, name)); i++) name = base.replace(/\.tar\.gz$/, `-${i}.tar.gz`);
  return join(dir, name);
}

/** Writes the bundle if asked or due; prints where, and how to replay each failed test from it. */
export function bundleAfterRun(a: AfterRun): void {
  const failing = exitCode(a.result) >= 2;
  if (!a.bundle && (a.noBundle || !failing)) return;
  const dir = a.bundle ? undefined : defaultBundleDir();
  const path = a.bundle ?? freeName(dir!, a.result.seed);
  try {
    writeBundle(path, {
      suite: a.suite,
      specGiven: a.specGiven,
      doc: a.doc,
      normalized: normalizeDoc(a.doc, dirname(a.suite.file)),
      seed: a.result.seed,
      options: a.options,
    });
  } catch (err) {
    process.stderr.write(`WARNING: the bundle ${path} could not be written: ${errorMessage(err)}\n`);
    return;
  }
  if (dir) pruneBundles(dir);
  // Relative to where faultbox ran when it is below it, else as it is.
  const rel = relative(process.cwd(), resolve(path));
  const shown = rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : resolve(path);
  process.stderr.write(`Bundle: ${shown}\n`);
  for (const t of a.result.tests.filter((x) => x.result !== "pass"))
    process.stderr.write(
      `Replay: faultbox replay ${shellQuote(shown)} --test ${shellQuote(exactTestFilter(t.name))}\n`,
    );
}
