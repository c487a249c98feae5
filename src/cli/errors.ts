// Load-time errors: a spec error prints `error: [CODE] file:line: message`; internals never print a stack.
import { relative } from "node:path";
import { SpecError, errorMessage, locationText } from "../core/errors.js";
import type { SetupProblem } from "../core/services.js";
import { UsageError } from "./args.js";

/** Prints the error and returns exit code 1. Unexpected errors keep their stack (they are our bugs). */
export function reportLoadError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  if (err instanceof SpecError) {
    const where = err.location ? `${locationText(err.location)}: ` : "";
    process.stderr.write(`error: [${err.code}] ${where}${err.message}\n`);
    return 1;
  }
  const e = err as { name?: string; message?: string };
  if (e?.name === "StarlarkError") {
    process.stderr.write(`error: [SPEC_LOAD_FAILED] ${errorMessage(err)}\n`);
    return 1;
  }
  process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

/** Set-up errors found before anything runs: `error: [SETUP_ERROR] file:line: service "x": ...`. */
export function setupErrorLine(p: SetupProblem): string {
  const where = p.location ? `${locationText(p.location)}: ` : "";
  return `${where}${p.message}`;
}

/** A spec without tests runs nothing and would pass: said the same way by `test` and `check`. */
export function noTestsMessage(file: string, allowed = false): string {
  return (
    `${relative(process.cwd(), file) || file}: the spec declares no tests (def test_...(), test(), ` +
    `scenario(), fault_scenario() or fault_matrix())` +
    (allowed ? " (accepted: --allow-empty)" : "; pass --allow-empty to accept that")
  );
}
