// Threads, Starlark function values, argument binding, calls, limits, and error annotation.
import type { FunctionInfo } from "./ast.js";
import { type Position, SourceFile, StarlarkError } from "./errors.js";
import { nearest } from "../util/spell.js";
import {
  type ArgsKw,
  Builtin,
  Callable,
  Dict,
  EvalError,
  type HashKey,
  StarObject,
  type Thread,
  typeName,
  type Value,
} from "./values.js";

/** A runtime limit was exceeded (steps, time, call depth). Reported as a StarlarkError of kind "limit". */
export class LimitError extends EvalError {}

export class Cell {
  constructor(public v: Value | undefined) {}
}

export type Slot = Value | Cell | undefined;

export class Frame {
  ret: Value = null;
  constructor(
    public locals: Slot[],
    public fn: StarFunction | null,
    public thread: StarThread,
  ) {}
}

/** The compiled form of a def or lambda, shared by every function value created from it. */
export interface Code {
  info: FunctionInfo;
  name: string;
  file: SourceFile;
  pos: Position;
  body: (fr: Frame) => number;
  /** Names of the ordinary parameters, in slot order. */
  paramNames: string[];
  recursion: boolean;
  module: ModuleContext;
}

export interface ModuleContext {
  name: string;
  globals: (Value | undefined)[];
  globalNames: string[];
}

export class StarFunction extends Callable {
  constructor(
    readonly code: Code,
    /** Per ordinary parameter: its default value, or undefined when required. */
    readonly defaults: (Value | undefined)[],
    readonly freevars: Cell[],
  ) {
    super();
  }
  get name(): string {
    return this.code.name;
  }
  typeName(): string {
    return "function";
  }
  override repr(): string {
    return `<function ${this.code.name}>`;
  }
  override hashKey(): HashKey {
    return this;
  }
  override freeze(): void {
    for (const d of this.defaults) if (d !== undefined && d !== null && typeof d === "object") freezeValue(d);
    for (const c of this.freevars) if (c.v !== undefined) freezeValue(c.v);
  }
}

import { freeze as freezeValue } from "./values.js";

export interface ThreadOptions {
  name?: string;
  /** Maximum Starlark call depth (default 400; deeper recursion may exhaust the JS stack, which is also reported as a Starlark stack overflow). */
  maxDepth?: number;
  /** Maximum number of steps (function calls + loop iterations); default unlimited. */
  maxSteps?: number;
  /** Wall-clock budget in milliseconds for this thread; default unlimited. */
  timeoutMs?: number;
  /**
   * Polled at every limit check (every few thousand steps): a returned reason cancels the thread. This is
   * how another JS thread stops a busy one (through shared memory), since it cannot call cancel() on it.
   */
  interrupt?: () => string | undefined;
  print?: (thread: Thread, msg: string) => void;
}

export class StarThread implements Thread {
  name: string;
  depth = 0;
  steps = 0;
  maxSteps: number;
  maxDepth: number;
  deadline: number;
  nextCheck: number;
  print: (thread: Thread, msg: string) => void;
  locals = new Map<string, unknown>();
  stack: Callable[] = [];
  /** posStack[i]: where stack[i] was called from. */
  posStack: (Position | undefined)[] = [];
  /** Position of the call expression being executed (set just before every call). */
  callPos: Position | undefined;
  allowRecursion = true;
  cancelled: string | undefined;
  interrupt: (() => string | undefined) | undefined;

  /** The Starlark call stack, outermost first: each function and the position currently executing in it. */
  callStack(): { name: string; pos: Position | undefined }[] {
    const out: { name: string; pos: Position | undefined }[] = [
      { name: "<toplevel>", pos: this.posStack[0] ?? this.callPos },
    ];
    for (let i = 0; i < this.stack.length; i++) {
      out.push({
        name: this.stack[i]!.name,
        pos: i + 1 < this.posStack.length ? this.posStack[i + 1] : this.callPos,
      });
    }
    return out;
  }

