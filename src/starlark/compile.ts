// Compiles a resolved AST into JS closures. Variables were resolved to slots, so a local read is an
// array access; statements return a completion code (NORMAL, BREAK, CONTINUE, RETURN).
import type * as A from "./ast.js";
import {
  annotate,
  callFunction,
  callValue,
  Cell,
  type Code,
  Frame,
  LimitError,
  type ModuleContext,
  StarFunction,
  type StarThread,
} from "./call.js";
import { type Position, SourceFile } from "./errors.js";
import { getAttr, methodsNamed, setField } from "./attrs.js";
import {
  concatStrings,
  binary,
  contains,
  getIndex,
  isIterable,
  setIndex,
  slice,
  toArray,
  unary,
} from "./ops.js";
import {
  type ArgsKw,
  Builtin,
  Bytes,
  Dict,
  EvalError,
  Float,
  List,
  Range,
  StarObject,
  StarSet,
  truth,
  typeName,
  type Value,
} from "./values.js";

const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
const RETURN = 3;

type Ex = (fr: Frame) => Value;
type St = (fr: Frame) => number;
type Setter = (fr: Frame, v: Value) => void;

export interface CompileEnv {
  file: SourceFile;
  module: ModuleContext;
  /** Value of a predeclared or universal name (resolved at compile time). */
  lookupStatic(name: string, scope: "predeclared" | "universal"): Value;
  recursion: boolean;
  /** load(module) -> exported names; called at run time. */
  load(thread: StarThread, module: string, pos: Position): Map<string, Value>;
  /** Built-in module for `import NAME`. */
  importModule(name: string): Value;
}

const NO_KW: ArgsKw = [];

export function compileModule(file: A.File, env: CompileEnv): Code {
  const c = new Compiler(env);
  const info = file.module!;
  const body = c.block(file.stmts);
  return {
    info,
    name: "<toplevel>",
    file: env.file,
    pos: { file: env.file, line: 1, col: 1 },
    body,
    paramNames: [],
    recursion: true,
    module: env.module,
  };
}

class Compiler {
  constructor(readonly env: CompileEnv) {}

  pos(line: number, col: number): Position {
    return { file: this.env.file, line, col };
  }

  block(stmts: A.Stmt[]): St {
    const sts = stmts.map((s) => this.stmt(s));
    const n = sts.length;
    if (n === 0) return () => NORMAL;
    if (n === 1) return sts[0]!;
    if (n === 2) {
      const [a, b] = sts as [St, St];
      return (fr) => {
        const r = a(fr);
        if (r !== NORMAL) return r;
        return b(fr);
      };
    }
    return (fr) => {
      for (let i = 0; i < n; i++) {
        const r = sts[i]!(fr);
        if (r !== NORMAL) return r;
      }
      return NORMAL;
    };
  }

