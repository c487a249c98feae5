// Recursive-descent parser: tokens -> AST (see ast.ts). Stops at the first syntax error, like starlark-go.
import type * as A from "./ast.js";
import { SourceFile, StarlarkError } from "./errors.js";
import { CLOSER, scanTokens, type Token } from "./scanner.js";

export function parse(file: SourceFile): A.File {
  const p = new Parser(file, scanTokens(file));
  try {
    return p.parseFile();
  } catch (e) {
    if (e instanceof RangeError) {
      const t = p.tok;
      throw new StarlarkError("syntax", "expression nested too deeply", { file, line: t.line, col: t.col });
    }
    throw e;
  }
}

/** Parses a single expression (e.g. for a REPL or a host that evaluates snippets). */
export function parseExpr(file: SourceFile): A.Expr {
  const p = new Parser(file, scanTokens(file));
  const e = p.parseExpression("no");
  while (p.tok.kind === "NEWLINE") p.next();
  if (p.tok.kind !== "EOF") p.fail(`got ${p.describe(p.tok)}, want EOF`);
  return e;
}

/** Like starlark-go's %#v of a token: punctuation quoted, keywords bare. */
function tokName(kind: string): string {
  return /^[a-z]/.test(kind) ? kind : `'${kind}'`;
}

const BINPREC: Record<string, number> = {
  or: 1,
  and: 2,
  // 3: not
  "==": 4,
  "!=": 4,
  "<": 4,
  ">": 4,
  "<=": 4,
  ">=": 4,
  in: 4,
  "not in": 4,
  "|": 5,
  "^": 6,
  "&": 7,
  "<<": 8,
  ">>": 8,
  "+": 9,
  "-": 9,
  "*": 10,
  "/": 10,
  "//": 10,
  "%": 10,
};

class Parser {
  pos = 0;
  tok: Token;
  constructor(
    readonly file: SourceFile,
    readonly toks: Token[],
  ) {
    this.tok = toks[0]!;
    if (this.tok.error) throw this.tok.error;
  }

  /** Moves on; reaching the place of a lexical error raises it (no syntax error came before it). */
  next(): Token {
    const t = this.tok;
    if (this.pos < this.toks.length - 1) this.pos++;
    this.tok = this.toks[this.pos]!;
    if (this.tok.error) throw this.tok.error;
    return t;
  }
  at(kind: string): boolean {
    return this.tok.kind === kind;
  }
  peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  /**
   * A syntax error at token t. Inside brackets it names the open bracket: a closer that skips an inner
   * bracket to close an outer one is reported where the unclosed bracket stands (which may be many
   * lines before the closer that gave it away).
   */
  fail(msg: string, t: Token = this.tok): never {
    const open = t.inside;
    const isCloser = t.kind === ")" || t.kind === "]" || t.kind === "}";
    let at: Token = t;
    if (open && t.closesOuter) {
      const outer = t.closesOuter;
      at = open;
      msg = `'${open.kind}' is not closed: the '${t.kind}' at ${t.line}:${t.col} closes the '${outer.kind}' of ${outer.line}:${outer.col} (${msg})`;
    } else if (open && isCloser && CLOSER[open.kind] !== t.kind) {
      msg = `${msg} (the '${open.kind}' at ${open.line}:${open.col} is still open)`;
    } else if (open && !isCloser && open.line !== t.line) {
      msg = `${msg} (inside the '${open.kind}' opened at ${open.line}:${open.col})`;
    }
    throw new StarlarkError("syntax", msg, { file: this.file, line: at.line, col: at.col });
  }
  describe(t: Token): string {
    switch (t.kind) {
      case "EOF":
        return "end of file";
      case "NEWLINE":
        return "newline";
      case "INDENT":
        return "indent";
      case "OUTDENT":
        return "outdent";
      case "IDENT":
        return "identifier";
      case "INT":
        return "int literal";
      case "FLOAT":
        return "float literal";
      case "STRING":
        return "string literal";
      case "BYTES":
        return "bytes literal";
      default:
        return tokName(t.kind);
    }
  }
  expect(kind: string): Token {
    if (this.tok.kind !== kind) {
      if (kind === "IDENT") this.fail("not an identifier");
      const want = kind === "NEWLINE" ? "newline" : kind === "INDENT" ? "indent" : tokName(kind);
      this.fail(`got ${this.describe(this.tok)}, want ${want}`);
    }
    return this.next();
  }