  constructor(opts: ThreadOptions = {}) {
    this.name = opts.name ?? "main";
    this.maxDepth = opts.maxDepth ?? 400;
    this.maxSteps = opts.maxSteps ?? Infinity;
    this.deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : Infinity;
    this.interrupt = opts.interrupt;
    this.print = opts.print ?? ((_t, msg) => process.stdout.write(msg + "\n"));
    this.nextCheck = this.computeNextCheck();
  }

  private computeNextCheck(): number {
    const timed = this.deadline !== Infinity || this.cancelled !== undefined || this.interrupt !== undefined;
    return Math.min(this.maxSteps + 1, timed ? this.steps + 4096 : Infinity);
  }

  /**
   * Starts a fresh budget on this thread (e.g. before each monitor or callback evaluation): the step
   * count restarts at 0 and the deadline is `timeoutMs` from now (or none).
   */
  resetLimits(opts: { maxSteps?: number; timeoutMs?: number } = {}): void {
    this.steps = 0;
    if (opts.maxSteps !== undefined) this.maxSteps = opts.maxSteps;
    this.deadline = opts.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : Infinity;
    this.cancelled = undefined;
    this.nextCheck = this.computeNextCheck();
  }

  /** Stops the thread at its next step with the given reason (e.g. from a timer). */
  cancel(reason: string): void {
    this.cancelled = reason;
    this.nextCheck = this.steps + 1;
  }

  /** Called when steps reach nextCheck: checks the step budget, the deadline and cancellation. */
  checkLimits(): void {
    const cancelled = this.cancelled ?? this.interrupt?.();
    if (cancelled !== undefined) throw new LimitError(`Starlark computation cancelled: ${cancelled}`);
    if (this.steps > this.maxSteps)
      throw new LimitError(`Starlark computation cancelled: too many steps (limit ${this.maxSteps})`);
    if (Date.now() > this.deadline)
      throw new LimitError("Starlark computation cancelled: time limit exceeded");
    this.nextCheck = this.computeNextCheck();
  }

  call(fn: Value, args: Value[], kwargs: ArgsKw): Value {
    return callValue(this, fn, args, kwargs);
  }
}

const NO_KW: ArgsKw = [];

export function callValue(thread: StarThread, fn: Value, args: Value[], kwargs: ArgsKw = NO_KW): Value {
  if (fn instanceof StarFunction) return callFunction(thread, fn, args, kwargs);
  if (fn instanceof Builtin) {
    if (++thread.steps >= thread.nextCheck) thread.checkLimits();
    return fn.impl(thread, args, kwargs, fn);
  }
  if (fn instanceof StarObject && typeof (fn as { callHost?: unknown }).callHost === "function")
    return (fn as unknown as HostCallable).callHost(thread, args, kwargs);
  throw new EvalError(`invalid call of non-function (${typeName(fn)})`);
}

export interface HostCallable {
  callHost(thread: Thread, args: Value[], kwargs: ArgsKw): Value;
}

export function callFunction(thread: StarThread, fn: StarFunction, args: Value[], kwargs: ArgsKw): Value {
  const code = fn.code;
  const info = code.info;
  const locals: Slot[] = new Array(info.numLocals);
  if (
    kwargs.length === 0 &&
    args.length === info.numPositional &&
    !info.hasVarargs &&
    !info.hasKwargs &&
    info.numKwonly === 0
  ) {
    for (let i = 0; i < args.length; i++) locals[i] = args[i];
  } else bindArgs(fn, locals, args, kwargs);
  const cells = info.cells;
  for (let i = 0; i < cells.length; i++) locals[cells[i]!] = new Cell(locals[cells[i]!] as Value | undefined);

  if (++thread.steps >= thread.nextCheck) thread.checkLimits();
  if (thread.depth >= thread.maxDepth) throw new LimitError("Starlark stack overflow");
  const stack = thread.stack;
  if (!code.recursion) {
    for (let i = 0; i < stack.length; i++) {
      const s = stack[i];
      if (s instanceof StarFunction && s.code === code)
        throw new EvalError(`function ${code.name} called recursively`);
    }
  }
  thread.depth++;
  stack.push(fn);
  thread.posStack.push(thread.callPos);
  const fr = new Frame(locals, fn, thread);
  try {
    code.body(fr);
    return fr.ret;
  } catch (e) {
    const se = annotate(e, undefined);
    se.frames.unshift({ name: code.name, pos: se.pendingPos });
    se.pendingPos = undefined;
    throw se;
  } finally {
    thread.depth--;
    stack.pop();
    thread.posStack.pop();
  }
}

