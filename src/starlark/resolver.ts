// The resolver binds every identifier to a scope and a slot (local, cell, free, global, predeclared,
// universal), checks the static rules of the dialect, and reports every error of the file at once.
import type * as A from "./ast.js";
import { SourceFile, StarlarkError } from "./errors.js";
import { nearest } from "../util/spell.js";

export interface DialectOptions {
  /** the `set` builtin */
  set: boolean;
  /** `while` loops */
  while: boolean;
  /** `if`, `for`, `while` at top level */
  topLevelControl: boolean;
  /** rebinding a global (and load-bound names) at top level */
  globalReassign: boolean;
  /** load() binds globals (exported) rather than file-local names */
  loadBindsGlobally: boolean;
  /** functions may call themselves (checked at run time) */
  recursion: boolean;
  /** dialect extension: `import json|time|math` */
  imports: boolean;
}

/** Faultbox's profile: every option on. */
export const FAULTBOX_OPTIONS: DialectOptions = {
  set: true,
  while: true,
  topLevelControl: true,
  globalReassign: true,
  loadBindsGlobally: false,
  recursion: true,
  imports: true,
};

/** starlark-go's defaults (every option off); conformance chunks opt in. */
export const STRICT_OPTIONS: DialectOptions = {
  set: false,
  while: false,
  topLevelControl: false,
  globalReassign: false,
  loadBindsGlobally: false,
  recursion: false,
  imports: false,
};

export const BUILTIN_MODULES = new Set(["json", "time", "math"]);

interface Block {
  parent: Block | undefined;
  fn: FnState;
  bindings: Map<string, A.Binding>;
  isFile?: boolean;
}

interface FnState {
  info: A.FunctionInfo;
  parent: FnState | undefined;
  defEnv: Block | undefined; // env in the enclosing function where this function was defined
  free: Map<string, A.Binding>;
  localBindings: A.Binding[];
  uses: { id: A.Ident; env: Block }[];
}

