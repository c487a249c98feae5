// Names the supervisor accepts: syscalls (with where their path comes from) and errnos. The
// numbers come from the C library's headers, so the table is right for the architecture built on.
#ifndef FAULTBOX_TABLES_H
#define FAULTBOX_TABLES_H

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

enum path_kind {
  PATH_NONE,    // no path: the rule's path filter never matches
  PATH_FD0,     // argument 0 is a file descriptor: /proc/<tid>/fd/<n>
  PATH_STR0,    // argument 0 is a path string, relative to the cwd
  PATH_AT_STR1, // argument 0 is a directory fd (or AT_FDCWD), argument 1 a path string
  PATH_SOCKADDR1, // arguments 1 and 2 are a socket address and its length: "127.0.0.1:5432",
                  // "[::1]:9092", or a unix socket's path ("@name" when abstract)
};

struct syscall_entry {
  const char *name;
  int nr;
  enum path_kind path_kind;
};

#define SC(name, kind) {#name, SYS_##name, kind},

static const struct syscall_entry syscall_table[] = {
    SC(write, PATH_FD0) SC(writev, PATH_FD0) SC(pwrite64, PATH_FD0) SC(pwritev, PATH_FD0)
    SC(pwritev2, PATH_FD0)
    SC(read, PATH_FD0) SC(readv, PATH_FD0) SC(pread64, PATH_FD0) SC(preadv, PATH_FD0)
    SC(preadv2, PATH_FD0)
#ifdef SYS_open
    SC(open, PATH_STR0) SC(creat, PATH_STR0)
#endif
    SC(openat, PATH_AT_STR1) SC(openat2, PATH_AT_STR1)
    SC(fsync, PATH_FD0) SC(fdatasync, PATH_FD0) SC(sync_file_range, PATH_FD0) SC(syncfs, PATH_FD0)
    SC(sendto, PATH_FD0) SC(sendmsg, PATH_FD0) SC(sendmmsg, PATH_FD0)
    SC(recvfrom, PATH_FD0) SC(recvmsg, PATH_FD0) SC(recvmmsg, PATH_FD0)
    SC(connect, PATH_SOCKADDR1) SC(accept, PATH_FD0) SC(accept4, PATH_FD0) SC(bind, PATH_FD0)
    SC(listen, PATH_FD0) SC(socket, PATH_NONE)
    SC(close, PATH_FD0) SC(ftruncate, PATH_FD0) SC(fallocate, PATH_FD0) SC(truncate, PATH_STR0)
#ifdef SYS_unlink
    SC(unlink, PATH_STR0) SC(rename, PATH_STR0) SC(mkdir, PATH_STR0) SC(rmdir, PATH_STR0)
#endif
    SC(unlinkat, PATH_AT_STR1) SC(renameat, PATH_AT_STR1) SC(renameat2, PATH_AT_STR1)
    SC(mkdirat, PATH_AT_STR1)
    SC(getrandom, PATH_NONE)
    {NULL, -1, PATH_NONE}};

#undef SC

struct errno_entry {
  const char *name;
  int value;
};

#define EN(name) {#name, name},

static const struct errno_entry errno_table[] = {
    EN(ENOENT) EN(EACCES) EN(EPERM) EN(EIO) EN(ENOSPC) EN(EROFS) EN(EEXIST) EN(ENOTEMPTY) EN(ENFILE)
    EN(EMFILE) EN(EFBIG) EN(ECONNREFUSED) EN(ECONNRESET) EN(ECONNABORTED) EN(ETIMEDOUT)
    EN(ENETUNREACH) EN(EHOSTUNREACH) EN(EADDRINUSE) EN(EADDRNOTAVAIL) EN(EINTR) EN(EAGAIN)
    EN(ENOMEM) EN(EBUSY) EN(EINVAL) EN(ENOSYS) EN(EDEADLK) EN(ELOOP) EN(EDQUOT) EN(ENOLCK)
    EN(EPIPE) EN(EBADF)
    {NULL, 0}};

#undef EN

static inline const struct syscall_entry *syscall_by_name(const char *name) {
  for (const struct syscall_entry *e = syscall_table; e->name; e++)
    if (strcmp(e->name, name) == 0) return e;
  return NULL;
}

static inline const struct errno_entry *errno_by_name(const char *name) {
  for (const struct errno_entry *e = errno_table; e->name; e++)
    if (strcmp(e->name, name) == 0) return e;
  return NULL;
}

#endif