  parseFile(): A.File {
    const stmts: A.Stmt[] = [];
    while (!this.at("EOF")) {
      if (this.at("NEWLINE")) {
        this.next();
        continue;
      }
      this.parseStmt(stmts);
    }
    return { name: this.file.name, stmts };
  }

  parseStmt(out: A.Stmt[]): void {
    const t = this.tok;
    switch (t.kind) {
      case "def":
        out.push(this.parseDef());
        return;
      case "if":
        out.push(this.parseIf());
        return;
      case "for":
        out.push(this.parseFor());
        return;
      case "while": {
        this.next();
        const cond = this.parseTest();
        this.expect(":");
        out.push({ kind: "While", line: t.line, col: t.col, cond, body: this.parseSuite() });
        return;
      }
      case "INDENT":
        this.fail("unexpected indent");
    }
    this.parseSimpleStmt(out);
  }

  parseDef(): A.DefStmt {
    const t = this.next();
    const id = this.expect("IDENT");
    const name: A.Ident = { kind: "Ident", line: id.line, col: id.col, name: id.value as string };
    this.expect("(");
    const params = this.parseParams(")");
    this.expect(")");
    this.expect(":");
    const body = this.parseSuite();
    return { kind: "Def", line: t.line, col: t.col, name, params, body };
  }

  parseParams(end: string): A.Param[] {
    const params: A.Param[] = [];
    while (this.tok.kind !== end && !this.at("EOF")) {
      if (params.length > 0) {
        this.expect(",");
        if (this.tok.kind === end) break;
      }
      const t = this.tok;
      if (t.kind === "*" || t.kind === "**") {
        this.next();
        if (this.at("IDENT")) {
          const n = this.next();
          params.push({
            kind: t.kind === "*" ? "star" : "starstar",
            line: t.line,
            col: t.col,
            name: n.value as string,
          });
        } else {
          if (t.kind === "**") this.expect("IDENT");
          params.push({ kind: "star", line: t.line, col: t.col });
        }
        continue;
      }
      const n = this.expect("IDENT");
      if (this.at("=")) {
        this.next();
        params.push({
          kind: "default",
          line: n.line,
          col: n.col,
          name: n.value as string,
          default: this.parseTest(),
        });
      } else params.push({ kind: "normal", line: n.line, col: n.col, name: n.value as string });
    }
    return params;
  }

  parseIf(): A.IfStmt {
    const t = this.next(); // if or elif
    const cond = this.parseTest();
    this.expect(":");
    const then = this.parseSuite();
    let els: A.Stmt[] = [];
    if (this.at("elif")) {
      const e = this.parseIf();
      e.isElif = true;
      els = [e];
    } else if (this.at("else")) {
      this.next();
      this.expect(":");
      els = this.parseSuite();
    }
    return { kind: "If", line: t.line, col: t.col, cond, then, else: els };
  }

  parseFor(): A.ForStmt {
    const t = this.next();
    const vars = this.parseForLoopVars();
    this.expect("in");
    const iter = this.parseExpression("no");
    this.expect(":");
    return { kind: "For", line: t.line, col: t.col, vars, iter, body: this.parseSuite() };
  }

  parseForLoopVars(): A.Expr {
    const first = this.parsePrimaryWithSuffix();
    if (!this.at(",")) return first;
    const elems = [first];
    while (this.at(",")) {
      this.next();
      if (this.at("in")) break;
      elems.push(this.parsePrimaryWithSuffix());
    }
    return { kind: "Tuple", line: first.line, col: first.col, elems };
  }

  parseSuite(): A.Stmt[] {
    if (this.at("NEWLINE")) {
      this.next();
      this.expect("INDENT");
      const body: A.Stmt[] = [];
      while (!this.at("OUTDENT") && !this.at("EOF")) {
        if (this.at("NEWLINE")) {
          this.next();
          continue;
        }
        this.parseStmt(body);
      }
      if (this.at("OUTDENT")) this.next();
      return body;
    }
    const body: A.Stmt[] = [];
    this.parseSimpleStmt(body);
    return body;
  }

