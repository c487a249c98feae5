// Errors a user can cause carry where (spec file and line) and why; internals never leak a stack trace.
import { relative } from "node:path";

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

/** `file:line` of a spec location, the file relative to the working directory, as messages print it. */
export function locationText(l: SourceLocation, cwd = process.cwd()): string {
  return `${relative(cwd, l.file) || l.file}:${l.line}`;
}

/** A problem in the spec itself (bad argument, unknown keyword, missing service): exit code 1. */
export class SpecError extends Error {
  readonly location?: SourceLocation;
  readonly code: string;
  constructor(message: string, options: { location?: SourceLocation; code?: string } = {}) {
    super(message);
    this.name = "SpecError";
    this.location = options.location;
    this.code = options.code ?? "SPEC_LOAD_FAILED";
  }
}

/** A failed assertion or fail() call inside a test: the test fails, the run goes on. */
export class AssertionFailure extends Error {
  location?: SourceLocation;
  readonly assertion: string;
  constructor(assertion: string, message: string, location?: SourceLocation) {
    super(message);
    this.name = "AssertionFailure";
    this.assertion = assertion;
    this.location = location;
  }
}

/** A service could not be launched or did not become healthy; carries its last output lines. */
export class ServiceStartError extends Error {
  readonly service: string;
  readonly lastLines: string[];
  constructor(service: string, message: string, lastLines: string[] = []) {
    super(message);
    this.name = "ServiceStartError";
    this.service = service;
    this.lastLines = lastLines;
  }
}

/** A service ended during a test on its own (not stopped by the runner or a service action). */
export class ServiceExited extends Error {
  constructor(
    message: string,
    readonly service: string,
    readonly lastLines: string[],
  ) {
    super(message);
    this.name = "ServiceExited";
  }
}

/** The test ran out of time: the verdict is inconclusive, not failed. */
export class TestTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TestTimeout";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
