// Runs starlark-go's public conformance files when a local copy is available (never committed, never
// downloaded here): $STARLARK_GO_TESTDATA (a directory of .star files), .cache/starlark-go-testdata/, or a
// google/starlark-go git mirror ($STARLARK_GO_REPO, default /work/.mirror/google+starlark-go/repo).
// CI has no copy, so this test skips there; the unit tests cover the same features.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runChunkedFile } from "../../src/starlark/testing.js";

type Mode = "exec" | "parse" | "resolve";
const FILES: [path: string, mode: Mode][] = [
  ...[
    "assign",
    "bool",
    "builtins",
    "bytes",
    "control",
    "dict",
    "float",
    "function",
    "function_param",
    "int",
    "json",
    "list",
    "math",
    "misc",
    "module",
    "recursion",
    "set",
    "string",
    "time",
    "tuple",
    "while",
  ].map((n): [string, Mode] => [`starlark/testdata/${n}.star`, "exec"]),
  ["starlarkstruct/testdata/struct.star", "exec"],
  ["syntax/testdata/errors.star", "parse"],
  ["resolve/testdata/resolve.star", "resolve"],
];

function source(): ((path: string) => string | undefined) | undefined {
  const dir =
    process.env.STARLARK_GO_TESTDATA ??
    new URL("../../.cache/starlark-go-testdata/", import.meta.url).pathname;
  if (existsSync(dir)) {
    const names = new Set(readdirSync(dir));
    return (p) => {
      const base = p.split("/").pop()!;
      return names.has(base) ? readFileSync(join(dir, base), "utf8") : undefined;
    };
  }
  const repo = process.env.STARLARK_GO_REPO ?? "/work/.mirror/google+starlark-go/repo";
  if (existsSync(repo))
    return (p) => {
      try {
        return execFileSync("git", ["--git-dir", repo, "show", `HEAD:${p}`], { encoding: "utf8" });
      } catch {
        return undefined;
      }
    };
  return undefined;
}

const read = source();

for (const [path, mode] of FILES) {
  test(
    `conformance: starlark-go ${path}`,
    { skip: read ? false : "no local copy of starlark-go's testdata" },
    () => {
      const text = read!(path);
      if (text === undefined) return;
      const printed: string[] = [];
      const results = runChunkedFile(path, text, { mode, print: (m) => printed.push(m) });
      const failed = results.filter((r) => !r.passed);
      assert.deepEqual(
        failed.map((r) => `${path}:${r.line}: ${r.failures.join("; ")}`),
        [],
        `${results.length - failed.length}/${results.length} chunks passed`,
      );
    },
  );
}
