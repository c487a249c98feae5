// The errnos deny() accepts: one list, kept in core so spec validation and the supervisor agree.
export { ERRNO_NAMES, isErrnoName, type ErrnoName } from "../core/syscall.js";
