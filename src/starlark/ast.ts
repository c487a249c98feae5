// The public syntax tree of a Starlark file, and a walker over it.
// Every node has a 1-based line and col. The resolver annotates Ident, Def and Lambda nodes in place.

export interface NodeBase {
  line: number;
  col: number;
}

// ---------- expressions ----------
export type Expr =
  | Ident
  | Literal
  | ListExpr
  | TupleExpr
  | DictExpr
  | Comprehension
  | UnaryExpr
  | BinaryExpr
  | CondExpr
  | CallExpr
  | DotExpr
  | IndexExpr
  | SliceExpr
  | LambdaExpr
  | ParenExpr;

export type Scope = "local" | "cell" | "free" | "global" | "predeclared" | "universal" | "undefined";

export interface Binding {
  scope: Scope;
  /** Slot: local/cell index in the frame, free-variable index, or global index. */
  index: number;
  name: string;
  /** A load() binding that is file-local rather than a global (starlark-go's default). */
  fileLocal?: boolean;
  /** Where the binding was first introduced (for messages). */
  line: number;
  col: number;
}

export interface Ident extends NodeBase {
  kind: "Ident";
  name: string;
  binding?: Binding;
}
export interface Literal extends NodeBase {
  kind: "Literal";
  type: "int" | "float" | "string" | "bytes";
  value: number | bigint | string;
  raw: string;
}
export interface ListExpr extends NodeBase {
  kind: "List";
  elems: Expr[];
}
export interface TupleExpr extends NodeBase {
  kind: "Tuple";
  elems: Expr[];
}
export interface DictEntry extends NodeBase {
  kind: "Entry";
  key: Expr;
  value: Expr;
}
export interface DictExpr extends NodeBase {
  kind: "Dict";
  entries: DictEntry[];
}
export interface ForClause extends NodeBase {
  kind: "for";
  vars: Expr;
  iter: Expr;
}
export interface IfClause extends NodeBase {
  kind: "if";
  cond: Expr;
}
export interface Comprehension extends NodeBase {
  kind: "Comprehension";
  curly: boolean; // dict comprehension
  body: Expr | DictEntry;
  clauses: (ForClause | IfClause)[];
  /** Set by the resolver: the comprehension's own block. */
  block?: BlockInfo;
}
export interface UnaryExpr extends NodeBase {
  kind: "Unary";
  op: "-" | "+" | "~" | "not";
  x: Expr;
}
export interface BinaryExpr extends NodeBase {
  kind: "Binary";
  op: string; // + - * / // % & | ^ << >> == != < > <= >= in "not in" and or
  x: Expr;
  y: Expr;
}
export interface CondExpr extends NodeBase {
  kind: "Cond";
  cond: Expr;
  then: Expr;
  else: Expr;
}
export interface Arg extends NodeBase {
  kind: "pos" | "named" | "star" | "starstar";
  name?: string;
  value: Expr;
}
export interface CallExpr extends NodeBase {
  kind: "Call";
  fn: Expr;
  args: Arg[];
}
export interface DotExpr extends NodeBase {
  kind: "Dot";
  x: Expr;
  name: string;
  nameLine: number;
  nameCol: number;
}
export interface IndexExpr extends NodeBase {
  kind: "Index";
  x: Expr;
  index: Expr;
}
export interface SliceExpr extends NodeBase {
  kind: "Slice";
  x: Expr;
  lo?: Expr;
  hi?: Expr;
  step?: Expr;
}
export interface ParenExpr extends NodeBase {
  kind: "Paren";
  x: Expr;
}

export interface Param extends NodeBase {
  kind: "normal" | "default" | "star" | "starstar";
  /** Absent for the bare `*` that starts keyword-only parameters. */
  name?: string;
  default?: Expr;
}

/** What the resolver computes for each function (def or lambda) and for the module. */
export interface FunctionInfo {
  name: string;
  params: Param[];
  /** Number of local slots (params first, in order, then other locals). */
  numLocals: number;
  /** Local slots that are captured by nested functions (stored in cells). */
  cells: number[];
  /** For each free variable: the binding in the enclosing function it refers to. */
  freevars: Binding[];
  numPositional: number; // params before * / *args (excluding keyword-only)
  numKwonly: number;
  hasVarargs: boolean;
  hasKwargs: boolean;
  localNames: string[];
}

export interface BlockInfo {
  // comprehension locals live in the enclosing function's frame; nothing extra needed yet
  _?: never;
}