  parseSimpleStmt(out: A.Stmt[]): void {
    while (true) {
      out.push(this.parseSmallStmt());
      if (!this.at(";")) break;
      this.next();
      if (this.at("NEWLINE") || this.at("EOF")) break;
    }
    if (!this.at("EOF")) this.expect("NEWLINE");
  }

  parseSmallStmt(): A.Stmt {
    const t = this.tok;
    switch (t.kind) {
      case "return": {
        this.next();
        let value: A.Expr | undefined;
        if (!this.at("NEWLINE") && !this.at("EOF") && !this.at(";")) value = this.parseExpression("no");
        return { kind: "Return", line: t.line, col: t.col, value };
      }
      case "break":
      case "continue":
      case "pass":
        this.next();
        return { kind: t.kind, line: t.line, col: t.col };
      case "load":
        return this.parseLoad();
      case "import": {
        this.next();
        const id = this.expect("IDENT");
        return {
          kind: "Import",
          line: t.line,
          col: t.col,
          name: { kind: "Ident", line: id.line, col: id.col, name: id.value as string },
        };
      }
    }
    const x = this.parseExpression("no");
    const op = this.tok;
    if (
      op.kind === "=" ||
      (op.kind.length >= 2 && op.kind.endsWith("=") && !["==", "!=", "<=", ">="].includes(op.kind))
    ) {
      this.next();
      const rhs = this.parseExpression("no");
      return {
        kind: "Assign",
        line: x.line,
        col: x.col,
        op: op.kind,
        lhs: x,
        rhs,
        opLine: op.line,
        opCol: op.col,
      };
    }
    return { kind: "ExprStmt", line: x.line, col: x.col, x };
  }

  parseLoad(): A.LoadStmt {
    const t = this.next();
    this.expect("(");
    if (!this.at("STRING")) this.fail(`first operand of load statement must be a string literal`);
    const module = this.next().value as string;
    const names: A.LoadStmt["names"] = [];
    while (!this.at(")") && !this.at("EOF")) {
      this.expect(",");
      if (this.at(")")) break;
      const n = this.tok;
      if (n.kind === "STRING") {
        this.next();
        const name = n.value as string;
        names.push({
          to: { kind: "Ident", line: n.line, col: n.col + 1, name },
          from: name,
          line: n.line,
          col: n.col,
        });
      } else if (n.kind === "IDENT") {
        this.next();
        if (!this.at("="))
          this.fail(
            `load operand must be "${n.value}" or ${n.value}="originalname" (want '=' after ${n.value})`,
          );
        this.next();
        if (this.at("IDENT"))
          this.fail(`original name of loaded symbol must be quoted: ${n.value}="originalname"`);
        const s = this.tok;
        if (s.kind !== "STRING")
          this.fail(`load operand must be "name" or localname="name" (got ${this.describe(s)})`);
        this.next();
        names.push({
          to: { kind: "Ident", line: n.line, col: n.col, name: n.value as string },
          from: s.value as string,
          line: n.line,
          col: n.col,
        });
      } else this.fail(`load operand must be "name" or localname="name" (got ${this.describe(n)})`);
    }
    const close = this.next();
    if (names.length === 0) this.fail("load statement must import at least 1 symbol", close);
    return { kind: "Load", line: t.line, col: t.col, module, names };
  }

  // Expression = Test {',' Test} [','] -- a tuple if there is a comma
  /**
   * Expression = Test {',' Test}: a tuple if there is a comma. A trailing comma is allowed only inside
   * brackets (`trailing`: "ok"), before a closing `]` ("bracket"), or nowhere ("no").
   */
  parseExpression(trailing: "ok" | "bracket" | "no" = "ok"): A.Expr {
    const x = this.parseTest();
    if (!this.at(",")) return x;
    const elems = [x];
    while (this.at(",")) {
      const comma = this.next();
      if (trailing === "bracket" ? this.at("]") : this.atExprEnd()) {
        if (trailing === "no") this.fail("unparenthesized tuple with trailing comma", comma);
        break;
      }
      elems.push(this.parseTest());
    }
    return { kind: "Tuple", line: x.line, col: x.col, elems };
  }

  atExprEnd(): boolean {
    switch (this.tok.kind) {
      case "NEWLINE":
      case "EOF":
      case "=":
      case ")":
      case "]":
      case "}":
      case ";":
      case ":":
        return true;
    }
    return (
      this.tok.kind.length >= 2 &&
      this.tok.kind.endsWith("=") &&
      !["==", "!=", "<=", ">="].includes(this.tok.kind)
    );
  }

