// Which services a spec can apply syscall faults to, found in its source before anything runs.
//
// A service's seccomp filter is fixed when it starts, so whether it runs under the supervisor (and
// which syscalls it intercepts) must be known before its first test. Top-level fault_assumption()
// calls register their targets as they execute; a fault(svc, write=deny(...), run=fn) or a
// fault_assumption() inside a test body only executes while a test runs, after its services started.
// So after the spec has loaded, every such call site in the spec and the files it loads is read from
// the syntax tree: its target (resolved through module globals when it is a plain name such as `db`
// or `kafka.broker`) and its keywords. A target that is not a global (a parameter, a local variable)
// is reported without a service: the keywords then apply to every service that accepts them.
import { ast, getAttr, type ModuleResult, type Value } from "../starlark/index.js";
import { InterfaceRefValue, RefValue, ServiceValue } from "./values.js";

/** One call site that can set syscall faults when it runs. */
export interface SyscallFaultSite {
  /** The target service, or undefined when the target is not a module global. */
  service?: string;
  /** The fault keywords written at the call (`write`, an op name, ...). */
  keys: string[];
  file: string;
  line: number;
}

const RESERVED: Record<string, readonly string[]> = {
  fault: ["run"],
  fault_assumption: ["target", "rules", "monitors", "faults", "description"],
};

/** `builtins` maps "fault" and "fault_assumption" to the builtin values the spec sees under those names. */
export function findSyscallFaultSites(
  modules: readonly ModuleResult[],
  builtins: Readonly<Record<string, Value>>,
): SyscallFaultSite[] {
  const sites: SyscallFaultSite[] = [];
  for (const mod of modules) {
    const calleeOf = (fn: ast.Expr): string | undefined => {
      if (fn.kind !== "Ident") return undefined;
      const scope = fn.binding?.scope;
      if (scope === "predeclared") return fn.name in RESERVED ? fn.name : undefined;
      // An alias at top level (`f = fault`) calls the same builtin.
      if (scope === "global") {
        const v = mod.globals.get(fn.name);
        return Object.keys(RESERVED).find((name) => builtins[name] === v);
      }
      return undefined;
    };
    ast.walk(mod.file, (node) => {
      if (node.kind !== "Call") return;
      const callee = calleeOf(node.fn);
      if (!callee) return;
      const reserved = RESERVED[callee]!;
      const keys = node.args
        .filter((a) => a.kind === "named" && !reserved.includes(a.name!))
        .map((a) => a.name!);
      if (keys.length === 0) return;
      const targetArg =
        callee === "fault"
          ? node.args.find((a) => a.kind === "pos")
          : node.args.find((a) => a.kind === "named" && a.name === "target");
      const target = targetArg ? staticValue(targetArg.value, mod) : undefined;
      let service: string | undefined;
      if (target instanceof ServiceValue) service = target.name;
      else if (target instanceof InterfaceRefValue) {
        // fault(svc.iface, ...) is a protocol window (its keywords are errors at run time);
        // fault_assumption(target=svc.iface, write=...) faults the interface's service.
        if (callee === "fault") return;
        service = target.service;
      } else if (target instanceof RefValue) return; // fault(assumption, run=): declared already
      sites.push({ ...(service ? { service } : {}), keys, file: mod.file.name, line: node.line });
    });
  }
  return sites;
}

/** The value of a plain global name or attribute chain (`db`, `kafka.broker`), without running code. */
function staticValue(e: ast.Expr, mod: ModuleResult): Value | undefined {
  if (e.kind === "Paren") return staticValue(e.x, mod);
  if (e.kind === "Ident") return e.binding?.scope === "global" ? mod.globals.get(e.name) : undefined;
  if (e.kind === "Dot") {
    const base = staticValue(e.x, mod);
    if (base === undefined) return undefined;
    try {
      return getAttr(base, e.name);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