export interface LambdaExpr extends NodeBase {
  kind: "Lambda";
  params: Param[];
  body: Expr;
  fn?: FunctionInfo;
}

// ---------- statements ----------
export type Stmt =
  | ExprStmt
  | AssignStmt
  | DefStmt
  | IfStmt
  | ForStmt
  | WhileStmt
  | ReturnStmt
  | BranchStmt
  | LoadStmt
  | ImportStmt;

export interface ExprStmt extends NodeBase {
  kind: "ExprStmt";
  x: Expr;
}
export interface AssignStmt extends NodeBase {
  kind: "Assign";
  op: string; // "=" or "+=" etc.
  lhs: Expr;
  rhs: Expr;
  opLine: number;
  opCol: number;
}
export interface DefStmt extends NodeBase {
  kind: "Def";
  name: Ident;
  params: Param[];
  body: Stmt[];
  fn?: FunctionInfo;
}
export interface IfStmt extends NodeBase {
  kind: "If";
  cond: Expr;
  then: Stmt[];
  else: Stmt[];
  isElif?: boolean;
}
export interface ForStmt extends NodeBase {
  kind: "For";
  vars: Expr;
  iter: Expr;
  body: Stmt[];
}
export interface WhileStmt extends NodeBase {
  kind: "While";
  cond: Expr;
  body: Stmt[];
}
export interface ReturnStmt extends NodeBase {
  kind: "Return";
  value?: Expr;
}
export interface BranchStmt extends NodeBase {
  kind: "break" | "continue" | "pass";
}
export interface LoadStmt extends NodeBase {
  kind: "Load";
  module: string;
  /** local name <- exported name */
  names: { to: Ident; from: string; line: number; col: number }[];
}
/** Dialect extension: `import json` binds a built-in module. */
export interface ImportStmt extends NodeBase {
  kind: "Import";
  name: Ident;
}

export interface File {
  name: string;
  stmts: Stmt[];
  /** Set by the resolver. */
  module?: FunctionInfo;
  numGlobals?: number;
  globalNames?: string[];
}

export type Node = Expr | Stmt | Arg | Param | DictEntry | ForClause | IfClause;

/**
 * Walks the tree in source order, calling `visit` on every node before its children.
 * Return false from `visit` to skip a node's children.
 */
export function walk(n: Node | File, visit: (n: Node) => boolean | void): void {
  if ("stmts" in n) {
    for (const s of n.stmts) walk(s, visit);
    return;
  }
  if (visit(n) === false) return;
  const w = (c: Node | undefined) => {
    if (c) walk(c, visit);
  };
  const ws = (cs: Node[]) => {
    for (const c of cs) walk(c, visit);
  };
  switch (n.kind) {
    case "List":
    case "Tuple":
      ws(n.elems);
      break;
    case "Dict":
      ws(n.entries);
      break;
    case "Comprehension":
      ws(n.clauses);
      w(n.body as Node);
      break;
    case "Unary":
      w(n.x);
      break;
    case "Binary":
      w(n.x);
      w(n.y);
      break;
    case "Cond":
      w(n.cond);
      w(n.then);
      w(n.else);
      break;
    case "Call":
      w(n.fn);
      ws(n.args);
      break;
    case "Dot":
    case "Paren":
      w(n.x);
      break;
    case "Index":
      w(n.x);
      w(n.index);
      break;
    case "Slice":
      w(n.x);
      w(n.lo);
      w(n.hi);
      w(n.step);
      break;
    case "Lambda":
      ws(n.params);
      w(n.body);
      break;
    case "ExprStmt":
      w(n.x);
      break;
    case "Assign":
      w(n.lhs);
      w(n.rhs);
      break;
    case "Def":
      w(n.name);
      ws(n.params);
      ws(n.body);
      break;
    case "If":
      w(n.cond);
      ws(n.then);
      ws(n.else);
      break;
    case "For":
      w(n.vars);
      w(n.iter);
      ws(n.body);
      break;
    case "While":
      w(n.cond);
      ws(n.body);
      break;
    case "Return":
      w(n.value);
      break;
    case "Load":
      for (const x of n.names) w(x.to);
      break;
    case "Import":
      w(n.name);
      break;
    case "pos":
    case "named":
    case "star":
    case "starstar":
      if ("value" in n) w(n.value);
      break;
    case "normal":
    case "default":
      w(n.default);
      break;
    case "for":
      w(n.vars);
      w(n.iter);
      break;
    case "if":
      w(n.cond);
      break;
    case "Entry":
      w(n.key);
      w(n.value);
      break;
  }
}