  stmt(s: A.Stmt): St {
    switch (s.kind) {
      case "ExprStmt": {
        const x = this.expr(s.x);
        return (fr) => {
          x(fr);
          return NORMAL;
        };
      }
      case "Assign":
        return s.op === "=" ? this.assign(s) : this.augAssign(s);
      case "Def": {
        const mk = this.func(s.name.name, s.params, s.fn!, s.body, s.line, s.col);
        const set = this.setter(s.name);
        return (fr) => {
          set(fr, mk(fr));
          return NORMAL;
        };
      }
      case "If": {
        const cond = this.expr(s.cond);
        const then = this.block(s.then);
        const els = this.block(s.else);
        return (fr) => (truth(cond(fr)) ? then(fr) : els(fr));
      }
      case "For":
        return this.forStmt(s);
      case "While": {
        const cond = this.expr(s.cond);
        const body = this.block(s.body);
        const file = this.env.file;
        return (fr) => {
          const th = fr.thread;
          while (truth(cond(fr))) {
            if (++th.steps >= th.nextCheck) stepLimit(th, file, s.line, s.col);
            const r = body(fr);
            if (r === BREAK) break;
            if (r === RETURN) return RETURN;
          }
          return NORMAL;
        };
      }
      case "Return": {
        if (!s.value)
          return (fr) => {
            fr.ret = null;
            return RETURN;
          };
        const x = this.expr(s.value);
        return (fr) => {
          fr.ret = x(fr);
          return RETURN;
        };
      }
      case "break":
        return () => BREAK;
      case "continue":
        return () => CONTINUE;
      case "pass":
        return () => NORMAL;
      case "Load": {
        const pos = this.pos(s.line, s.col);
        const env = this.env;
        const sets = s.names.map((n) => ({
          from: n.from,
          set: this.setter(n.to),
          pos: this.pos(n.line, n.col),
        }));
        return (fr) => {
          let exports: Map<string, Value>;
          try {
            exports = env.load(fr.thread, s.module, pos);
          } catch (e) {
            throw annotate(e, pos);
          }
          for (const n of sets) {
            const v = exports.get(n.from);
            if (v === undefined) {
              const hint = nearestName(n.from, [...exports.keys()]);
              throw annotate(
                new EvalError(`load: name ${n.from} not found in module ${s.module}${hint}`),
                n.pos,
              );
            }
            n.set(fr, v);
          }
          return NORMAL;
        };
      }
      case "Import": {
        const set = this.setter(s.name);
        const mod = this.env.importModule(s.name.name);
        return (fr) => {
          set(fr, mod);
          return NORMAL;
        };
      }
    }
  }

  forStmt(s: A.ForStmt): St {
    const iter = this.expr(s.iter);
    const set = this.setter(s.vars);
    const body = this.block(s.body);
    const pos = this.pos(s.line, s.col);
    const file = this.env.file;
    return (fr) => {
      const x = iter(fr);
      const th = fr.thread;
      let arr: Value[] | undefined;
      let release: (() => void) | undefined;
      if (x instanceof List) {
        arr = x.elems;
        x.iterating++;
        release = () => x.iterating--;
      } else if (Array.isArray(x)) arr = x;
      else if (x instanceof Range) {
        const n = x.len();
        for (let i = 0; i < n; i++) {
          if (++th.steps >= th.nextCheck) stepLimit(th, file, s.line, s.col);
          set(fr, x.at(i));
          const r = body(fr);
          if (r === BREAK) break;
          if (r === RETURN) return RETURN;
        }
        return NORMAL;
      } else if (x instanceof Dict) {
        arr = x.keys();
        x.iterating++;
        release = () => x.iterating--;
      } else if (x instanceof StarSet) {
        arr = [...x.map.values()];
        x.iterating++;
        release = () => x.iterating--;
      } else if (x instanceof StarObject && x.iterate) {
        for (const v of x.iterate()) {
          if (++th.steps >= th.nextCheck) stepLimit(th, file, s.line, s.col);
          set(fr, v);
          const r = body(fr);
          if (r === BREAK) break;
          if (r === RETURN) return RETURN;
        }
        return NORMAL;
      } else throw annotate(new EvalError(`${typeName(x)} value is not iterable`), pos);
      try {
        for (let i = 0; i < arr.length; i++) {
          if (++th.steps >= th.nextCheck) stepLimit(th, file, s.line, s.col);
          set(fr, arr[i]!);
          const r = body(fr);
          if (r === BREAK) break;
          if (r === RETURN) return RETURN;
        }
      } finally {
        if (release) release();
      }
      return NORMAL;
    };
  }

  assign(s: A.AssignStmt): St {
    const rhs = this.expr(s.rhs);
    const set = this.setter(s.lhs, this.pos(s.opLine, s.opCol));
    return (fr) => {
      set(fr, rhs(fr));
      return NORMAL;
    };
  }

