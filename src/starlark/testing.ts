// Runs chunked test files in starlark-go's convention: chunks separated by "---" lines, `### "regexp"`
// on each line that must fail, per-chunk `option:NAME` dialect flags, `load("assert.star", "assert")`.
import { positional, unpackArgs } from "./args.js";
import { structBuiltin } from "./builtins.js";
import { callValue, type HostCallable, StarThread } from "./call.js";
import { SourceFile, StarlarkError } from "./errors.js";
import { parse } from "./parser.js";
import { resolve } from "./resolver.js";
import "./format.js";
import { Interpreter, type LoadResult } from "./interp.js";
import { builtinModules } from "./modules/index.js";
import { type DialectOptions, STRICT_OPTIONS } from "./resolver.js";
import {
  Builtin,
  EvalError,
  Float,
  type HashKey,
  List,
  Module,
  Struct,
  StarObject,
  type Thread,
  type Value,
  freeze,
  str,
  typeName,
} from "./values.js";

// The assert module, written in Starlark on top of the host builtins error, catch, matches, module,
// _freeze and _floateq (the same names and messages the conformance files expect).
const ASSERT_SOURCE = `
_numeric = ("float", "int")

def _eq(x, y):
    if x == y:
        return
    if (type(x) == "float" and type(y) in _numeric) or (type(y) == "float" and type(x) in _numeric):
        if not _floateq(float(x), float(y)):
            error("floats: %r != %r (delta > 1 ulp)" % (x, y))
        return
    error("%r != %r" % (x, y))

def _ne(x, y):
    if x == y:
        error("%r == %r" % (x, y))

def _true(cond, msg = "assertion failed"):
    if not cond:
        error(msg)

def _lt(x, y):
    if not (x < y):
        error("%s is not less than %s" % (x, y))

def _contains(x, y):
    if y not in x:
        error("%s does not contain %s" % (x, y))

def _fails(f, pattern):
    "fails reports an error unless f() fails with an error matching pattern."
    msg = catch(f)
    if msg == None:
        error("evaluation succeeded unexpectedly (want error matching %r)" % pattern)
    elif not matches(pattern, msg):
        error("regular expression (%s) did not match error (%s)" % (pattern, msg))

freeze = _freeze

assert = module(
    "assert",
    fail = error,
    eq = _eq,
    ne = _ne,
    true = _true,
    lt = _lt,
    contains = _contains,
    fails = _fails,
)
`;

/** Go regexp syntax is close enough to JS for the patterns used; translate the few differences. */
export function goRegExp(pattern: string): RegExp {
  let p = pattern.replace(/\(\?s\)/g, "");
  p = p.replace(/\\z/g, "$");
  return new RegExp(p, pattern.includes("(?s)") ? "s" : "");
}

/** A module value as made by starlarkstruct.MakeModule: `<module "name">`, read-only attributes. */
function makeModule(_th: Thread, args: Value[], kwargs: [string, Value][]): Value {
  if (args.length !== 1 || typeof args[0] !== "string")
    throw new EvalError("module: got " + args.length + " arguments, want 1 (name)");
  return new Module(args[0], new Map(kwargs));
}

/** hasfields(): a settable attribute bag used by the conformance files (hash 42, `list + hasfields`). */
class HasFields extends StarObject {
  frozen = false;
  readonly attrs = new Map<string, Value>();
  typeName(): string {
    return "hasfields";
  }
  override repr(): string {
    return "hasfields";
  }
  override hashKey(): HashKey {
    return this;
  }
  override freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    for (const v of this.attrs.values()) freeze(v);
  }
  override attr(name: string): Value | undefined {
    return this.attrs.get(name);
  }
  override attrNames(): string[] {
    return [...this.attrs.keys()].sort();
  }
  override setField(name: string, v: Value): void {
    if (this.frozen) throw new EvalError("cannot set field on a frozen hasfields");
    if (name.startsWith("no")) throw new EvalError(`no .${name} field`);
    this.attrs.set(name, v);
  }
  override binary(op: string, other: Value, side: "left" | "right"): Value | undefined {
    if (op === "+" && side === "right" && other instanceof List) return 42;
    return undefined;
  }
}

/** gensym(name): a callable "symbol" that makes structs branded with its name (struct.star). */
class StructSymbol extends StarObject implements HostCallable {
  constructor(readonly name: string) {
    super();
  }
  typeName(): string {
    return "symbol";
  }
  override repr(): string {
    return this.name;
  }
  callHost(_th: Thread, args: Value[], kwargs: [string, Value][]): Value {
    if (args.length > 0) throw new EvalError(`${this.name}: unexpected positional arguments`);
    return new Struct(new Map(kwargs), this.name, this);
  }
}

