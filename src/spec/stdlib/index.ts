// The embedded stdlib: `load("@faultbox/<path>", ...)` reads <path> from this folder (it ships with the
// package under src/spec/stdlib/).
import { existsSync, readFileSync } from "node:fs";
import { join, normalize } from "node:path";
import { packageFile } from "../../core/package-files.js";

const root = packageFile("src/spec/stdlib");

export const STDLIB_PREFIX = "@faultbox/";

/** The file name and source of an embedded stdlib module; throws a message naming what exists otherwise. */
export function loadStdlib(module: string): { filename: string; source: string } {
  const rel = normalize(module.slice(STDLIB_PREFIX.length));
  const path = join(root, rel);
  if (rel.startsWith("..") || !rel.endsWith(".star") || !existsSync(path)) {
    throw new Error(
      `${module}: no such module in the embedded stdlib (available: @faultbox/kafka.star, @faultbox/mocks/kafka.star)`,
    );
  }
  return { filename: module, source: readFileSync(path, "utf8") };
}