  augAssign(s: A.AssignStmt): St {
    const op = s.op.slice(0, -1);
    const pos = this.pos(s.opLine, s.opCol);
    const rhs = this.expr(s.rhs);
    let lhs = s.lhs;
    while (lhs.kind === "Paren") lhs = lhs.x;
    if (lhs.kind === "Index") {
      const xe = this.expr(lhs.x);
      const ie = this.expr(lhs.index);
      return (fr) => {
        const x = xe(fr);
        const i = ie(fr);
        try {
          const old = getIndex(x, i);
          setIndex(x, i, augCombine(op, old, rhs(fr)));
        } catch (e) {
          throw annotate(e, pos);
        }
        return NORMAL;
      };
    }
    if (lhs.kind === "Dot") {
      const xe = this.expr(lhs.x);
      const name = lhs.name;
      return (fr) => {
        const x = xe(fr);
        try {
          setField(x, name, augCombine(op, getAttr(x, name), rhs(fr)));
        } catch (e) {
          throw annotate(e, pos);
        }
        return NORMAL;
      };
    }
    const get = this.expr(lhs);
    const set = this.setter(lhs);
    const fast = numberOp(op);
    return (fr) => {
      const x = get(fr);
      const y = rhs(fr);
      let r: Value;
      if (fast !== undefined && typeof x === "number" && typeof y === "number") {
        const v = fast(x, y);
        if (v !== undefined) {
          set(fr, v);
          return NORMAL;
        }
      }
      try {
        r = augCombine(op, x, y);
      } catch (e) {
        throw annotate(e, pos);
      }
      set(fr, r);
      return NORMAL;
    };
  }

  setter(lhs: A.Expr, opPos?: Position): Setter {
    switch (lhs.kind) {
      case "Ident": {
        const b = lhs.binding!;
        const i = b.index;
        switch (b.scope) {
          case "local":
            return (fr, v) => {
              fr.locals[i] = v;
            };
          case "cell":
            return (fr, v) => {
              (fr.locals[i] as Cell).v = v;
            };
          case "global": {
            const g = this.env.module.globals;
            return (_fr, v) => {
              g[i] = v;
            };
          }
          default:
            return () => {
              throw new EvalError(`cannot assign to ${lhs.name}`);
            };
        }
      }
      case "Paren":
        return this.setter(lhs.x, opPos);
      case "Tuple":
      case "List": {
        const sets = lhs.elems.map((e) => this.setter(e, opPos));
        const n = sets.length;
        const pos = opPos ?? this.pos(lhs.line, lhs.col);
        return (fr, v) => {
          let arr: Value[];
          if (Array.isArray(v)) arr = v;
          else if (v instanceof List) arr = v.elems;
          else {
            try {
              if (
                typeof v === "string" ||
                v === null ||
                typeof v !== "object" ||
                v instanceof Float ||
                v instanceof Bytes
              )
                throw new EvalError(`got ${typeName(v)} in sequence assignment`);
              arr = toArray(v);
            } catch (e) {
              throw annotate(e, pos);
            }
          }
          if (arr.length !== n) {
            throw annotate(
              new EvalError(
                arr.length > n
                  ? `too many values to unpack (got ${arr.length}, want ${n})`
                  : `too few values to unpack (got ${arr.length}, want ${n})`,
              ),
              pos,
            );
          }
          for (let k = 0; k < n; k++) sets[k]!(fr, arr[k]!);
        };
      }
      case "Index": {
        const xe = this.expr(lhs.x);
        const ie = this.expr(lhs.index);
        const pos = opPos ?? this.pos(lhs.line, lhs.col);
        return (fr, v) => {
          const x = xe(fr);
          const i = ie(fr);
          try {
            setIndex(x, i, v);
          } catch (e) {
            throw annotate(e, pos);
          }
        };
      }
      case "Dot": {
        const xe = this.expr(lhs.x);
        const pos = this.pos(lhs.line, lhs.col);
        return (fr, v) => {
          const x = xe(fr);
          try {
            setField(x, lhs.name, v);
          } catch (e) {
            throw annotate(e, pos);
          }
        };
      }
      default:
        return () => {
          throw new EvalError("invalid assignment target");
        };
    }
  }

