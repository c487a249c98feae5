// Running files: parse -> resolve -> compile -> execute, with load() through a host loader and a
// per-interpreter module cache, freezing of module globals after execution.
import type * as A from "./ast.js";
import { structBuiltin, universe } from "./builtins.js";
import {
  annotate,
  callValue,
  Cell,
  Frame,
  type ModuleContext,
  StarThread,
  type ThreadOptions,
} from "./call.js";
import { compileModule } from "./compile.js";
import "./format.js"; // installs the % operator and str.format
import { type Position, posString, SourceFile, StarlarkError } from "./errors.js";
import { builtinModules } from "./modules/index.js";
import { parse } from "./parser.js";
import { type DialectOptions, FAULTBOX_OPTIONS, resolve } from "./resolver.js";
import { type ArgsKw, EvalError, freeze, type Value } from "./values.js";

/** What a loader returns for a module name: Starlark source to execute, or ready-made members. */
export type LoadResult =
  { filename: string; source: string } | { filename?: string; members: Map<string, Value> };

/** Resolves a load("module") from file `from`; throw an Error (its message is reported) if not found. */
export type Loader = (module: string, from: string) => LoadResult;

export interface InterpreterOptions {
  /** Host values visible to every file (in addition to the universe). */
  predeclared?: Map<string, Value> | Record<string, Value>;
  loader?: Loader;
  /** Dialect options; defaults to Faultbox's profile (everything on). */
  options?: Partial<DialectOptions>;
  /** Defaults for threads created by execFile (print, limits). */
  thread?: ThreadOptions;
}

export interface ModuleResult {
  /** Every global of the module, frozen, in definition order. */
  globals: Map<string, Value>;
  /** The names another file may load (globals not starting with "_" and not file-local load bindings). */
  exports: Map<string, Value>;
  file: A.File;
}

/** Universal names beyond starlark-go's universe that Faultbox's profile adds. */
const faultboxUniverse = new Map<string, Value>([["struct", structBuiltin]]);

export class Interpreter {
  readonly predeclared: Map<string, Value>;
  readonly options: DialectOptions;
  readonly loader: Loader | undefined;
  readonly threadOptions: ThreadOptions;
  private readonly cache = new Map<
    string,
    { result?: ModuleResult; error?: StarlarkError; loading: boolean }
  >();

  constructor(opts: InterpreterOptions = {}) {
    const p = opts.predeclared;
    this.predeclared = p instanceof Map ? new Map(p) : new Map(Object.entries(p ?? {}));
    this.options = { ...FAULTBOX_OPTIONS, ...(opts.options ?? {}) };
    this.loader = opts.loader;
    this.threadOptions = opts.thread ?? {};
  }

  newThread(opts: ThreadOptions = {}): StarThread {
    return new StarThread({ ...this.threadOptions, ...opts });
  }

  isUniversal(name: string): boolean {
    return universe.has(name) || faultboxUniverse.has(name);
  }

  /** Parses and resolves a file without running it; throws StarlarkError (all resolve errors in .all). */
  check(filename: string, source: string, options: DialectOptions = this.options): A.File {
    const sf = new SourceFile(filename, source);
    const file = parse(sf);
    resolve(
      file,
      sf,
      (n) => this.predeclared.has(n),
      (n) => this.isUniversal(n),
      options,
      () => [...this.predeclared.keys(), ...universe.keys(), ...faultboxUniverse.keys()],
    );
    return file;
  }

  /** Executes a file as a module; its globals are frozen afterwards. */
  execFile(
    filename: string,
    source: string,
    thread?: StarThread,
    options: DialectOptions = this.options,
  ): ModuleResult {
    const th = thread ?? this.newThread();
    const sf = new SourceFile(filename, source);
    const file = this.check(filename, source, options);
    const ctx: ModuleContext = {
      name: filename,
      globals: new Array(file.numGlobals ?? 0).fill(undefined),
      globalNames: file.globalNames ?? [],
    };
    const code = compileGuarded(file, sf, {
      file: sf,
      module: ctx,
      recursion: options.recursion,
      lookupStatic: (name) => {
        if (this.predeclared.has(name)) return this.predeclared.get(name)!;
        if (universe.has(name)) return universe.get(name)!;
        return faultboxUniverse.get(name)!;
      },
      load: (th2, module, pos) => this.load(module, filename, th2, pos),
      importModule: (name) => builtinModules().get(name)!,
    });
    const info = code.info;
    const locals = new Array(info.numLocals);
    for (const c of info.cells) locals[c] = new Cell(undefined);
    const fr = new Frame(locals, null, th);
    try {
      code.body(fr);
    } catch (e) {
      const se = annotate(e, undefined);
      if (se.kind === "runtime" || se.kind === "limit") {
        se.frames.unshift({ name: "<toplevel>", pos: se.pendingPos });
        se.pendingPos = undefined;
      }
      throw finalizeError(se);
    }
    const globals = new Map<string, Value>();
    const exports = new Map<string, Value>();
    const fileLocal = (file as { fileLocal?: Set<string> }).fileLocal ?? new Set<string>();
    ctx.globalNames.forEach((name, i) => {
      const v = ctx.globals[i];
      if (v === undefined) return;
      freeze(v);
      globals.set(name, v);
      if (!name.startsWith("_") && !fileLocal.has(name)) exports.set(name, v);
    });
    return { globals, exports, file };
  }