/** fibonacci: an infinite iterable. */
class Fibonacci extends StarObject {
  typeName(): string {
    return "fibonacci";
  }
  override repr(): string {
    return "fibonacci";
  }
  override *iterate(): Iterable<Value> {
    let a = 0;
    let b = 1;
    while (true) {
      yield a;
      [a, b] = [b, a + b];
    }
  }
}

export interface ChunkResult {
  line: number; // first line of the chunk
  passed: boolean;
  failures: string[];
}

function unquoteGo(lit: string): string {
  if (lit.startsWith("`")) return lit.slice(1, lit.lastIndexOf("`"));
  const end = lit.lastIndexOf('"');
  const body = lit.slice(1, end);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i]!;
    const m: Record<string, string> = {
      n: "\n",
      t: "\t",
      r: "\r",
      "\\": "\\",
      '"': '"',
      "'": "'",
      a: "\x07",
      b: "\b",
      f: "\f",
      v: "\v",
    };
    if (m[e] !== undefined) out += m[e];
    else if (e === "x") {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += "\\" + e;
  }
  return out;
}

export interface TestRunOptions {
  print?: (msg: string) => void;
  /** Options every chunk gets in addition to its own `option:NAME` flags (default: none). */
  baseOptions?: DialectOptions;
  /** Files a chunk may load besides assert.star/json.star/time.star/math.star (path -> source). */
  readFile?: (path: string) => string;
  /**
   * "exec" (default) runs each chunk; "parse" only parses (starlark-go's syntax/testdata/errors.star);
   * "resolve" parses and resolves with predeclared M and universal U, float (resolve/testdata/resolve.star).
   */
  mode?: "exec" | "parse" | "resolve";
}

export function runChunkedFile(filename: string, text: string, opts: TestRunOptions = {}): ChunkResult[] {
  const print = opts.print ?? ((m: string) => process.stdout.write(m + "\n"));
  const lines = text.split("\n");
  const chunks: { start: number; src: string }[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i === lines.length || lines[i] === "---") {
      const body = lines.slice(start, i).join("\n");
      chunks.push({ start: start + 1, src: "\n".repeat(start) + body });
      start = i + 1;
    }
  }
  const results: ChunkResult[] = [];
  for (const chunk of chunks) {
    const failures: string[] = [];
    // expectations
    const want = new Map<number, RegExp[]>();
    chunk.src.split("\n").forEach((l, idx) => {
      const k = l.indexOf("###");
      if (k < 0) return;
      const rest = l.slice(k + 3).trim();
      if (!rest.startsWith('"') && !rest.startsWith("`")) return;
      const pat = unquoteGo(rest);
      try {
        const arr = want.get(idx + 1) ?? [];
        arr.push(goRegExp(pat));
        want.set(idx + 1, arr);
      } catch {
        failures.push(`${filename}:${idx + 1}: bad regexp ${JSON.stringify(pat)}`);
      }
    });
    const options: DialectOptions = { ...(opts.baseOptions ?? STRICT_OPTIONS) };
    const flag = (name: string) => chunk.src.includes("option:" + name);
    if (flag("set")) options.set = true;
    if (flag("while")) options.while = true;
    if (flag("toplevelcontrol")) options.topLevelControl = true;
    if (flag("globalreassign")) options.globalReassign = true;
    if (flag("loadbindsglobally")) options.loadBindsGlobally = true;
    if (flag("recursion")) options.recursion = true;

    const reported: string[] = [];
    const interp = makeTestInterpreter(filename, reported, options, opts.readFile);
    const thread = new StarThread({ print: (_t, m) => print(m), maxDepth: 2000, maxSteps: 2e8 });
    const errors: StarlarkError[] = [];
    try {
      if (opts.mode === "parse") parse(new SourceFile(filename, chunk.src));
      else if (opts.mode === "resolve") resolveOnly(filename, chunk.src, options);
      else interp.execFile(filename, chunk.src, thread, options);
    } catch (e) {
      if (e instanceof StarlarkError) errors.push(...(e.kind === "resolve" ? e.all : [e]));
      else failures.push(`internal error: ${String(e)}`);
    }
    for (const e of errors) {
      // attribute the error to the innermost frame in this file
      let line = e.pos && e.pos.file.name === filename ? e.pos.line : 0;
      for (let i = e.frames.length - 1; i >= 0; i--) {
        const p = e.frames[i]!.pos;
        if (p && p.file.name === filename) {
          line = p.line;
          break;
        }
      }
      const pats = want.get(line);
      const idx = pats ? pats.findIndex((re) => re.test(e.msg)) : -1;
      if (pats && idx >= 0) {
        pats.splice(idx, 1);
        if (pats.length === 0) want.delete(line);
      } else failures.push(`unexpected error: ${e.format().split("\n")[0]}`);
    }
    for (const [line, pats] of want)
      for (const re of pats) failures.push(`${filename}:${line}: expected error matching ${re.source}`);
    for (const r of reported) failures.push(`assertion failed: ${r}`);
    const passed = failures.length === 0;
    results.push({ line: chunk.start, passed, failures });
    print(
      `${passed ? "PASS" : "FAIL"} ${filename}:${chunk.start}${passed ? "" : "\n  " + failures.join("\n  ")}`,
    );
  }
  return results;
}