  /** Returns a closure that creates the function value (evaluating defaults, capturing free variables). */
  func(
    name: string,
    params: A.Param[],
    info: A.FunctionInfo,
    body: A.Stmt[] | A.Expr,
    line: number,
    col: number,
  ): Ex {
    const ordinary = params.filter((p) => p.kind === "normal" || p.kind === "default");
    const paramNames = [
      ...ordinary.map((p) => p.name!),
      ...params.filter((p) => p.kind === "star" && p.name).map((p) => p.name!),
      ...params.filter((p) => p.kind === "starstar").map((p) => p.name!),
    ];
    const defaults = ordinary.map((p) => (p.default ? this.expr(p.default) : undefined));
    const hasDefaults = defaults.some((d) => d !== undefined);
    // The body is compiled on the function's first call, not with the module: a spec defines many
    // functions (tests, checks, lambdas) that its load never calls, and a cold process pays for every
    // closure it builds. Compiling raises no error (those are all raised by the closures when they
    // run), so this changes no behaviour, only when the work is done.
    const compileBody = (): St => {
      if (Array.isArray(body)) return this.block(body);
      const x = this.expr(body);
      return (fr) => {
        fr.ret = x(fr);
        return RETURN;
      };
    };
    const code: Code = {
      info,
      name,
      file: this.env.file,
      pos: this.pos(line, col),
      body: (fr) => (code.body = compileBody())(fr),
      paramNames,
      recursion: this.env.recursion,
      module: this.env.module,
    };
    const free = info.freevars;
    const nfree = free.length;
    const EMPTY: (Value | undefined)[] = new Array(ordinary.length).fill(undefined);
    return (fr) => {
      let dv = EMPTY;
      if (hasDefaults) {
        dv = new Array(defaults.length);
        for (let i = 0; i < defaults.length; i++) {
          const d = defaults[i];
          dv[i] = d === undefined ? undefined : d(fr);
        }
      }
      const cells: Cell[] = new Array(nfree);
      for (let i = 0; i < nfree; i++) {
        const b = free[i]!;
        cells[i] = b.scope === "free" ? fr.fn!.freevars[b.index]! : (fr.locals[b.index] as Cell);
      }
      return new StarFunction(code, dv, cells);
    };
  }

