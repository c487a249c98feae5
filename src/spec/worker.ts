// The Starlark worker: executes the spec with faultbox's builtins, registers its tests, then serves the
// engine's calls into Starlark (test bodies, lambdas, monitors) until the run ends.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { workerData } from "node:worker_threads";
import {
  EvalError,
  Interpreter,
  StarFunction,
  StarlarkError,
  call,
  type Position,
  type StarThread,
  type Value,
} from "../starlark/index.js";
import { forwardSpecFiles, noteSpecFile, resolveInside } from "../core/files.js";
import { WORKER_LOADED_HOOK } from "./code-cache.js";
import { createBuiltins, type FailureMemo } from "./builtins.js";
import { WorkerChannel, RemoteError } from "./channel.js";
import { Marshal } from "./marshal.js";
import { ResponseValue } from "./values.js";
import { loadStdlib, STDLIB_PREFIX } from "./stdlib/index.js";
import { findSyscallFaultSites } from "./syscall-sites.js";
import type { ErrorInfo, WorkerData } from "./wire.js";

const data = workerData as WorkerData & { observers: Record<string, string[]> };
const channel = new WorkerChannel(data.port, data.flag, data.loadTimeoutMs);
const memo: FailureMemo = {};
const specDir = dirname(data.file);
// Files the spec reads here (load(), load_file/json/yaml) are recorded by the engine's thread too.
forwardSpecFiles((path) => channel.post({ t: "file", path }));

/** An engine request from a value (service actions, node handles); errors become Starlark errors. */
function engineCall<T>(request: () => T): T {
  try {
    return request();
  } catch (err) {
    if (err instanceof RemoteError) {
      memo.last = { message: err.info.message, assertion: err.info.assertion, spec: err.info.spec };
      throw new EvalError(err.info.message);
    }
    throw err;
  }
}

const marshal: Marshal = new Marshal(
  (protocol) => data.protocols[protocol] ?? [],
  (service, iface, method, kwargs) => {
    const args: Record<string, unknown> = {};
    for (const [k, v] of kwargs) args[k] = marshal.toWire(v);
    const r = engineCall(() => channel.request("step", { service, iface, method, kwargs: args })) as {
      $response: never;
    };
    return new ResponseValue(r.$response);
  },
  (op, args) => engineCall(() => marshal.fromWire(channel.request(op, args))),
  (protocols) => [...new Set(protocols.flatMap((p) => data.selectors?.[p] ?? []))],
);

const print = (_t: unknown, msg: string) => channel.post({ t: "print", text: msg });
const builtins = createBuiltins(
  channel,
  marshal,
  specDir,
  memo,
  data.observers ?? {},
  data.ruleActions ?? {},
  () => callerLocation(),
);
const interp = new Interpreter({
  predeclared: builtins,
  loader: (module, from) => {
    if (module.startsWith(STDLIB_PREFIX)) return loadStdlib(module);
    const path = resolveInside(
      specDir,
      module.startsWith("/") ? module : `${dirname(from)}/${module}`.replace(`${specDir}/`, ""),
      "load()",
    );
    const source = readFileSync(path, "utf8");
    noteSpecFile(path);
    return { filename: path, source };
  },
  thread: { print },
});
// The interpreter polls the channel, so a spec looping at its top level or in a test body stops when the
// engine abandons that work (load time limit, test timeout, Ctrl-C).
const thread = interp.newThread({ print, interrupt: () => channel.cancelled() }) as StarThread;

/** A position in the user's own files, not in the embedded stdlib (@faultbox/...). */
const inUserFile = (p: Position | undefined): p is Position =>
  p !== undefined && !p.file.name.startsWith(STDLIB_PREFIX);

/**
 * Where an error is reported: the innermost place in the user's own files. An error raised inside the
 * embedded stdlib (@faultbox/...) is the user's call into it gone wrong, so it names the user's line
 * that called the stdlib function, not a line of ours they never wrote.
 */
function userPosition(err: StarlarkError): Position | undefined {
  if (inUserFile(err.pos)) return err.pos;
  for (const frame of [...err.frames].reverse()) if (inUserFile(frame.pos)) return frame.pos;
  return err.pos ?? [...err.frames].reverse().find((f) => f.pos)?.pos;
}

/** Where the spec is calling a builtin from: the innermost position in the user's own files. */
function callerLocation(): { file: string; line: number; column: number } | undefined {
  const stack = thread.callStack();
  for (let i = stack.length - 1; i >= 0; i--) {
    const pos = stack[i]!.pos;
    if (inUserFile(pos)) return { file: pos.file.name, line: pos.line, column: pos.col };
  }
  return undefined;
}

/** Classifies an error raised by Starlark code for the engine's verdict. */
function describe(err: unknown): ErrorInfo {
  if (err instanceof StarlarkError) {
    const pos = userPosition(err);
    const where = pos ? { file: pos.file.name, line: pos.line, column: pos.col } : {};
    const last = memo.last;
    memo.last = undefined;
    if (err.failed) return { message: err.msg, assertion: "fail", ...where };
    if (last && err.msg === last.message)
      return { message: err.msg, assertion: last.assertion, spec: last.spec, ...where };
    return {
      message: err.msg,
      ...where,
      // Syntax and resolve errors show the source line; a cancelled loop shows where it was spinning.
      ...(err.kind === "syntax" || err.kind === "resolve" || err.kind === "limit"
        ? { formatted: err.format() }
        : {}),
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

channel.invoke = (fn, args) => {
  try {
    const v = call(
      thread,
      marshal.fn(fn),
      args.map((a) => marshal.fromWire(a)),
    );
    return { ok: true, value: marshal.box(v) };
  } catch (err) {
    return { ok: false, error: describe(err) };
  }
};

try {
  const mod = interp.execFile(data.file, readFileSync(data.file, "utf8"), thread);
  // Services some fault can target while a test runs must start under the syscall supervisor.
  const sites = findSyscallFaultSites([mod, ...interp.loadedModules()], builtins);
  if (sites.length > 0) channel.request("syscall_sites", { sites });
  for (const [name, v] of mod.globals) {
    if (name.startsWith("test_") && isFunction(v)) {
      const pos = (v as StarFunction).code.pos;
      const location = { file: pos.file.name, line: pos.line, column: pos.col };
      channel.request("test", { name, fn: marshal.toWire(v), discovered: true, location });
    }
  }
  // Started by worker-boot.ts without a usable code cache: write one now that the load compiled the
  // interpreter's functions (before answering: a command such as `faultbox check` exits on the answer).
  (globalThis as { [WORKER_LOADED_HOOK]?: () => void })[WORKER_LOADED_HOOK]?.();
  channel.post({ t: "loaded", ok: true });
} catch (err) {
  const info = err instanceof RemoteError ? err.info : describe(err);
  channel.post({ t: "loaded", ok: false, error: info });
}
channel.serve();

function isFunction(v: Value): v is StarFunction {
  return v instanceof StarFunction;
}
