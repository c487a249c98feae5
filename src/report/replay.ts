// The `replay:` command printed for a failed test (console, JSON, JUnit, HTML). It is pasted into a
// shell, so every argument is quoted for POSIX shells, and the --test filter selects exactly that test
// even when its name looks like a glob or a regex to the filter.
import type { TestResult } from "../core/results.js";

/** Quotes one argument for a POSIX shell; plain words stay as they are. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./,:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The --test value that selects only this test (see core/filter.ts for the filter's forms). */
export function exactTestFilter(name: string): string {
  const short = name.replace(/^test_/, "");
  // `*`/`?` make a glob and a leading `~` a regex: fall back to an anchored, escaped regex. (A name
  // that is exactly a test's name selects only that test, so matrix cells need no regex.)
  if (/[*?]/.test(short) || short.startsWith("~")) return `~^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
  return short;
}

export function replayCommand(file: string, t: Pick<TestResult, "name" | "seed">): string {
  return ["faultbox", "test", file, "--test", exactTestFilter(t.name), "--seed", t.seed]
    .map(shellQuote)
    .join(" ");
}

/** The no-assertion warning (TEST_NO_ASSERTIONS), worded once for the console and the JSON document. */
export const NO_ASSERTIONS = "passed without evaluating any assertion";
