/**
 * Starlark for Faultbox: a complete, standalone Starlark interpreter (imports nothing else of ours).
 *
 * ## Running code
 *
 *   const interp = new Interpreter({ predeclared: { service: makeBuiltin(...) }, loader, options });
 *   const mod = interp.execFile("faultbox.star", source);   // -> { globals, exports, file }
 *   mod.globals.get("test_x")                                // frozen after execution
 *
 *   execFile(filename, source, { predeclared, loader, options, thread }) -> ModuleResult (one-shot helper)
 *   parseFile(filename, source) -> ast.File                  // public AST; walk(file, visit) visits nodes
 *   checkFile(filename, source, { predeclared, options })    // parse + resolve; throws all static errors
 *
 * `loader(module, fromFile)` returns `{ filename, source }` (executed once per filename, cached per
 * Interpreter) or `{ members: Map }` for a native module. Dialect options default to Faultbox's profile
 * (set, while, top-level control flow, global reassignment, recursion, `import json|time|math` all on);
 * STRICT_OPTIONS is starlark-go's default (all off).
 *
 * ## Calling Starlark from the host (callbacks such as `where=lambda e: ...`)
 *
 *   const thread = interp.newThread({ maxSteps, maxDepth, timeoutMs, print });
 *   thread.resetLimits({ maxSteps, timeoutMs })   // fresh budget per evaluation; thread.cancel(reason)
 *   call(thread, fn, [arg], { key: value }) -> Value         // errors: StarlarkError with Starlark stack
 *   isCallable(v)
 *
 * ## Defining builtins and host objects
 *
 *   makeBuiltin("emit", (thread, args, kwargs) => {
 *     const [topic, data, key] = unpackArgs("emit", args, kwargs, ["topic", "data", "key?"]);
 *     ...; return None;
 *   })
 *   unpackArgs(fnName, args, kwargs, spec): spec items "name" (required), "name?" (optional), "*"
 *     (the rest keyword-only). Unknown, repeated, missing and surplus arguments are errors naming
 *     the function and the parameter, with a "did you mean" hint.
 *   Throw `new EvalError(message)` (or `starlarkError(message)`) from a builtin; the interpreter adds
 *   file:line:col and the call stack. Inside a builtin, `thread.callPos` is the position of the call
 *   (e.g. the spec line of `service(...)`) and `thread.callStack()` the Starlark stack.
 *   A host value that is callable implements `callHost(thread, args, kwargs)` (see HostCallable).
 *
 *   class Event extends HostObject {            // attributes + methods + dict-like access
 *     typeName() { return "event"; }
 *     attr(name) { ... }        attrNames() { ... }     // e.type, dir(e)
 *     index(key) { ... }        len() { ... }           // e["type"], len(e), "type" in e
 *     // methods are attributes whose values are builtins: hostMethod(this, "get", (th, a, kw) => ...)
 *   }
 *   `HostObject` extends StarObject; override truth(), hashKey(), repr(), iterate(), binary(), equals()
 *   and compare() as needed. `MappingObject` is a ready-made HostObject backed by a Map that answers
 *   e.x, e["x"], e.get("x", default), e.keys(), e.values(), e.items(), len(e), `k in e`, iteration.
 *
 * ## Values
 *
 *   None=null, bool=boolean, int=number|bigint (bigint only outside the safe-integer range),
 *   string=string, tuple=Value[]; Float, Bytes, List, Dict, StarSet, Struct, Module, Builtin,
 *   StarFunction classes. fromJS(x) / toJS(v) convert plain JS data (objects <-> dicts, arrays <-> lists).
 *   typeName(v), repr(v), str(v), truth(v), equals(a, b), compare(a, b), freeze(v).
 *
 * ## Errors
 *
 *   StarlarkError { kind: "syntax" | "resolve" | "runtime" | "limit", msg, pos, frames, all, failed }
 *   err.format() -> "file:line:col: message\n<source line>\n    ^" for each error (resolve errors are
 *   all reported at once in err.all) plus a "Traceback" of the Starlark call stack for runtime errors.
 *   Limits (thread options maxDepth, maxSteps, timeoutMs) raise kind "limit", never a JS RangeError.
 */
