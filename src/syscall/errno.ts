// The errnos deny() accepts, by name. The same list is compiled into the supervisor
// (native/tables.h), which maps each name to the number of the platform it runs on.
export const ERRNO_NAMES = [
  "ENOENT",
  "EACCES",
  "EPERM",
  "EIO",
  "ENOSPC",
  "EROFS",
  "EEXIST",
  "ENOTEMPTY",
  "ENFILE",
  "EMFILE",
  "EFBIG",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "EINTR",
  "EAGAIN",
  "ENOMEM",
  "EBUSY",
  "EINVAL",
  "ENOSYS",
  "EDEADLK",
  "ELOOP",
  "EDQUOT",
  "ENOLCK",
  "EPIPE",
  "EBADF",
] as const;

export type ErrnoName = (typeof ERRNO_NAMES)[number];

export function isErrnoName(name: string): name is ErrnoName {
  return (ERRNO_NAMES as readonly string[]).includes(name);
}