  expr(e: A.Expr): Ex {
    switch (e.kind) {
      case "Ident":
        return this.ident(e);
      case "Literal": {
        let v: Value;
        if (e.type === "float") v = new Float(e.value as number);
        else if (e.type === "bytes") v = new Bytes(e.value as string);
        else v = e.value;
        return () => v;
      }
      case "Paren":
        return this.expr(e.x);
      case "List": {
        const xs = e.elems.map((x) => this.expr(x));
        const n = xs.length;
        return (fr) => {
          const a: Value[] = new Array(n);
          for (let i = 0; i < n; i++) a[i] = xs[i]!(fr);
          return new List(a);
        };
      }
      case "Tuple": {
        const xs = e.elems.map((x) => this.expr(x));
        const n = xs.length;
        return (fr) => {
          const a: Value[] = new Array(n);
          for (let i = 0; i < n; i++) a[i] = xs[i]!(fr);
          return a;
        };
      }
      case "Dict": {
        const es = e.entries.map((en) => ({
          k: this.expr(en.key),
          v: this.expr(en.value),
          pos: this.pos(en.line, en.col),
        }));
        return (fr) => {
          const d = new Dict();
          for (const en of es) {
            const k = en.k(fr);
            const v = en.v(fr);
            try {
              const before = d.map.size;
              d.set(k, v);
              if (d.map.size === before) throw new EvalError(`duplicate key: ${reprV(k)}`);
            } catch (err) {
              throw annotate(err, en.pos);
            }
          }
          return d;
        };
      }
      case "Comprehension":
        return this.comprehension(e);
      case "Unary": {
        const x = this.expr(e.x);
        const op = e.op;
        const pos = this.pos(e.line, e.col);
        if (op === "not") return (fr) => !truth(x(fr));
        return (fr) => {
          const v = x(fr);
          try {
            return unary(op, v);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      }
      case "Binary":
        return this.binary(e);
      case "Cond": {
        const c = this.expr(e.cond);
        const t = this.expr(e.then);
        const f = this.expr(e.else);
        return (fr) => (truth(c(fr)) ? t(fr) : f(fr));
      }
      case "Call":
        return this.call(e);
      case "Dot": {
        const x = this.expr(e.x);
        const name = e.name;
        const pos = this.pos(e.nameLine, e.nameCol - 1);
        return (fr) => {
          const v = x(fr);
          try {
            return getAttr(v, name);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      }
      case "Index": {
        const x = this.expr(e.x);
        const i = this.expr(e.index);
        const pos = this.pos(e.line, e.col);
        return (fr) => {
          const xv = x(fr);
          const iv = i(fr);
          try {
            return getIndex(xv, iv);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      }
      case "Slice": {
        const x = this.expr(e.x);
        const none = NONE_EX;
        const lo = e.lo ? this.expr(e.lo) : none;
        const hi = e.hi ? this.expr(e.hi) : none;
        const st = e.step ? this.expr(e.step) : none;
        const pos = this.pos(e.line, e.col);
        return (fr) => {
          const xv = x(fr);
          const a = lo(fr);
          const b = hi(fr);
          const c = st(fr);
          try {
            return slice(xv, a, b, c);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      }
      case "Lambda":
        return this.func("lambda", e.params, e.fn!, e.body, e.line, e.col);
    }
  }

  ident(e: A.Ident): Ex {
    const b = e.binding!;
    const i = b.index;
    const pos = this.pos(e.line, e.col);
    const name = e.name;
    switch (b.scope) {
      case "local":
        return (fr) => {
          const v = fr.locals[i];
          if (v === undefined)
            throw annotate(new EvalError(`local variable ${name} referenced before assignment`), pos);
          return v as Value;
        };
      case "cell":
        return (fr) => {
          const v = (fr.locals[i] as Cell).v;
          if (v === undefined)
            throw annotate(new EvalError(`local variable ${name} referenced before assignment`), pos);
          return v;
        };
      case "free":
        return (fr) => {
          const v = fr.fn!.freevars[i]!.v;
          if (v === undefined)
            throw annotate(new EvalError(`local variable ${name} referenced before assignment`), pos);
          return v;
        };
      case "global": {
        const g = this.env.module.globals;
        const kind = b.fileLocal ? "local" : "global";
        return () => {
          const v = g[i];
          if (v === undefined)
            throw annotate(new EvalError(`${kind} variable ${name} referenced before assignment`), pos);
          return v;
        };
      }
      case "predeclared":
      case "universal": {
        const v = this.env.lookupStatic(name, b.scope);
        return () => v;
      }
      default:
        return () => {
          throw annotate(new EvalError(`undefined: ${name}`), pos);
        };
    }
  }

  binary(e: A.BinaryExpr): Ex {
    const x = this.expr(e.x);
    const y = this.expr(e.y);
    const op = e.op;
    const pos = this.pos(e.line, e.col);
    switch (op) {
      case "and":
        return (fr) => {
          const a = x(fr);
          return truth(a) ? y(fr) : a;
        };
      case "or":
        return (fr) => {
          const a = x(fr);
          return truth(a) ? a : y(fr);
        };
      case "+":
        return (fr) => {
          const a = x(fr);
          const b = y(fr);
          if (typeof a === "number" && typeof b === "number") {
            const r = a + b;
            if (r <= 9007199254740991 && r >= -9007199254740991) return r;
          } else if (typeof a === "string" && typeof b === "string") return concatStrings(a, b);
          try {
            return binary(op, a, b);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      case "==":
        return (fr) => {
          const a = x(fr);
          const b = y(fr);
          if (a === b && (typeof a !== "object" || a === null)) return true;
          const ta = typeof a;
          if (ta === typeof b && (ta === "string" || ta === "number" || ta === "boolean")) return false;
          try {
            return binary(op, a, b);
          } catch (err) {
            throw annotate(err, pos);
          }
        };
      case "in":
      case "not in":
        return (fr) => {
          const a = x(fr);
          const b = y(fr);
          try {
            const r = contains(b, a);
            return op === "in" ? r : !r;
          } catch (err) {
            throw annotate(err, pos);
          }
        };
    }
    const fast = numberOp(op);
    if (fast !== undefined)
      return (fr) => {
        const a = x(fr);
        const b = y(fr);
        if (typeof a === "number" && typeof b === "number") {
          const r = fast(a, b);
          if (r !== undefined) return r;
        }
        try {
          return binary(op, a, b);
        } catch (err) {
          throw annotate(err, pos);
        }
      };
    return (fr) => {
      const a = x(fr);
      const b = y(fr);
      try {
        return binary(op, a, b);
      } catch (err) {
        throw annotate(err, pos);
      }
    };
  }

  call(e: A.CallExpr): Ex {
    const pos = this.pos(e.line, e.col);
    const simple = e.args.every((a) => a.kind === "pos");
    const argx = e.args.filter((a) => a.kind === "pos").map((a) => this.expr(a.value));
    const nargs = argx.length;
    const named = e.args
      .filter((a) => a.kind === "named")
      .map((a) => ({ name: a.name!, x: this.expr(a.value) }));
    const star = e.args.find((a) => a.kind === "star");
    const starX = star ? this.expr(star.value) : undefined;
    const starstar = e.args.find((a) => a.kind === "starstar");
    const starstarX = starstar ? this.expr(starstar.value) : undefined;

    const evalArgs = argEvaluator(simple, argx, named, starX, starstarX, pos);

    // Method call fast path: x.name(args) on built-in types avoids creating a bound method.
    if (e.fn.kind === "Dot") {
      const recvX = this.expr(e.fn.x);
      const name = e.fn.name;
      const dotPos = this.pos(e.fn.nameLine, e.fn.nameCol - 1);
      // the method of each built-in type is looked up once, here, instead of at every call
      const byTag = methodsNamed(name);
      return (fr) => {
        const recv = recvX(fr);
        const m =
          typeof recv === "string"
            ? byTag.string
            : typeof recv === "object" && recv !== null && !Array.isArray(recv)
              ? byTag.tagged[recv.tag]
              : undefined;
        const [args, kw] = evalArgs(fr);
        const th = fr.thread;
        th.callPos = pos;
        if (m !== undefined) {
          try {
            if (++th.steps >= th.nextCheck) th.checkLimits();
            return m(th, recv, args, kw, name);
          } catch (err) {
            throw annotate(err, pos);
          }
        }
        let f: Value;
        try {
          f = getAttr(recv, name);
        } catch (err) {
          throw annotate(err, dotPos);
        }
        th.callPos = pos;
        try {
          return f instanceof StarFunction ? callFunction(th, f, args, kw) : callValue(th, f, args, kw);
        } catch (err) {
          throw annotate(err, pos);
        }
      };
    }
    const fnX = this.expr(e.fn);
    if (simple && nargs <= 3) {
      const [a0, a1, a2] = argx;
      return (fr) => {
        const f = fnX(fr);
        const args: Value[] =
          nargs === 0
            ? []
            : nargs === 1
              ? [a0!(fr)]
              : nargs === 2
                ? [a0!(fr), a1!(fr)]
                : [a0!(fr), a1!(fr), a2!(fr)];
        fr.thread.callPos = pos;
        try {
          if (f instanceof StarFunction) return callFunction(fr.thread, f, args, NO_KW);
          if (f instanceof Builtin) {
            const th = fr.thread;
            if (++th.steps >= th.nextCheck) th.checkLimits();
            return f.impl(th, args, NO_KW, f);
          }
          return callValue(fr.thread, f, args, NO_KW);
        } catch (err) {
          throw annotate(err, pos);
        }
      };
    }
    return (fr) => {
      const f = fnX(fr);
      const [args, kw] = evalArgs(fr);
      fr.thread.callPos = pos;
      try {
        return callValue(fr.thread, f, args, kw);
      } catch (err) {
        throw annotate(err, pos);
      }
    };
  }

  comprehension(e: A.Comprehension): Ex {
    let emit: (fr: Frame, out: List | Dict) => void;
    if (e.curly) {
      const en = e.body as A.DictEntry;
      const k = this.expr(en.key);
      const v = this.expr(en.value);
      const pos = this.pos(en.line, en.col);
      emit = (fr, out) => {
        const kv = k(fr);
        const vv = v(fr);
        try {
          (out as Dict).set(kv, vv);
        } catch (err) {
          throw annotate(err, pos);
        }
      };
    } else {
      const b = this.expr(e.body as A.Expr);
      emit = (fr, out) => {
        (out as List).elems.push(b(fr));
      };
    }
    // Build the clause chain from the innermost outwards.
    let next = emit;
    for (let i = e.clauses.length - 1; i >= 0; i--) {
      const c = e.clauses[i]!;
      const inner = next;
      if (c.kind === "if") {
        const cond = this.expr(c.cond);
        next = (fr, out) => {
          if (truth(cond(fr))) inner(fr, out);
        };
      } else {
        const iter = this.expr(c.iter);
        const set = this.setter(c.vars);
        const pos = this.pos(c.line, c.col);
        const file = this.env.file;
        next = (fr, out) => {
          const x = iter(fr);
          const th = fr.thread;
          if (x instanceof Range) {
            const n = x.len();
            for (let j = 0; j < n; j++) {
              if (++th.steps >= th.nextCheck) stepLimit(th, file, c.line, c.col);
              set(fr, x.at(j));
              inner(fr, out);
            }
            return;
          }
          let arr: Value[];
          let rel: (() => void) | undefined;
          if (x instanceof List) {
            arr = x.elems;
            x.iterating++;
            rel = () => x.iterating--;
          } else if (Array.isArray(x)) arr = x;
          else if (x instanceof Dict) {
            arr = x.keys();
            x.iterating++;
            rel = () => x.iterating--;
          } else if (x instanceof StarSet) {
            arr = [...x.map.values()];
            x.iterating++;
            rel = () => x.iterating--;
          } else if (x instanceof StarObject && x.iterate) {
            for (const v of x.iterate()) {
              if (++th.steps >= th.nextCheck) stepLimit(th, file, c.line, c.col);
              set(fr, v);
              inner(fr, out);
            }
            return;
          } else throw annotate(new EvalError(`${typeName(x)} value is not iterable`), pos);
          try {
            for (let j = 0; j < arr.length; j++) {
              if (++th.steps >= th.nextCheck) stepLimit(th, file, c.line, c.col);
              set(fr, arr[j]!);
              inner(fr, out);
            }
          } finally {
            if (rel) rel();
          }
        };
      }
    }
    const run = next;
    if (e.curly)
      return (fr) => {
        const d = new Dict();
        run(fr, d);
        return d;
      };
    return (fr) => {
      const l = new List([]);
      run(fr, l);
      return l;
    };
  }
}

import { repr as reprV } from "./values.js";
import { nearest } from "../util/spell.js";
function nearestName(name: string, cands: string[]): string {
  const n = nearest(name, cands);
  return n ? ` (did you mean ${n}?)` : "";
}

export { Frame, LimitError };

const MAX_SAFE = 9007199254740991;
/** Operators on two small ints, specialized at compile time; undefined means "take the general path". */
function numberOp(op: string): ((a: number, b: number) => Value | undefined) | undefined {
  switch (op) {
    case "+":
      return (a, b) => {
        const r = a + b;
        return r <= MAX_SAFE && r >= -MAX_SAFE ? r : undefined;
      };
    case "-":
      return (a, b) => {
        const r = a - b;
        return r <= MAX_SAFE && r >= -MAX_SAFE ? r : undefined;
      };
    case "*":
      return (a, b) => {
        const r = a * b;
        return r <= MAX_SAFE && r >= -MAX_SAFE ? (r === 0 ? 0 : r) : undefined;
      };
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
    case ">":
      return (a, b) => a > b;
    case ">=":
      return (a, b) => a >= b;
    case "!=":
      return (a, b) => a !== b;
    case "%":
      return (a, b) => {
        if (b === 0) return undefined;
        const r = a % b;
        return r !== 0 && r < 0 !== b < 0 ? r + b : r === 0 ? 0 : r;
      };
    case "//":
      return (a, b) => {
        if (b === 0) return undefined;
        const r = a % b;
        const q = (a - r) / b;
        return r !== 0 && r < 0 !== b < 0 ? q - 1 : q === 0 ? 0 : q;
      };
    case "&":
      return (a, b) => ((a | 0) === a && (b | 0) === b ? a & b : undefined);
    case "|":
      return (a, b) => ((a | 0) === a && (b | 0) === b ? a | b : undefined);
  }
  return undefined;
}

const NONE_EX: Ex = () => null;

/** Checks the thread's limits at a loop step, reporting a limit error at the loop's position. */
function stepLimit(th: StarThread, file: SourceFile, line: number, col: number): void {
  try {
    th.checkLimits();
  } catch (e) {
    throw annotate(e, { file, line, col });
  }
}

/** x op= y: lists extend in place (any iterable), dicts update in place with |=, else x op y. */
function augCombine(op: string, x: Value, y: Value): Value {
  if (op === "+" && x instanceof List && isIterable(y)) {
    x.checkMutable("apply += to");
    const add = toArray(y);
    for (const e of add) x.elems.push(e);
    return x;
  }
  if (op === "|" && x instanceof Dict && y instanceof Dict) {
    for (const e of y.map.values()) x.set(e.k, e.v);
    return x;
  }
  return binary(op, x, y);
}

/** Evaluates the arguments of a call: positional, named, *args and **kwargs. */
function argEvaluator(
  simple: boolean,
  argx: Ex[],
  named: { name: string; x: Ex }[],
  starX: Ex | undefined,
  starstarX: Ex | undefined,
  pos: Position,
): (fr: Frame) => [Value[], ArgsKw] {
  const nargs = argx.length;
  return (fr) => {
    const args: Value[] = new Array(nargs);
    for (let i = 0; i < nargs; i++) args[i] = argx[i]!(fr);
    if (simple) return [args, NO_KW];
    const kw: ArgsKw = [];
    for (const n of named) kw.push([n.name, n.x(fr)]);
    if (starX) {
      const v = starX(fr);
      if (Array.isArray(v)) args.push(...v);
      else if (v instanceof List) args.push(...v.elems);
      else {
        try {
          if (typeof v === "string" || typeof v !== "object" || v === null || v instanceof Float)
            throw new EvalError(`argument after * must be iterable, not ${typeName(v)}`);
          args.push(...toArray(v));
        } catch (err) {
          throw annotate(err, pos);
        }
      }
    }
    if (starstarX) {
      const v = starstarX(fr);
      if (!(v instanceof Dict))
        throw annotate(new EvalError(`argument after ** must be a mapping, not ${typeName(v)}`), pos);
      for (const en of v.map.values()) {
        if (typeof en.k !== "string")
          throw annotate(new EvalError(`keywords must be strings, not ${typeName(en.k)}`), pos);
        kw.push([en.k, en.v]);
      }
    }
    return [args, kw];
  };
}
