import { ERRNO_NAMES, isErrnoName, type ErrnoName } from "./errno.js";
import { parseDuration as parseSpecDuration } from "../core/duration.js";
import { parseProbability as parseSpecProbability } from "../core/probability.js";
import { SyscallFaultError } from "./errors.js";
import { expandSyscalls } from "./families.js";

/** What deny(), delay() and allow() return: an action with how often it fires. */
export interface SyscallFault {
  readonly kind: "deny" | "delay" | "allow";
  /** deny: the errno the syscall fails with. */
  readonly errno?: ErrnoName;
  /** delay: how long the calling thread waits before its syscall runs, in milliseconds. */
  readonly delayMs?: number;
  /** 0..1; each matching syscall draws from the rule's seeded generator. */
  readonly probability: number;
  readonly label?: string;
  /** At most this many fires per rule set; undefined = no cap. */
  readonly maxFires?: number;
}

/** Keyword options shared by deny() and delay(), spelled as in a spec. */
export interface FaultOptions {
  probability?: number | string;
  label?: string;
  max_fires?: number;
}

/** op(syscalls=, path=): a named set of syscalls restricted to paths matching a glob. */
export interface SyscallOp {
  readonly syscalls: readonly string[];
  readonly path?: string;
}

/** One rule as the controller takes it: which syscalls (families allowed), which paths, what. */
export interface SyscallRule {
  readonly syscalls: readonly string[];
  readonly path?: string;
  readonly fault: SyscallFault;
}

function checkOptions(ctor: string, opts: FaultOptions): void {
  for (const key of Object.keys(opts)) {
    if (!["probability", "label", "max_fires"].includes(key))
      throw new SyscallFaultError(
        "BAD_FAULT",
        `${ctor}(): unknown keyword "${key}"; valid: probability, label, max_fires`,
      );
  }
}

/** 0.5 and "50%" mean one in two (core/probability.ts is the grammar every layer shares). */
export function parseProbability(ctor: string, value: number | string | undefined): number {
  if (value === undefined) return 1;
  try {
    return parseSpecProbability(value, `${ctor}(probability=)`);
  } catch (err) {
    throw new SyscallFaultError("BAD_FAULT", (err as Error).message);
  }
}

function parseMaxFires(ctor: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0)
    throw new SyscallFaultError("BAD_FAULT", `${ctor}(): max_fires must be an integer > 0, got ${value}`);
  return value;
}

/**
 * The spec's one duration grammar (core/duration.ts: "250ms", "1.5s", "1m30s"); in this TypeScript API a
 * number is a count of milliseconds, as its type says (specs refuse bare numbers).
 */
export function parseDuration(ctor: string, value: string | number): number {
  if (typeof value === "number" && value >= 0) return value;
  try {
    return parseSpecDuration(value, `${ctor}()`);
  } catch {
    throw new SyscallFaultError(
      "BAD_FAULT",
      `${ctor}(): bad duration ${JSON.stringify(value)}; use a duration like "500ms", "2s" or "1m30s"`,
    );
  }
}

/** deny("EIO"): the syscall fails with that errno instead of running. */
export function deny(errno: string, opts: FaultOptions = {}): SyscallFault {
  checkOptions("deny", opts);
  const name = String(errno).toUpperCase();
  if (!isErrnoName(name))
    throw new SyscallFaultError(
      "BAD_FAULT",
      `deny(): unknown errno "${errno}"; supported: ${[...ERRNO_NAMES].sort().join(", ")}`,
    );
  return {
    kind: "deny",
    errno: name,
    probability: parseProbability("deny", opts.probability),
    label: opts.label,
    maxFires: parseMaxFires("deny", opts.max_fires),
  };
}

/** delay("200ms"): the calling thread waits, then its syscall runs normally. */
export function delay(duration: string | number, opts: FaultOptions = {}): SyscallFault {
  checkOptions("delay", opts);
  return {
    kind: "delay",
    delayMs: parseDuration("delay", duration),
    probability: parseProbability("delay", opts.probability),
    label: opts.label,
    maxFires: parseMaxFires("delay", opts.max_fires),
  };
}

/** allow(): never fires; names syscalls only so the target is launched to intercept them. */
export function allow(): SyscallFault {
  return { kind: "allow", probability: 0 };
}

/** op(syscalls=[...], path="/data/**"): syscalls (families allowed) restricted to a path glob. */
export function op(spec: { syscalls: readonly string[]; path?: string }): SyscallOp {
  if (!Array.isArray(spec.syscalls) || spec.syscalls.length === 0)
    throw new SyscallFaultError("BAD_FAULT", "op(): syscalls= needs at least one syscall or family name");
  expandSyscalls(spec.syscalls);
  if (spec.path !== undefined && (typeof spec.path !== "string" || spec.path === ""))
    throw new SyscallFaultError("BAD_FAULT", 'op(): path= must be a non-empty glob such as "/data/**"');
  return { syscalls: [...spec.syscalls], path: spec.path };
}

/** The rule for `<key>=<fault>` in a spec, where key is a family/syscall name or an op. */
export function rule(on: string | SyscallOp, fault: SyscallFault): SyscallRule {
  if (typeof on === "string") return { syscalls: [on], fault };
  return { syscalls: on.syscalls, path: on.path, fault };
}
