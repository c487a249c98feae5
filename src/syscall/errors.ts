// Errors a user can cause when using syscall faults; `code` lets callers (the runtime, the CLI)
// tell them apart without parsing messages.
export type SyscallFaultErrorCode =
  | "UNSUPPORTED" // kernel, OS or toolchain cannot do syscall faults here
  | "BAD_FAULT" // deny()/delay()/op() called with bad arguments
  | "UNKNOWN_SYSCALL" // a rule names a syscall or family we do not know
  | "FAULT_NOT_FILTERABLE" // a rule names a syscall the target was not launched to intercept
  | "LAUNCH_FAILED" // the target could not be started
  | "SUPERVISOR"; // the supervisor refused a command or went away

export class SyscallFaultError extends Error {
  readonly code: SyscallFaultErrorCode;
  constructor(code: SyscallFaultErrorCode, message: string) {
    super(message);
    this.name = "SyscallFaultError";
    this.code = code;
  }
}