  parseTest(): A.Expr {
    if (this.at("lambda")) return this.parseLambda(true);
    const x = this.parseBinary(1);
    if (this.at("if")) {
      this.next();
      const cond = this.parseBinary(1);
      if (!this.at("else")) this.fail(`conditional expression without else clause`);
      this.next();
      const els = this.parseTest();
      return { kind: "Cond", line: x.line, col: x.col, cond, then: x, else: els };
    }
    return x;
  }

  parseTestNoCond(): A.Expr {
    if (this.at("lambda")) return this.parseLambda(false);
    return this.parseBinary(1);
  }

  parseLambda(allowCond: boolean): A.Expr {
    const t = this.next();
    const params = this.parseParams(":");
    this.expect(":");
    const body = allowCond ? this.parseTest() : this.parseTestNoCond();
    return { kind: "Lambda", line: t.line, col: t.col, params, body };
  }

  /** Precedence climbing over binary operators with precedence >= minPrec (1 = or ... 10 = * / // %). */
  parseBinary(minPrec: number): A.Expr {
    let x: A.Expr;
    if (minPrec <= 3 && this.tok.kind === "not") {
      const t = this.next();
      x = { kind: "Unary", line: t.line, col: t.col, op: "not", x: this.parseBinary(3) };
    } else x = this.parseUnary();
    let lastCompare: string | undefined;
    while (true) {
      let op = this.tok.kind;
      if (op === "not") {
        if (this.peek().kind !== "in") {
          this.next();
          this.fail(`got ${this.describe(this.tok)}, want in`);
        }
        op = "not in";
      }
      const prec = BINPREC[op];
      if (prec === undefined || prec < minPrec) break;
      const t = this.tok;
      if (prec === 4 && lastCompare !== undefined)
        this.fail(`${lastCompare} does not associate with ${op} (use parens)`, t);
      this.next();
      if (op === "not in") this.next();
      const y = this.parseBinary(prec + 1);
      x = { kind: "Binary", line: t.line, col: t.col, op, x, y };
      if (prec === 4) lastCompare = op;
      else lastCompare = undefined;
    }
    return x;
  }

  parseUnary(): A.Expr {
    const t = this.tok;
    if (t.kind === "-" || t.kind === "+" || t.kind === "~") {
      this.next();
      const x = this.parseUnary();
      return { kind: "Unary", line: t.line, col: t.col, op: t.kind, x };
    }
    return this.parsePrimaryWithSuffix();
  }

  parsePrimaryWithSuffix(): A.Expr {
    let x = this.parsePrimary();
    while (true) {
      const t = this.tok;
      if (t.kind === ".") {
        this.next();
        const id = this.expect("IDENT");
        x = {
          kind: "Dot",
          line: t.line,
          col: t.col,
          x,
          name: id.value as string,
          nameLine: id.line,
          nameCol: id.col,
        };
      } else if (t.kind === "(") {
        this.next();
        x = { kind: "Call", line: t.line, col: t.col, fn: x, args: this.parseArgs() };
        this.expect(")");
      } else if (t.kind === "[") {
        this.next();
        x = this.parseIndexOrSlice(x, t);
      } else return x;
    }
  }

  parseIndexOrSlice(x: A.Expr, t: Token): A.Expr {
    let lo: A.Expr | undefined;
    if (!this.at(":")) {
      const e = this.parseExpression("bracket");
      if (this.at("]")) {
        this.next();
        return { kind: "Index", line: t.line, col: t.col, x, index: e };
      }
      lo = e;
    }
    this.expect(":");
    let hi: A.Expr | undefined;
    let step: A.Expr | undefined;
    if (!this.at(":") && !this.at("]")) hi = this.parseTest();
    if (this.at(":")) {
      this.next();
      if (!this.at("]")) step = this.parseTest();
    }
    this.expect("]");
    return { kind: "Slice", line: t.line, col: t.col, x, lo, hi, step };
  }

