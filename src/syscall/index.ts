/**
 * Syscall-level faults: run a service under a seccomp filter whose intercepted syscalls a small
 * native supervisor answers (continue, fail with an errno, or delay then continue) by rules set
 * and cleared at any time. Every thread and child process of the target inherits the filter.
 *
 * Fault values (what a spec's deny()/delay()/allow()/op() build):
 *   deny(errno: string, { probability?, label?, max_fires? }): SyscallFault
 *   delay(duration: string | number(ms), { probability?, label?, max_fires? }): SyscallFault
 *   allow(): SyscallFault                          never fires; only widens the launch filter
 *   op({ syscalls: string[], path?: glob }): SyscallOp
 *   rule(on: family | syscall | SyscallOp, fault): SyscallRule
 * Families: write, read, open/openat, fsync, sendto, recvfrom, connect, accept, close, unlink,
 *   rename, mkdir (SYSCALL_FAMILIES); any raw name from KNOWN_SYSCALLS works too.
 * Paths: a rule's glob is matched against the file the syscall is about (fd syscalls via
 *   /proc/<pid>/fd, path syscalls by reading the argument); `*` stays in one component, `**`
 *   crosses them, a glob not starting with / or * matches at any depth; for connect the path is
 *   the destination ("127.0.0.1:5432", "[::1]:9092", a unix socket path). A rule without a path
 *   never fires on /lib, /usr/lib, /proc, /sys, /dev or the dynamic loader's files.
 *
 * Running a target:
 *   syscallFaultsSupported(): { ok, reason }       call at spec load; reason is user-facing
 *   ensureSupervisor(): string                     path of the native binary, built on first use
 *   launchSupervised({ argv, env?, cwd?, syscalls?, user?, stdio?, seed?, onEvent? })
 *     -> Promise<SupervisedProcess>  { pid, child, exited, setRules(rules), clearRules(), close() }
 *   `syscalls` fixes what the filter intercepts (default: every family); setRules() refuses a rule
 *   naming anything else with code FAULT_NOT_FILTERABLE. setRules replaces the whole rule set and
 *   returns the replaced rules' match/fire counts (for fault_zero_traffic). Rules are evaluated in
 *   order; the first that matches and fires decides.
 *
 * Wiring into core: registerSeccompController() registers createSeccompController() as core's
 *   SyscallController (src/core/syscall.ts): wrap() returns the argv prefix the launcher puts before
 *   the service's argv; attach(pid) returns the session core's fault windows call. It emits a
 *   `syscall` event {syscall, pid, tid, decision, path?, label?, latency_ms?} per fault that fires.
 *
 * Errors a user can cause are SyscallFaultError with a `code` (see errors.ts).
 */
export { allow, delay, deny, op, parseDuration, parseProbability, rule } from "./faults.js";
export type { FaultOptions, SyscallFault, SyscallOp, SyscallRule } from "./faults.js";
export { ERRNO_NAMES, isErrnoName, type ErrnoName } from "./errno.js";
export {
  FAULTABLE_NAMES,
  KNOWN_SYSCALLS,
  SYSCALL_FAMILIES,
  allFamilySyscalls,
  expandSyscalls,
  isFaultableName,
} from "./families.js";
export { SyscallFaultError, type SyscallFaultErrorCode } from "./errors.js";
export { ensureSupervisor } from "./build.js";
export { requireSyscallFaults, syscallFaultsSupported, type SyscallSupport } from "./probe.js";
export { launchSupervised } from "./supervised.js";
export { createSeccompController, registerSeccompController } from "./controller.js";
export type {
  ExitStatus,
  LaunchOptions,
  RuleStats,
  SupervisedProcess,
  SyscallFaultEvent,
} from "./supervised.js";