import { unpackArgs, positional } from "./args.js";
import * as ast from "./ast.js";
import { attrNames, getAttr } from "./attrs.js";
import { universe } from "./builtins.js";
import { StarFunction, StarThread, type ThreadOptions } from "./call.js";
import { SourceFile, StarlarkError } from "./errors.js";
import "./format.js";
import {
  callFromHost,
  Interpreter,
  type InterpreterOptions,
  type Loader,
  type LoadResult,
  type ModuleResult,
} from "./interp.js";
import { builtinModules } from "./modules/index.js";
import { parse, parseExpr } from "./parser.js";
import { type DialectOptions, FAULTBOX_OPTIONS, STRICT_OPTIONS } from "./resolver.js";
import {
  type ArgsKw,
  Builtin,
  Bytes,
  Callable,
  Dict,
  EvalError,
  Float,
  List,
  Module,
  StarObject,
  StarSet,
  Struct,
  type Thread,
  type Value,
  compare,
  equals,
  freeze,
  hashKey,
  repr,
  str,
  truth,
  typeName,
} from "./values.js";

export {
  ast,
  attrNames,
  Builtin,
  Bytes,
  Callable,
  compare,
  Dict,
  equals,
  EvalError,
  FAULTBOX_OPTIONS,
  Float,
  freeze,
  getAttr,
  Interpreter,
  List,
  Module,
  positional,
  repr,
  SourceFile,
  StarFunction,
  StarlarkError,
  StarObject,
  StarSet,
  StarThread,
  STRICT_OPTIONS,
  str,
  Struct,
  truth,
  typeName,
  unpackArgs,
  universe,
};
export type {
  ArgsKw,
  DialectOptions,
  InterpreterOptions,
  Loader,
  LoadResult,
  ModuleResult,
  Thread,
  ThreadOptions,
  Value,
};
export type { Position, StackFrame } from "./errors.js";
export type { HostCallable } from "./call.js";
export const None = null;
export const walk = ast.walk;

export interface ExecOptions extends InterpreterOptions {
  thread?: ThreadOptions;
}

/** One-shot: run `source` as a module named `filename`. For many files sharing a load cache, use Interpreter. */
export function execFile(filename: string, source: string, opts: ExecOptions = {}): ModuleResult {
  const interp = new Interpreter(opts);
  return interp.execFile(filename, source, interp.newThread(opts.thread));
}
export const execModule = execFile;

/** Parses a file into the public AST (throws a StarlarkError of kind "syntax"). */
export function parseFile(filename: string, source: string): ast.File {
  return parse(new SourceFile(filename, source));
}

/** Parses a single expression. */
export function parseExpression(filename: string, source: string): ast.Expr {
  return parseExpr(new SourceFile(filename, source));
}

/** Parses and resolves without running; throws the first StarlarkError with every static error in `.all`. */
export function checkFile(filename: string, source: string, opts: InterpreterOptions = {}): ast.File {
  return new Interpreter(opts).check(filename, source);
}

/** Calls a Starlark callable from the host. kwargs as pairs or a plain object. */
export function call(
  thread: StarThread,
  fn: Value,
  args: Value[] = [],
  kwargs: ArgsKw | Record<string, Value> = [],
): Value {
  const kw: ArgsKw = Array.isArray(kwargs) ? kwargs : Object.entries(kwargs);
  return callFromHost(thread, fn, args, kw);
}

export function isCallable(v: Value): boolean {
  return (
    v instanceof Callable ||
    (v instanceof StarObject && typeof (v as { callHost?: unknown }).callHost === "function")
  );
}

/** A builtin function implemented in JS. */
export function makeBuiltin(
  name: string,
  impl: (thread: Thread, args: Value[], kwargs: ArgsKw) => Value,
): Builtin {
  return new Builtin(name, (th, a, k) => impl(th, a, k));
}

/** A method bound to a host object (its repr names the receiver's type). */
export function hostMethod(
  recv: Value,
  name: string,
  impl: (thread: Thread, args: Value[], kwargs: ArgsKw) => Value,
): Builtin {
  return new Builtin(name, (th, a, k) => impl(th, a, k), recv);
}

/** An error a builtin throws; the interpreter adds position and stack. */
export function starlarkError(message: string): EvalError {
  return new EvalError(message);
}

/** Base class for host-defined values. Override typeName() and whichever protocols apply. */
export abstract class HostObject extends StarObject {}

/**
 * A host object that answers both as a struct and as a dict: `e.x`, `e["x"]`, `e.get("x", d)`,
 * `e.keys()`, `e.values()`, `e.items()`, `len(e)`, `"x" in e`, `for k in e`. Fields win over the
 * methods get/keys/values/items only when `fieldsShadowMethods` is true.
 */