export function resolve(
  file: A.File,
  source: SourceFile,
  isPredeclared: (name: string) => boolean,
  isUniversal: (name: string) => boolean,
  options: DialectOptions,
  allNames: () => string[] = () => [],
): void {
  const errors: StarlarkError[] = [];
  const errorf = (line: number, col: number, msg: string) => {
    errors.push(new StarlarkError("resolve", msg, { file: source, line, col }));
  };
  const globals = new Map<string, A.Binding>();
  const globalNames: string[] = [];

  const newInfo = (name: string, params: A.Param[]): A.FunctionInfo => ({
    name,
    params,
    numLocals: 0,
    cells: [],
    freevars: [],
    numPositional: 0,
    numKwonly: 0,
    hasVarargs: false,
    hasKwargs: false,
    localNames: [],
  });
  const moduleFn: FnState = {
    info: newInfo("<toplevel>", []),
    parent: undefined,
    defEnv: undefined,
    free: new Map(),
    localBindings: [],
    uses: [],
  };
  const fileBlock: Block = { parent: undefined, fn: moduleFn, bindings: new Map(), isFile: true };
  const pending: { fn: FnState; body: A.Stmt[] | A.Expr; env: Block }[] = [];
  const predeclaredCache = new Map<string, A.Binding>();

  let env: Block = fileBlock;
  let loops = 0;
  let inFunction = false;
  let conditional = 0;

  const bindLocal = (id: A.Ident): boolean => {
    const existing = env.bindings.get(id.name);
    if (existing) {
      id.binding = existing;
      return true;
    }
    const info = env.fn.info;
    const b: A.Binding = {
      scope: "local",
      index: info.numLocals++,
      name: id.name,
      line: id.line,
      col: id.col,
    };
    info.localNames.push(id.name);
    env.fn.localBindings.push(b);
    env.bindings.set(id.name, b);
    id.binding = b;
    return false;
  };

  const bind = (id: A.Ident): void => {
    if (env === fileBlock) {
      let b = fileBlock.bindings.get(id.name);
      let existed = b !== undefined;
      if (!b) {
        b = globals.get(id.name);
        existed = b !== undefined;
        if (!b) {
          b = { scope: "global", index: globalNames.length, name: id.name, line: id.line, col: id.col };
          globals.set(id.name, b);
          globalNames.push(id.name);
        }
      }
      if (existed && !options.globalReassign) {
        errorf(
          id.line,
          id.col,
          `cannot reassign ${b.fileLocal ? "local" : b.scope} ${id.name} declared at ${source.name}:${b.line}:${b.col}`,
        );
      }
      id.binding = b;
      return;
    }
    bindLocal(id);
  };

  const use = (id: A.Ident) => {
    // With globalreassign (Bazel/Python legacy), top-level uses resolve at once: a global must be
    // defined before it is used. Otherwise resolution waits for the end of the block.
    if (options.globalReassign && env === fileBlock) {
      useEnv = undefined;
      id.binding = topLevel(id);
      return;
    }
    env.fn.uses.push({ id, env });
  };

  const topLevel = (id: A.Ident): A.Binding => {
    const fb = fileBlock.bindings.get(id.name);
    if (fb) return fb;
    const g = globals.get(id.name);
    if (g) return g;
    let p = predeclaredCache.get(id.name);
    if (p) return p;
    if (isPredeclared(id.name)) {
      p = { scope: "predeclared", index: -1, name: id.name, line: 0, col: 0 };
    } else if (isUniversal(id.name)) {
      if (!options.set && id.name === "set")
        errorf(id.line, id.col, "this Starlark dialect does not support sets");
      p = { scope: "universal", index: -1, name: id.name, line: 0, col: 0 };
    } else {
      const hint = nearest(id.name, [
        ...localCandidates(),
        ...globals.keys(),
        ...fileBlock.bindings.keys(),
        ...allNames(),
      ]);
      errorf(id.line, id.col, `undefined: ${id.name}${hint ? ` (did you mean ${hint}?)` : ""}`);
      return { scope: "undefined", index: -1, name: id.name, line: 0, col: 0 };
    }
    predeclaredCache.set(id.name, p);
    return p;
  };

  // The block of the use being resolved: its enclosing names are candidates for spelling hints.
  let useEnv: Block | undefined;
  const localCandidates = (): string[] => {
    const out: string[] = [];
    for (let b: Block | undefined = useEnv; b; b = b.parent ?? b.fn.defEnv) {
      out.push(...b.bindings.keys());
      if (b.isFile) break;
    }
    return out;
  };

  const lookup = (fn: FnState, start: Block | undefined, id: A.Ident): A.Binding => {
    let b = start;
    while (b && b.fn === fn && !b.isFile) {
      const x = b.bindings.get(id.name);
      if (x) return x;
      b = b.parent;
    }
    if (fn === moduleFn) return topLevel(id);
    const f = fn.free.get(id.name);
    if (f) return f;
    const outer = lookup(fn.parent!, fn.defEnv, id);
    if (outer.scope === "local" || outer.scope === "cell" || outer.scope === "free") {
      if (outer.scope === "local") outer.scope = "cell";
      const fb: A.Binding = {
        scope: "free",
        index: fn.info.freevars.length,
        name: id.name,
        line: outer.line,
        col: outer.col,
      };
      fn.info.freevars.push(outer);
      fn.free.set(id.name, fb);
      return fb;
    }
    return outer;
  };

  const resolveUses = (fn: FnState) => {
    for (const u of fn.uses) {
      useEnv = u.env;
      u.id.binding = lookup(fn, u.env, u.id);
    }
    fn.uses = [];
  };

  // ----- statements -----
  const stmts = (ss: A.Stmt[]) => {
    for (const s of ss) stmt(s);
  };

  const stmt = (s: A.Stmt): void => {
    curLine = s.line;
    curCol = s.col;
    switch (s.kind) {
      case "ExprStmt":
        expr(s.x);
        break;
      case "Assign": {
        const aug = s.op !== "=";
        expr(s.rhs);
        if (aug && s.lhs.kind === "Ident") use(s.lhs);
        assign(s.lhs, aug);
        break;
      }
      case "Def": {
        bind(s.name);
        const fn = func(s.name.name, s.params, s.line, s.col);
        s.fn = fn.info;
        pending.push({ fn, body: s.body, env });
        break;
      }
      case "If":
        if (!inFunction && !options.topLevelControl && !s.isElif)
          errorf(s.line, s.col, "if statement not within a function");
        expr(s.cond);
        conditional++;
        stmts(s.then);
        stmts(s.else);
        conditional--;
        break;
      case "For":
        if (!inFunction && !options.topLevelControl) errorf(s.line, s.col, "for loop not within a function");
        expr(s.iter);
        assign(s.vars, false);
        loops++;
        stmts(s.body);
        loops--;
        break;
      case "While":
        if (!options.while) errorf(s.line, s.col, "this Starlark dialect does not support while loops");
        else if (!inFunction && !options.topLevelControl)
          errorf(s.line, s.col, "while loop not within a function");
        expr(s.cond);
        loops++;
        stmts(s.body);
        loops--;
        break;
      case "break":
      case "continue":
        if (loops === 0) errorf(s.line, s.col, `${s.kind} not in a loop`);
        break;
      case "pass":
        break;
      case "Return":
        if (!inFunction) errorf(s.line, s.col, "return statement not within a function");
        if (s.value) expr(s.value);
        break;
      case "Load":
        if (inFunction) errorf(s.line, s.col, "load statement within a function");
        else if (loops > 0) errorf(s.line, s.col, "load statement within a loop");
        else if (conditional > 0) errorf(s.line, s.col, "load statement within a conditional");
        for (const n of s.names) {
          if (n.from === "") errorf(n.line, n.col, "load: empty identifier");
          else if (n.from.startsWith("_"))
            errorf(n.line, n.col, `load: names with leading underscores are not exported: ${n.from}`);
          if (options.loadBindsGlobally) bind(n.to);
          else {
            const existed = fileBlock.bindings.has(n.to.name) || globals.has(n.to.name);
            if (globals.has(n.to.name)) n.to.binding = globals.get(n.to.name);
            else {
              const prev = env;
              env = fileBlock;
              // file-local bindings share the global slot space so the evaluator treats them alike
              const b: A.Binding = {
                scope: "global",
                index: globalNames.length,
                name: n.to.name,
                line: n.to.line,
                col: n.to.col,
                fileLocal: true,
              };
              if (!fileBlock.bindings.has(n.to.name)) {
                globalNames.push(n.to.name);
                fileBlock.bindings.set(n.to.name, b);
              }
              n.to.binding = fileBlock.bindings.get(n.to.name);
              env = prev;
            }
            if (existed && !options.globalReassign)
              errorf(n.to.line, n.to.col, `cannot reassign top-level ${n.to.name}`);
          }
        }
        break;
      case "Import":
        if (inFunction) errorf(s.line, s.col, "import statement within a function");
        else if (!options.imports || !BUILTIN_MODULES.has(s.name.name))
          errorf(
            s.name.line,
            s.name.col,
            `import of module "${s.name.name}" is not supported: Starlark has no import statement; use load("<file>.star", "<name>") to load definitions${options.imports ? ` (built-in modules: ${[...BUILTIN_MODULES].join(", ")})` : ""}`,
          );
        bind(s.name);
        break;
    }
  };

  const assign = (lhs: A.Expr, aug: boolean): void => {
    switch (lhs.kind) {
      case "Ident":
        bind(lhs);
        break;
      case "Index":
        expr(lhs.x);
        expr(lhs.index);
        break;
      case "Dot":
        expr(lhs.x);
        break;
      case "Tuple":
        if (aug) errorf(lhs.line, lhs.col, "can't use tuple expression in augmented assignment");
        for (const e of lhs.elems) assign(e, aug);
        break;
      case "List":
        if (aug) errorf(lhs.line, lhs.col, "can't use list expression in augmented assignment");
        for (const e of lhs.elems) assign(e, aug);
        break;
      case "Paren":
        assign(lhs.x, aug);
        break;
      default: {
        const names: Record<string, string> = {
          Literal: "literal",
          Call: "callexpr",
          Binary: "binaryexpr",
          Unary: "unaryexpr",
          Cond: "condexpr",
          Dict: "dictexpr",
          Comprehension: "comprehension",
          Slice: "sliceexpr",
          Lambda: "lambdaexpr",
        };
        errorf(lhs.line, lhs.col, `can't assign to ${names[lhs.kind] ?? lhs.kind.toLowerCase()}`);
      }
    }
  };

  const func = (name: string, params: A.Param[], _line: number, _col: number): FnState => {
    const info = newInfo(name, params);
    // parameter checks
    let seenOptional = false;
    let star: A.Param | undefined;
    let starStar: A.Param | undefined;
    const seen = new Set<string>();
    for (const p of params) {
      if (p.kind === "normal") {
        if (starStar) errorf(p.line, p.col, `required parameter may not follow **${starStar.name}`);
        else if (seenOptional && !star) errorf(p.line, p.col, "required parameter may not follow optional");
      } else if (p.kind === "default") {
        if (starStar) errorf(p.line, p.col, `optional parameter may not follow **${starStar.name}`);
        seenOptional = true;
      } else if (p.kind === "star") {
        if (starStar) errorf(p.line, p.col, `* parameter may not follow **${starStar.name}`);
        else if (star) errorf(p.line, p.col, "multiple * parameters not allowed");
        star ??= p;
      } else {
        if (starStar) errorf(p.line, p.col, "multiple ** parameters not allowed");
        starStar = p;
      }
      if (p.name !== undefined) {
        if (seen.has(p.name)) errorf(p.line, p.col, `duplicate parameter: ${p.name}`);
        seen.add(p.name);
      }
      if (p.default) expr(p.default);
    }
    if (star && star.name === undefined) {
      const idx = params.indexOf(star);
      const after = params.slice(idx + 1).filter((p) => p.kind === "normal" || p.kind === "default");
      if (after.length === 0)
        errorf(star.line, star.col, "bare * must be followed by keyword-only parameters");
    }
    let afterStar = false;
    for (const p of params) {
      if (p.kind === "star") afterStar = true;
      else if (p.kind === "normal" || p.kind === "default") {
        if (afterStar) info.numKwonly++;
        else info.numPositional++;
      }
    }
    info.hasVarargs = star?.name !== undefined;
    info.hasKwargs = starStar !== undefined;
    return { info, parent: env.fn, defEnv: env, free: new Map(), localBindings: [], uses: [] };
  };

  const resolveFunctionBody = (p: { fn: FnState; body: A.Stmt[] | A.Expr; env: Block }) => {
    const savedEnv = env;
    const savedLoops = loops;
    const savedIn = inFunction;
    const savedCond = conditional;
    env = { parent: p.env, fn: p.fn, bindings: new Map() };
    loops = 0;
    inFunction = true;
    conditional = 0;
    // params occupy the first local slots in order: positional, kw-only, *args, **kwargs
    const ps = p.fn.info.params;
    const order = [
      ...ps.filter((x) => x.kind === "normal" || x.kind === "default"),
      ...ps.filter((x) => x.kind === "star" && x.name !== undefined),
      ...ps.filter((x) => x.kind === "starstar"),
    ];
    for (const prm of order) bindLocal({ kind: "Ident", line: prm.line, col: prm.col, name: prm.name! });
    if (Array.isArray(p.body)) stmts(p.body);
    else expr(p.body);
    resolveUses(p.fn);
    env = savedEnv;
    loops = savedLoops;
    inFunction = savedIn;
    conditional = savedCond;
  };

  // ----- expressions -----
  const expr = (e: A.Expr): void => {
    switch (e.kind) {
      case "Ident":
        use(e);
        break;
      case "Literal":
        break;
      case "List":
      case "Tuple":
        for (const x of e.elems) expr(x);
        break;
      case "Dict":
        for (const x of e.entries) {
          expr(x.key);
          expr(x.value);
        }
        break;
      case "Comprehension": {
        // The first iterable is resolved in the enclosing block; the rest in the comprehension's block.
        const first = e.clauses[0] as A.ForClause;
        expr(first.iter);
        const saved = env;
        env = { parent: env, fn: env.fn, bindings: new Map() };
        const savedLoops = loops;
        loops = 0;
        assign(first.vars, false);
        for (const c of e.clauses.slice(1)) {
          if (c.kind === "for") {
            expr(c.iter);
            assign(c.vars, false);
          } else expr(c.cond);
        }
        if (e.curly) {
          const b = e.body as A.DictEntry;
          expr(b.key);
          expr(b.value);
        } else expr(e.body as A.Expr);
        loops = savedLoops;
        env = saved;
        break;
      }
      case "Unary":
        expr(e.x);
        break;
      case "Binary":
        expr(e.x);
        expr(e.y);
        break;
      case "Cond":
        expr(e.cond);
        expr(e.then);
        expr(e.else);
        break;
      case "Call": {
        expr(e.fn);
        let seenVarargs = false;
        let seenKwargs = false;
        const names = new Set<string>();
        let nPos = 0;
        let nKw = 0;
        for (const a of e.args) {
          if (a.kind === "starstar") {
            if (seenKwargs) errorf(a.line, a.col, "multiple **kwargs not allowed");
            seenKwargs = true;
          } else if (a.kind === "star") {
            if (seenKwargs) errorf(a.line, a.col, "*args may not follow **kwargs");
            else if (seenVarargs) errorf(a.line, a.col, "multiple *args not allowed");
            seenVarargs = true;
          } else if (a.kind === "named") {
            nKw++;
            if (seenKwargs) errorf(a.line, a.col, "keyword argument may not follow **kwargs");
            else if (seenVarargs) errorf(a.line, a.col, "keyword argument may not follow *args");
            if (names.has(a.name!)) errorf(a.line, a.col, `keyword argument "${a.name}" is repeated`);
            names.add(a.name!);
          } else {
            nPos++;
            if (seenVarargs) errorf(a.line, a.col, "positional argument may not follow *args");
            else if (seenKwargs) errorf(a.line, a.col, "positional argument may not follow **kwargs");
            else if (nKw > 0) errorf(a.line, a.col, "positional argument may not follow named");
          }
          expr(a.value);
        }
        if (nPos > 255) errorf(e.line, e.col, `${nPos} positional arguments in call, limit is 255`);
        if (nKw > 255) errorf(e.line, e.col, `${nKw} keyword arguments in call, limit is 255`);
        break;
      }
      case "Dot":
      case "Paren":
        expr(e.x);
        break;
      case "Index":
        expr(e.x);
        expr(e.index);
        break;
      case "Slice":
        expr(e.x);
        if (e.lo) expr(e.lo);
        if (e.hi) expr(e.hi);
        if (e.step) expr(e.step);
        break;
      case "Lambda": {
        const fn = func("lambda", e.params, e.line, e.col);
        e.fn = fn.info;
        pending.push({ fn, body: e.body, env });
        break;
      }
    }
  };

  let curLine = 1;
  let curCol = 1;
  try {
    stmts(file.stmts);
    resolveUses(moduleFn);
    // Function bodies are resolved after their enclosing block, so every local of the block is known.
    for (let i = 0; i < pending.length; i++) resolveFunctionBody(pending[i]!);
  } catch (e) {
    // e.g. `1 + 1 + ...` with 100,000 terms: the parser builds it in a loop, but walking it recurses
    if (e instanceof Error && e.message.includes("Maximum call stack size exceeded"))
      throw new StarlarkError("syntax", "expression nested too deeply", {
        file: source,
        line: curLine,
        col: curCol,
      });
    throw e;
  }

  const finish = (fn: FnState) => {
    fn.info.cells = fn.localBindings.filter((b) => b.scope === "cell").map((b) => b.index);
  };
  finish(moduleFn);
  for (const p of pending) finish(p.fn);
  file.module = moduleFn.info;
  file.numGlobals = globalNames.length;
  file.globalNames = globalNames;
  (file as { fileLocal?: Set<string> }).fileLocal = new Set(fileBlock.bindings.keys());

  if (errors.length > 0) {
    errors.sort((a, b) => a.pos!.line - b.pos!.line || a.pos!.col - b.pos!.col);
    const first = errors[0]!;
    first.all = errors;
    throw first;
  }
}