  /** Every module load() has executed so far (host tools read their syntax trees and globals). */
  loadedModules(): ModuleResult[] {
    return [...this.cache.values()].flatMap((e) => (e.result ? [e.result] : []));
  }

  /** load(module) from file `from`: cached per resolved module name; cycles are errors. */
  load(module: string, from: string, thread: StarThread, pos?: Position): Map<string, Value> {
    if (!this.loader) throw new EvalError(`cannot load ${module}: no loader configured`);
    let res: LoadResult;
    try {
      res = this.loader(module, from);
    } catch (e) {
      if (e instanceof StarlarkError) throw e;
      throw new EvalError(`cannot load ${module}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const key = res.filename ?? module;
    const hit = this.cache.get(key);
    if (hit) {
      if (hit.loading) throw new EvalError(`cannot load ${module}: cycle in load graph`);
      if (hit.error) throw loadError(module, hit.error);
      return hit.result!.exports;
    }
    if ("members" in res) {
      const result: ModuleResult = {
        globals: res.members,
        exports: res.members,
        file: { name: key, stmts: [] },
      };
      this.cache.set(key, { result, loading: false });
      return res.members;
    }
    const entry: { result?: ModuleResult; error?: StarlarkError; loading: boolean } = { loading: true };
    this.cache.set(key, entry);
    try {
      // The loaded module runs on the loading thread, so it shares its print, step budget and deadline.
      entry.result = this.execFile(res.filename, res.source, thread);
      return entry.result.exports;
    } catch (e) {
      entry.error = e instanceof StarlarkError ? e : annotate(e, pos);
      throw loadError(module, entry.error);
    } finally {
      entry.loading = false;
    }
  }

  /** Calls a Starlark callable (function, lambda, builtin) from the host. */
  call(
    thread: StarThread,
    fn: Value,
    args: Value[] = [],
    kwargs: ArgsKw | Record<string, Value> = [],
  ): Value {
    const kw: ArgsKw = Array.isArray(kwargs) ? kwargs : Object.entries(kwargs);
    return callFromHost(thread, fn, args, kw);
  }
}

function loadError(module: string, inner: StarlarkError): StarlarkError {
  // Keep the inner error (with its own position and stack); prefix the message like starlark-go.
  const e = new StarlarkError(
    inner.kind === "syntax" || inner.kind === "resolve" ? inner.kind : "runtime",
    `cannot load ${module}: ${inner.msg}`,
  );
  e.pos = inner.pos;
  e.all = inner.all.length > 1 ? inner.all : [e];
  e.frames = inner.frames;
  return finalizeError(e);
}

/** Host -> Starlark call: errors come back as a finalized StarlarkError with the Starlark stack. */
export function callFromHost(thread: StarThread, fn: Value, args: Value[], kwargs: ArgsKw): Value {
  try {
    return callValue(thread, fn, args, kwargs);
  } catch (e) {
    const se = annotate(e, undefined);
    se.pendingPos = undefined;
    throw finalizeError(se);
  }
}

/** Sets the error's position to its innermost known frame and its message to `file:line:col: msg`. */
export function finalizeError(se: StarlarkError): StarlarkError {
  if (!se.pos) {
    for (let i = se.frames.length - 1; i >= 0; i--) {
      const p = se.frames[i]!.pos;
      if (p) {
        se.pos = p;
        break;
      }
    }
  }
  se.message = se.pos ? `${posString(se.pos)}: ${se.msg}` : se.msg;
  return se;
}

/** compileModule, reporting expressions too deep to compile (see resolve) as a syntax error. */
function compileGuarded(
  file: A.File,
  sf: SourceFile,
  env: Parameters<typeof compileModule>[1],
): ReturnType<typeof compileModule> {
  try {
    return compileModule(file, env);
  } catch (e) {
    if (e instanceof Error && e.message.includes("Maximum call stack size exceeded"))
      throw new StarlarkError("syntax", "expression nested too deeply", { file: sf, line: 1, col: 1 });
    throw e;
  }
}