export class MappingObject extends HostObject {
  frozen = false;
  constructor(
    readonly fields: Map<string, Value>,
    readonly type: string = "mapping",
    readonly fieldsShadowMethods = false,
  ) {
    super();
  }
  typeName(): string {
    return this.type;
  }
  override hashKey(): never {
    throw new EvalError(`unhashable type: ${this.type}`);
  }
  override freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    for (const v of this.fields.values()) freeze(v);
  }
  private methods: Map<string, Builtin> | undefined;
  private method(name: string): Builtin | undefined {
    if (name !== "get" && name !== "keys" && name !== "values" && name !== "items") return undefined;
    this.methods ??= new Map();
    let m = this.methods.get(name);
    if (m === undefined) {
      m = this.makeMethod(name)!;
      this.methods.set(name, m);
    }
    return m;
  }
  private makeMethod(name: string): Builtin | undefined {
    switch (name) {
      case "get":
        return hostMethod(this, "get", (_t, a, k) => {
          positional("get", a, k, 1, 2);
          const key = a[0]!;
          const v = typeof key === "string" ? this.fields.get(key) : undefined;
          return v !== undefined ? v : a.length > 1 ? a[1]! : null;
        });
      case "keys":
        return hostMethod(this, "keys", (_t, a, k) => {
          positional("keys", a, k, 0, 0);
          return new List([...this.fields.keys()]);
        });
      case "values":
        return hostMethod(this, "values", (_t, a, k) => {
          positional("values", a, k, 0, 0);
          return new List([...this.fields.values()]);
        });
      case "items":
        return hostMethod(this, "items", (_t, a, k) => {
          positional("items", a, k, 0, 0);
          return new List([...this.fields.entries()].map(([k2, v]) => [k2, v]));
        });
    }
    return undefined;
  }
  override attr(name: string): Value | undefined {
    if (this.fieldsShadowMethods) return this.fields.get(name) ?? this.method(name);
    return this.method(name) ?? this.fields.get(name);
  }
  override attrNames(): string[] {
    return [...new Set([...this.fields.keys(), "get", "items", "keys", "values"])].sort();
  }
  override index(key: Value): Value {
    const v = typeof key === "string" ? this.fields.get(key) : undefined;
    if (v === undefined) throw new EvalError(`key ${repr(key)} not in ${this.type}`);
    return v;
  }
  override len(): number {
    return this.fields.size;
  }
  override *iterate(): Iterable<Value> {
    yield* this.fields.keys();
  }
  override repr(seen?: Set<unknown>): string {
    return `${this.type}(` + [...this.fields].map(([k, v]) => `${k} = ${repr(v, seen)}`).join(", ") + ")";
  }
}

/** Plain JS data -> Starlark: objects become dicts, arrays lists, non-integral numbers floats. */
export function fromJS(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case "boolean":
    case "string":
      return x;
    case "bigint":
      return x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x;
    case "number":
      return Number.isSafeInteger(x) ? x : new Float(x);
    case "object": {
      if (x instanceof StarObject) return x;
      if (Array.isArray(x)) return new List(x.map(fromJS));
      if (x instanceof Uint8Array) return Bytes.fromUint8(x);
      if (x instanceof Map) {
        const d = new Dict();
        for (const [k, v] of x) d.set(fromJS(k), fromJS(v));
        return d;
      }
      if (x instanceof Set) {
        const s = new StarSet();
        for (const v of x) s.add(fromJS(v));
        return s;
      }
      const d = new Dict();
      for (const [k, v] of Object.entries(x)) d.set(k, fromJS(v));
      return d;
    }
  }
  throw new EvalError(`cannot convert JS ${typeof x} to a Starlark value`);
}

/** Starlark -> plain JS: dicts with string keys become objects, lists and tuples arrays, floats numbers. */
export function toJS(v: Value): unknown {
  if (
    v === null ||
    typeof v === "boolean" ||
    typeof v === "string" ||
    typeof v === "number" ||
    typeof v === "bigint"
  )
    return v;
  if (Array.isArray(v)) return v.map(toJS);
  if (v instanceof Float) return v.v;
  if (v instanceof List) return v.elems.map(toJS);
  if (v instanceof Bytes) return v.toUint8();
  if (v instanceof Dict) {
    const allStrings = [...v.map.values()].every((e) => typeof e.k === "string");
    if (allStrings) {
      const o: Record<string, unknown> = {};
      for (const e of v.map.values()) o[e.k as string] = toJS(e.v);
      return o;
    }
    return new Map([...v.map.values()].map((e) => [toJS(e.k), toJS(e.v)]));
  }
  if (v instanceof StarSet) return new Set([...v.map.values()].map(toJS));
  if (v instanceof Struct) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.fields) o[k] = toJS(x);
    return o;
  }
  return v;
}

/** The built-in modules bound by `import json|time|math`. */
export function builtinModule(name: "json" | "time" | "math"): Module {
  return builtinModules().get(name) as Module;
}

export { hashKey };
