// `faultbox diff A B`: compares two normalized traces. Each side may be a normalized trace
// (--normalize), a JSON result (--output / --format json, normalized first) or a bundle (--bundle, its
// trace). Exit 0 identical, 2 different, 1 a side cannot be read.
import { readFileSync } from "node:fs";
import { errorMessage } from "../core/errors.js";
import { readBundle } from "../report/bundle.js";
import { isResultDoc } from "../report/doc.js";
import { unifiedDiff } from "../report/diff.js";
import { NORMALIZED_HEADER, normalizeDoc } from "../report/normalize.js";
import { UsageError, parseArgs } from "./args.js";

/** The normalized trace a file holds or stands for; throws a UsageError naming the file otherwise. */
export async function traceOf(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${errorMessage(err)}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return readBundle(path).normalized;
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
  }
  const text = bytes.toString("utf8");
  if (text.startsWith(NORMALIZED_HEADER)) return text;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(
      `${path} is neither a normalized trace (--normalize), a JSON result (--output) nor a bundle (--bundle)`,
    );
  }
  if (!isResultDoc(doc))
    throw new UsageError(`${path} is JSON but not a faultbox result (no star_file and tests fields)`);
  return normalizeDoc(doc);
}

export async function run(argv: string[]): Promise<number> {
  let a: string;
  let b: string;
  let traces: [string, string];
  try {
    const parsed = parseArgs(argv, {});
    if (parsed.positional.length !== 2)
      throw new UsageError(
        `faultbox diff takes two files (normalized traces, JSON results or bundles), got ${parsed.positional.length}`,
      );
    [a, b] = parsed.positional as [string, string];
    traces = [await traceOf(a), await traceOf(b)];
  } catch (err) {
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return 1;
  }
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const diff = unifiedDiff(traces[0], traces[1], { nameA: a, nameB: b, color });
  if (!diff) {
    process.stdout.write("traces are identical\n");
    return 0;
  }
  process.stdout.write(diff);
  return 2;
}