function bindArgs(fn: StarFunction, locals: Slot[], args: Value[], kwargs: ArgsKw): void {
  const info = fn.code.info;
  const name = fn.code.name;
  const nparams = info.numPositional + info.numKwonly;
  const total = nparams + (info.hasVarargs ? 1 : 0) + (info.hasKwargs ? 1 : 0);
  if (total === 0) {
    const n = args.length + kwargs.length;
    if (n > 0) throw new EvalError(`function ${name} accepts no arguments (${n} given)`);
    return;
  }
  let kwdict: Dict | undefined;
  if (info.hasKwargs) {
    kwdict = new Dict();
    locals[total - 1] = kwdict;
  }
  const nonkwonly = info.numPositional;
  let n = args.length;
  if (n > nonkwonly) {
    if (!info.hasVarargs) {
      let nDefaultsPositional = 0;
      for (let i = 0; i < nonkwonly; i++) if (fn.defaults[i] !== undefined) nDefaultsPositional++;
      throw new EvalError(
        `function ${name} accepts ${nDefaultsPositional > 0 ? "at most " : ""}${nonkwonly} positional argument${nonkwonly === 1 ? "" : "s"} (${args.length} given)`,
      );
    }
    n = nonkwonly;
  }
  for (let i = 0; i < n; i++) locals[i] = args[i];
  if (info.hasVarargs) locals[nparams] = args.slice(n);
  const names = fn.code.paramNames;
  for (let j = 0; j < kwargs.length; j++) {
    const [k, v] = kwargs[j]!;
    const i = names.indexOf(k);
    if (i >= 0 && i < nparams) {
      if (locals[i] !== undefined)
        throw new EvalError(`function ${name} got multiple values for parameter "${k}"`);
      locals[i] = v;
      continue;
    }
    if (kwdict === undefined) {
      const valid = names.slice(0, nparams);
      const hint = nearest(k, valid);
      throw new EvalError(
        `function ${name} got an unexpected keyword argument "${k}"${hint ? ` (did you mean ${hint}?)` : ""}; valid: ${valid.join(", ")}`,
      );
    }
    const old = kwdict.map.size;
    kwdict.set(k, v);
    if (kwdict.map.size === old)
      throw new EvalError(`function ${name} got multiple values for parameter "${k}"`);
  }
  let missing: string[] | undefined;
  for (let i = n; i < nparams; i++) {
    if (locals[i] === undefined) {
      const d = fn.defaults[i];
      if (d === undefined) (missing ??= []).push(names[i]!);
      else locals[i] = d;
    }
  }
  if (missing)
    throw new EvalError(
      `function ${name} missing ${missing.length} argument${missing.length > 1 ? "s" : ""} (${missing.join(", ")})`,
    );
}

/** Turns anything thrown during evaluation into a StarlarkError, recording `pos` as the failing position. */
export function annotate(e: unknown, pos: Position | undefined): StarlarkError {
  let se: StarlarkError;
  if (e instanceof StarlarkError) se = e;
  else if (e instanceof LimitError) se = new StarlarkError("limit", e.message);
  else if (e instanceof EvalError) {
    se = new StarlarkError("runtime", e.message);
    if ((e as { failed?: boolean }).failed) se.failed = true;
  } else if (e instanceof Error && e.message.includes("Maximum call stack size exceeded"))
    // near the end of the JS stack even compiling a regexp fails, so only includes() is used here
    se = new StarlarkError("limit", "Starlark stack overflow");
  else if (e instanceof RangeError) se = new StarlarkError("runtime", e.message);
  else se = new StarlarkError("runtime", `internal error: ${e instanceof Error ? e.message : String(e)}`);
  if (se.pendingPos === undefined && pos !== undefined && se.kind !== "syntax" && se.kind !== "resolve")
    se.pendingPos = pos;
  return se;
}