  parseArgs(): A.Arg[] {
    const args: A.Arg[] = [];
    while (!this.at(")") && !this.at("EOF")) {
      if (args.length > 0) {
        this.expect(",");
        if (this.at(")")) break;
      }
      const t = this.tok;
      if (t.kind === "*" || t.kind === "**") {
        this.next();
        args.push({
          kind: t.kind === "*" ? "star" : "starstar",
          line: t.line,
          col: t.col,
          value: this.parseTest(),
        });
        continue;
      }
      const value = this.parseTest();
      if (this.at("=")) {
        if (value.kind !== "Ident") this.fail("keyword argument must have form name=expr");
        this.next();
        args.push({ kind: "named", line: t.line, col: t.col, name: value.name, value: this.parseTest() });
        continue;
      }
      if (this.at("for")) {
        // f(x for x in y) is Python's generator expression; Starlark has none.
        this.fail("got 'for', want ')'");
      }
      args.push({ kind: "pos", line: t.line, col: t.col, value });
    }
    return args;
  }

  parsePrimary(): A.Expr {
    const t = this.tok;
    switch (t.kind) {
      case "IDENT":
        this.next();
        return { kind: "Ident", line: t.line, col: t.col, name: t.value as string };
      case "INT":
      case "FLOAT":
      case "STRING":
      case "BYTES":
        this.next();
        return {
          kind: "Literal",
          line: t.line,
          col: t.col,
          type:
            t.kind === "INT"
              ? "int"
              : t.kind === "FLOAT"
                ? "float"
                : t.kind === "STRING"
                  ? "string"
                  : "bytes",
          value: t.value!,
          raw: t.raw ?? "",
        };
      case "(": {
        this.next();
        if (this.at(")")) {
          this.next();
          return { kind: "Tuple", line: t.line, col: t.col, elems: [] };
        }
        const x = this.parseExpression();
        this.expect(")");
        return { kind: "Paren", line: t.line, col: t.col, x };
      }
      case "[":
        return this.parseList();
      case "{":
        return this.parseDict();
      case "-":
      case "+":
      case "~":
        return this.parseUnary();
    }
    this.fail(`got ${this.describe(t)}, want primary expression`);
  }

  parseList(): A.Expr {
    const t = this.next();
    if (this.at("]")) {
      this.next();
      return { kind: "List", line: t.line, col: t.col, elems: [] };
    }
    const x = this.parseTest();
    if (this.at("for")) {
      const clauses = this.parseClauses("]");
      this.expect("]");
      return { kind: "Comprehension", line: t.line, col: t.col, curly: false, body: x, clauses };
    }
    const elems = [x];
    while (this.at(",")) {
      this.next();
      if (this.at("]")) break;
      elems.push(this.parseTest());
    }
    this.expect("]");
    return { kind: "List", line: t.line, col: t.col, elems };
  }

  parseDict(): A.Expr {
    const t = this.next();
    if (this.at("}")) {
      this.next();
      return { kind: "Dict", line: t.line, col: t.col, entries: [] };
    }
    const e = this.parseEntry();
    if (this.at("for")) {
      const clauses = this.parseClauses("}");
      this.expect("}");
      return { kind: "Comprehension", line: t.line, col: t.col, curly: true, body: e, clauses };
    }
    const entries = [e];
    while (this.at(",")) {
      this.next();
      if (this.at("}")) break;
      entries.push(this.parseEntry());
    }
    this.expect("}");
    return { kind: "Dict", line: t.line, col: t.col, entries };
  }

  parseEntry(): A.DictEntry {
    const key = this.parseTest();
    const colon = this.expect(":");
    const value = this.parseTest();
    return { kind: "Entry", line: colon.line, col: colon.col, key, value };
  }

  parseClauses(end: string): (A.ForClause | A.IfClause)[] {
    const clauses: (A.ForClause | A.IfClause)[] = [];
    while (!this.at(end)) {
      if (!this.at("for") && !this.at("if"))
        this.fail(`got ${this.describe(this.tok)}, want '${end}', for, or if`);
      const t = this.next();
      if (t.kind === "for") {
        const vars = this.parseForLoopVars();
        this.expect("in");
        const iter = this.parseBinary(1);
        clauses.push({ kind: "for", line: t.line, col: t.col, vars, iter });
      } else {
        clauses.push({ kind: "if", line: t.line, col: t.col, cond: this.parseTestNoCond() });
      }
    }
    return clauses;
  }
}
