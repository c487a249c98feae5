// `faultbox starlark FILE` runs a plain Starlark file (Faultbox's dialect; load() relative to the file).
// `faultbox starlark --test FILE` runs a chunked conformance file in starlark-go's test convention.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Interpreter, StarlarkError } from "../starlark/index.js";
import { runChunkedFile } from "../starlark/testing.js";

const USAGE = "usage: faultbox starlark FILE | faultbox starlark --test [--mode=exec|parse|resolve] FILE";

export async function run(args: string[]): Promise<number> {
  let mode: "exec" | "parse" | "resolve" = "exec";
  const modeFlag = args.find((a) => a.startsWith("--mode="));
  if (modeFlag) {
    const m = modeFlag.slice("--mode=".length);
    if (m !== "exec" && m !== "parse" && m !== "resolve") {
      process.stderr.write(`faultbox starlark: --mode must be exec, parse or resolve\n`);
      return 1;
    }
    mode = m;
    args = args.filter((a) => a !== modeFlag);
  }
  const test = args[0] === "--test";
  const rest = test ? args.slice(1) : args;
  if (rest.length !== 1 || rest[0]!.startsWith("-")) {
    process.stderr.write(USAGE + "\n");
    return 1;
  }
  const file = rest[0]!;
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (e) {
    process.stderr.write(`faultbox starlark: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const dir = dirname(resolve(file));
  const readRelative = (p: string) => readFileSync(resolve(dir, p), "utf8");
  if (test) {
    const results = runChunkedFile(file, source, { readFile: readRelative, mode });
    const passed = results.filter((r) => r.passed).length;
    process.stdout.write(`${passed} passed, ${results.length - passed} failed\n`);
    return passed === results.length ? 0 : 2;
  }
  const interp = new Interpreter({
    loader: (module, from) => {
      const path = resolve(dirname(resolve(from)), module);
      return { filename: path, source: readFileSync(path, "utf8") };
    },
  });
  try {
    interp.execFile(file, source);
    return 0;
  } catch (e) {
    if (e instanceof StarlarkError) {
      process.stderr.write(e.format() + "\n");
      return 1;
    }
    throw e;
  }
}
