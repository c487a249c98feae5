// Helpers for the Starlark tests: run a snippet, capture print output, catch the StarlarkError.
import assert from "node:assert/strict";
import {
  type DialectOptions,
  Interpreter,
  type InterpreterOptions,
  StarlarkError,
  type Value,
} from "../../src/starlark/index.js";

export interface RunResult {
  globals: Map<string, Value>;
  output: string[];
}

export function run(src: string, opts: InterpreterOptions = {}): RunResult {
  const output: string[] = [];
  const interp = new Interpreter({
    ...opts,
    thread: { ...(opts.thread ?? {}), print: (_t, msg) => output.push(msg) },
  });
  const mod = interp.execFile("test.star", src);
  return { globals: mod.globals, output };
}

/** Runs `src` and returns what it printed, one string per print() call. */
export function out(src: string, opts: InterpreterOptions = {}): string[] {
  return run(src, opts).output;
}

/** Runs `src`, which must fail; returns the StarlarkError. */
export function fails(src: string, opts: InterpreterOptions = {}): StarlarkError {
  try {
    run(src, opts);
  } catch (e) {
    if (e instanceof StarlarkError) return e;
    throw new Error(`expected a StarlarkError, got ${String(e)}`);
  }
  assert.fail(`expected ${JSON.stringify(src)} to fail`);
}

/** Asserts that `src` fails with a message matching `re` (bare message, no position). */
export function failsWith(src: string, re: RegExp, opts: InterpreterOptions = {}): StarlarkError {
  const e = fails(src, opts);
  assert.match(e.msg, re);
  return e;
}

/** Evaluates a single expression and returns its repr as printed by Starlark. */
export function evalRepr(expr: string, opts: InterpreterOptions = {}): string {
  return out(`print(repr((${expr})))`, opts)[0]!;
}

export function strictWith(extra: Partial<DialectOptions>): Partial<DialectOptions> {
  return {
    set: false,
    while: false,
    topLevelControl: false,
    globalReassign: false,
    loadBindsGlobally: false,
    recursion: false,
    imports: false,
    ...extra,
  };
}