function makeTestInterpreter(
  filename: string,
  reported: string[],
  options: DialectOptions,
  readFile?: (p: string) => string,
): Interpreter {
  const assertHost = new Map<string, Value>([
    [
      "error",
      new Builtin("error", (th, a, k) => {
        positional("error", a, k, 1, 1);
        // report the innermost position in the file under test
        const stack = th.callStack();
        let where = "";
        for (let i = stack.length - 1; i >= 0; i--) {
          const p = stack[i]!.pos;
          if (p && p.file.name === filename) {
            where = `${p.file.name}:${p.line}: `;
            break;
          }
        }
        reported.push(where + str(a[0]!));
        return null;
      }),
    ],
    [
      "catch",
      new Builtin("catch", (th, a, k) => {
        const [fn] = unpackArgs("catch", a, k, ["fn"]);
        const t = th as StarThread;
        const depth = t.depth;
        const stackLen = t.stack.length;
        try {
          callValue(t, fn!, [], []);
          return null;
        } catch (e) {
          t.depth = depth;
          t.stack.length = stackLen;
          if (e instanceof StarlarkError) return e.msg;
          if (e instanceof EvalError) return e.message;
          if (e instanceof RangeError) return "Starlark stack overflow";
          throw e;
        }
      }),
    ],
    [
      "matches",
      new Builtin("matches", (_t, a, k) => {
        const [pattern, s] = unpackArgs("matches", a, k, ["pattern", "str"]);
        if (typeof pattern !== "string" || typeof s !== "string")
          throw new EvalError("matches: want string arguments");
        try {
          return goRegExp(pattern).test(s);
        } catch (e) {
          throw new EvalError(`matches: ${(e as Error).message}`);
        }
      }),
    ],
    ["module", new Builtin("module", (th, a, k) => makeModule(th, a, k))],
    [
      "_freeze",
      new Builtin("freeze", (_t, a, k) => {
        if (k.length > 0) throw new EvalError("freeze does not accept keyword arguments");
        if (a.length !== 1) throw new EvalError(`freeze got ${a.length} arguments, wants 1`);
        freeze(a[0]!);
        return a[0]!;
      }),
    ],
    [
      "_floateq",
      new Builtin("floateq", (_t, a, k) => {
        positional("floateq", a, k, 2, 2);
        const f = (v: Value) => {
          if (!(v instanceof Float)) throw new EvalError(`floateq: got ${typeName(v)}, want float`);
          return v.v;
        };
        const x = f(a[0]!);
        const y = f(a[1]!);
        if (x === y) return true;
        if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
        const buf = new DataView(new ArrayBuffer(16));
        buf.setFloat64(0, x);
        buf.setFloat64(8, y);
        const bx = buf.getBigUint64(0);
        const by = buf.getBigUint64(8);
        return bx === by + 1n || by === bx + 1n;
      }),
    ],
  ]);
  let assertExports: Map<string, Value> | undefined;
  const predeclared = new Map<string, Value>([
    [
      "hasfields",
      new Builtin("hasfields", (_t, a, k) => {
        if (a.length + k.length > 0) throw new EvalError("hasfields: unexpected arguments");
        return new HasFields();
      }),
    ],
    ["fibonacci", new Fibonacci()],
    ["struct", structBuiltin],
    [
      "gensym",
      new Builtin("gensym", (_t, a, k) => {
        const [name] = unpackArgs("gensym", a, k, ["name"]);
        return new StructSymbol(String(name));
      }),
    ],
  ]);
  const interp: Interpreter = new Interpreter({
    predeclared,
    options,
    loader: (module: string): LoadResult => {
      if (module === "assert.star") {
        if (!assertExports) {
          const ai = new Interpreter({ predeclared: assertHost, options: { ...options, set: true } });
          assertExports = ai.execFile("assert.star", ASSERT_SOURCE, new StarThread()).exports;
        }
        return { filename: "assert.star", members: assertExports };
      }
      const m = /^(json|time|math)\.star$/.exec(module);
      if (m) return { filename: module, members: new Map([[m[1]!, builtinModules().get(m[1]!)!]]) };
      if (readFile) return { filename: module, source: readFile(module) };
      throw new Error(`no such module (from ${filename})`);
    },
  });
  return interp;
}

/** resolve.star's environment: predeclared M, universal U and float. */
function resolveOnly(filename: string, src: string, options: DialectOptions): void {
  const sf = new SourceFile(filename, src);
  const file = parse(sf);
  resolve(
    file,
    sf,
    (n) => n === "M",
    (n) => n === "U" || n === "float" || n === "set",
    options,
    () => ["M", "U", "float"],
  );
}
