// faultbox-supervisor: runs one target command under a seccomp filter that sends the syscalls
// named on the command line to this process (SECCOMP_RET_USER_NOTIF), and answers each one by the
// rules the controller sets over a control socket: continue, fail with an errno, or delay then
// continue. The filter is installed in the forked child before exec, so every thread and every
// descendant of the target inherits it.
//
// Usage:
//   faultbox-supervisor --ctl-fd N [--syscalls a,b,c] [--uid U --gid G] [--no-sync-wakeup] -- argv...
//   faultbox-supervisor --ctl-socket PATH ...     same, connecting to a controller's unix socket
//   faultbox-supervisor --reap -- argv...         no filter and no controller: only makes everything
//                                                 the target starts end with it (see below)
//   faultbox-supervisor --probe          exit 0 if user notification works here, else print why
//   faultbox-supervisor --list           print the syscall and errno names this build knows
//
// Control protocol (one line per message, fields separated by single spaces, text fields
// percent-encoded so they contain no space or newline):
//   controller -> supervisor
//     rules <gen> <count>                  followed by <count> rule lines; replaces the rule set
//     rule <id> <sys,sys> <deny|delay|allow> <ERRNO|ns|-> <probability> <max_fires> <seed> <glob|->
//   supervisor -> controller
//     ready <pid> <killable 0|1> <sync 0|1> target exec'd; sync: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP is on
//     stat <id> <matches> <fires>          one per rule being replaced, before `applied`
//     applied <gen>                        the new rule set is live
//     fire <id> <tgid> <tid> <syscall> <deny|delay> <ERRNO|ns> <path|->
//     exit <code|-> <signal|->             target exited; the supervisor exits after this
//     rejected <gen> <message>             the batch <gen> was refused; the old rules stay
//     execfail <errno> <message>           the target could not be executed
//     error <message>                      malformed command
//
// Lifetime: the supervisor is a child subreaper, so descendants the target orphans (daemons that
// setsid() away from its process group, PostgreSQL's workers) become its children. When the target
// exits, every remaining descendant is killed and the supervisor exits with the target's status.
// SIGTERM, SIGINT and SIGHUP are passed on to the target. SIGUSR2 from the process that started the
// supervisor, or the death of that process (the parent-death signal), kills the target and every
// descendant at once; SIGUSR2 from anyone else is passed on to the target like the others.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tables.h"

#if defined(__x86_64__)
#define FB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define FB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "faultbox-supervisor supports x86_64 and aarch64"
#endif

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
// Linux 6.6+: the target hands its CPU to the supervisor when it notifies, and gets it back when
// answered, instead of waking the supervisor on another (possibly idle, slow to wake) CPU.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define MAX_NR 1024
#define MAX_RULES 256
#define MAX_FILTERED 128

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("faultbox-supervisor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(125);
}

// ---------------------------------------------------------------------------------------------
// Rules

enum action { ACT_DENY, ACT_DELAY, ACT_ALLOW };

struct rule {
  long id;
  unsigned char nrs[MAX_NR]; // 1 where this rule names the syscall number
  enum action action;
  int err;               // errno for deny
  const char *err_name;  // its name, for events
  uint64_t delay_ns;     // for delay
  double probability;
  long max_fires;        // 0 = no cap
  uint64_t rng;          // splitmix64 state, seeded per rule so patterns repeat per rule
  char *glob;            // NULL = any path
  long matches, fires;
};

static struct rule rules[MAX_RULES];
static int nrules;
static unsigned char ruled_nr[MAX_NR]; // 1 where any live rule names the number

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Glob over '/'-separated paths: '*' and '?' stay inside one component, '**' crosses them.
static int glob_match(const char *g, const char *s) {
  while (*g) {
    if (g[0] == '*' && g[1] == '*') {
      g += 2;
      for (const char *t = s;; t++) {
        if (glob_match(g, t)) return 1;
        // "a/**/b" also matches "a/b": let "**/" match nothing
        if (*g == '/' && glob_match(g + 1, t)) return 1;
        if (!*t) return 0;
      }
    }
    if (*g == '*') {
      g++;
      for (const char *t = s;; t++) {
        if (glob_match(g, t)) return 1;
        if (!*t || *t == '/') return 0;
      }
    }
    if (!*s) return 0;
    if (*g == '?') {
      if (*s == '/') return 0;
    } else if (*g != *s) {
      return 0;
    }
    g++;
    s++;
  }
  return *s == 0;
}

// A path matches a glob when the glob matches it, or matches its directory written with a
// trailing slash (so "/data/pg/" covers the files directly in /data/pg).
static int path_matches(const char *glob, const char *path) {
  if (glob_match(glob, path)) return 1;
  const char *slash = strrchr(path, '/');
  if (!slash) return 0;
  char dir[PATH_MAX + 2];
  size_t n = (size_t)(slash - path) + 1;
  if (n >= sizeof dir) return 0;
  memcpy(dir, path, n);
  dir[n] = 0;
  return glob_match(glob, dir);
}

static const char *const system_prefixes[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/proc/",
                                              "/sys/", "/dev/",  "/etc/ld.so.", NULL};

static int is_system_path(const char *p) {
  for (int i = 0; system_prefixes[i]; i++)
    if (strncmp(p, system_prefixes[i], strlen(system_prefixes[i])) == 0) return 1;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Control channel

static int ctl_fd = -1;

static void pct_encode(const char *in, char *out, size_t outsz) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < outsz; p++) {
    if (*p <= 0x20 || *p >= 0x7f || *p == '%') {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    } else {
      out[o++] = (char)*p;
    }
  }
  out[o] = 0;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void pct_decode(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
      *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = 0;
}

static void send_line(const char *fmt, ...) {
  char buf[PATH_MAX * 3 + 512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  for (int off = 0; off < n;) {
    ssize_t w = write(ctl_fd, buf + off, (size_t)(n - off));
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = ctl_fd, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      return; // controller gone; the EOF on read shuts us down
    }
    off += (int)w;
  }
}

// ---------------------------------------------------------------------------------------------
// Delays: a timer thread answers delayed notifications so the main loop keeps serving others.

struct pending {
  struct timespec due;
  uint64_t id;
};

static int notify_fd = -1;
static pthread_mutex_t timer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cv;
static struct pending *heap;
static size_t heap_len, heap_cap;

static int ts_before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void heap_push(struct pending p) {
  if (heap_len == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 64;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) die("out of memory");
  }
  size_t i = heap_len++;
  heap[i] = p;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!ts_before(&heap[i].due, &heap[parent].due)) break;
    struct pending t = heap[i];
    heap[i] = heap[parent];
    heap[parent] = t;
    i = parent;
  }
}

static struct pending heap_pop(void) {
  struct pending top = heap[0];
  heap[0] = heap[--heap_len];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_len && ts_before(&heap[l].due, &heap[m].due)) m = l;
    if (r < heap_len && ts_before(&heap[r].due, &heap[m].due)) m = r;
    if (m == i) break;
    struct pending t = heap[i];
    heap[i] = heap[m];
    heap[m] = t;
    i = m;
  }
  return top;
}

static void answer_continue(uint64_t id) {
  struct seccomp_notif_resp resp = {.id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
  // ENOENT: the thread died or the syscall was interrupted; nothing to answer.
  ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void answer_errno(uint64_t id, int err) {
  struct seccomp_notif_resp resp = {.id = id, .error = -err};
  ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static void *timer_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&timer_mu);
  for (;;) {
    if (heap_len == 0) {
      pthread_cond_wait(&timer_cv, &timer_mu);
      continue;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (ts_before(&now, &heap[0].due)) {
      struct timespec due = heap[0].due;
      pthread_cond_timedwait(&timer_cv, &timer_mu, &due);
      continue;
    }
    struct pending p = heap_pop();
    pthread_mutex_unlock(&timer_mu);
    answer_continue(p.id);
    pthread_mutex_lock(&timer_mu);
  }
  return NULL;
}

static void schedule_continue(uint64_t id, uint64_t delay_ns) {
  struct pending p = {.id = id};
  clock_gettime(CLOCK_MONOTONIC, &p.due);
  p.due.tv_sec += (time_t)(delay_ns / 1000000000ULL);
  p.due.tv_nsec += (long)(delay_ns % 1000000000ULL);
  if (p.due.tv_nsec >= 1000000000L) {
    p.due.tv_sec++;
    p.due.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&timer_mu);
  heap_push(p);
  pthread_cond_signal(&timer_cv);
  pthread_mutex_unlock(&timer_mu);
}

// ---------------------------------------------------------------------------------------------
// Path resolution from the target's view

static int read_link(const char *link, char *out, size_t outsz) {
  ssize_t n = readlink(link, out, outsz - 1);
  if (n < 0) return -1;
  out[n] = 0;
  return 0;
}

static int fd_path(pid_t tid, long fd, char *out, size_t outsz) {
  char link[64];
  if (fd == AT_FDCWD)
    snprintf(link, sizeof link, "/proc/%d/cwd", tid);
  else
    snprintf(link, sizeof link, "/proc/%d/fd/%ld", tid, fd);
  return read_link(link, out, outsz);
}

// Reads a NUL-terminated string from the target, page by page so a string that ends just before
// an unmapped page is still read.
static int read_string(pid_t tid, uint64_t addr, char *out, size_t outsz) {
  size_t got = 0;
  while (got < outsz - 1) {
    uint64_t a = addr + got;
    size_t page_left = 4096 - (size_t)(a & 4095);
    size_t want = outsz - 1 - got < page_left ? outsz - 1 - got : page_left;
    struct iovec local = {.iov_base = out + got, .iov_len = want};
    struct iovec remote = {.iov_base = (void *)(uintptr_t)a, .iov_len = want};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -1;
    void *nul = memchr(out + got, 0, (size_t)n);
    got += (size_t)n;
    if (nul) return 0;
  }
  out[outsz - 1] = 0;
  return 0;
}

static int sockaddr_text(pid_t tid, uint64_t addr, uint64_t len, char *out, size_t outsz) {
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  if (len > sizeof sa) len = sizeof sa;
  struct iovec local = {.iov_base = &sa, .iov_len = (size_t)len};
  struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = (size_t)len};
  if (len < sizeof(sa_family_t) || process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)len) return -1;
  char host[INET6_ADDRSTRLEN];
  if (sa.ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&sa;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    snprintf(out, outsz, "%s:%u", host, ntohs(in->sin_port));
  } else if (sa.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    snprintf(out, outsz, "[%s]:%u", host, ntohs(in6->sin6_port));
  } else if (sa.ss_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)&sa;
    size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
    if (n == 0) return -1;
    if (un->sun_path[0] == 0) snprintf(out, outsz, "@%.*s", (int)(n - 1), un->sun_path + 1);
    else snprintf(out, outsz, "%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
  } else {
    return -1;
  }
  return 0;
}

static int resolve_path(const struct syscall_entry *e, const struct seccomp_notif *req, char *out,
                        size_t outsz) {
  pid_t tid = (pid_t)req->pid;
  switch (e->path_kind) {
  case PATH_SOCKADDR1:
    if (sockaddr_text(tid, req->data.args[1], req->data.args[2], out, outsz) < 0) return -1;
    break;
  case PATH_FD0:
    if (fd_path(tid, (long)(int)req->data.args[0], out, outsz) < 0) return -1;
    break;
  case PATH_STR0:
  case PATH_AT_STR1: {
    char name[PATH_MAX];
    uint64_t addr = e->path_kind == PATH_STR0 ? req->data.args[0] : req->data.args[1];
    if (read_string(tid, addr, name, sizeof name) < 0) return -1;
    if (name[0] == '/') {
      snprintf(out, outsz, "%s", name);
    } else {
      char base[PATH_MAX];
      long dirfd = e->path_kind == PATH_STR0 ? AT_FDCWD : (long)(int)req->data.args[0];
      if (fd_path(tid, dirfd, base, sizeof base) < 0) return -1;
      int w = snprintf(out, outsz, "%s/%s", strcmp(base, "/") == 0 ? "" : base, name);
      if (w < 0 || (size_t)w >= outsz) return -1;
    }
    break;
  }
  default:
    return -1;
  }
  // The memory and fd table we read belong to the notifying thread only while the notification
  // is still pending; if it is gone the path may describe some other process.
  if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) return -1;
  return 0;
}

static pid_t tgid_of(pid_t tid) {
  char p[64], line[256];
  snprintf(p, sizeof p, "/proc/%d/status", tid);
  FILE *f = fopen(p, "re");
  if (!f) return tid;
  pid_t tgid = tid;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "Tgid:", 5) == 0) {
      tgid = (pid_t)atoi(line + 5);
      break;
    }
  fclose(f);
  return tgid;
}

// ---------------------------------------------------------------------------------------------
// Deciding

static const struct syscall_entry *entry_by_nr[MAX_NR];

static void handle_notification(struct seccomp_notif *req) {
  int nr = req->data.nr;
  if (nr < 0 || nr >= MAX_NR || !ruled_nr[nr]) {
    answer_continue(req->id);
    return;
  }
  const struct syscall_entry *e = entry_by_nr[nr];
  char path[PATH_MAX + 1];
  int path_state = 0; // 0 not tried, 1 resolved, -1 unresolvable
  for (int i = 0; i < nrules; i++) {
    struct rule *r = &rules[i];
    if (!r->nrs[nr]) continue;
    if (e && e->path_kind != PATH_NONE && path_state == 0)
      path_state = resolve_path(e, req, path, sizeof path) == 0 ? 1 : -1;
    if (r->glob) {
      if (path_state != 1 || !path_matches(r->glob, path)) continue;
    } else if (path_state == 1 && is_system_path(path)) {
      // A rule without a path never breaks the loader, /proc, /sys or /dev for the target.
      break;
    }
    r->matches++;
    if (r->action == ACT_ALLOW) continue;
    if (r->max_fires > 0 && r->fires >= r->max_fires) continue;
    if (r->probability < 1.0) {
      double draw = (double)(splitmix64(&r->rng) >> 11) * (1.0 / 9007199254740992.0);
      if (!(draw < r->probability)) continue;
    }
    r->fires++;
    char enc[PATH_MAX * 3 + 1] = "-";
    if (path_state == 1) pct_encode(path, enc, sizeof enc);
    pid_t tid = (pid_t)req->pid;
    const char *name = e ? e->name : "?";
    if (r->action == ACT_DENY) {
      answer_errno(req->id, r->err);
      send_line("fire %ld %d %d %s deny %s %s", r->id, tgid_of(tid), tid, name, r->err_name, enc);
    } else {
      schedule_continue(req->id, r->delay_ns);
      send_line("fire %ld %d %d %s delay %llu %s", r->id, tgid_of(tid), tid, name,
                (unsigned long long)r->delay_ns, enc);
    }
    return;
  }
  answer_continue(req->id);
}

// ---------------------------------------------------------------------------------------------
// Control commands

static unsigned char filtered_nr[MAX_NR];
static long pending_gen = -1; // generation of the batch being read, -1 when none
static int pending_left;       // rule lines still to read for it
static char batch_error[512];  // first problem in the batch; the batch is then rejected whole
static struct rule staged[MAX_RULES];
static int nstaged;

static void free_rules(struct rule *rs, int n) {
  for (int i = 0; i < n; i++) free(rs[i].glob);
}

static int parse_rule(char *line, struct rule *r, char *err, size_t errsz) {
  char *save = NULL;
  char *f[9];
  int n = 0;
  for (char *t = strtok_r(line, " ", &save); t && n < 9; t = strtok_r(NULL, " ", &save)) f[n++] = t;
  if (n != 9 || strcmp(f[0], "rule") != 0) {
    snprintf(err, errsz, "rule line needs 9 fields");
    return -1;
  }
  memset(r, 0, sizeof *r);
  r->id = strtol(f[1], NULL, 10);
  char *s2 = NULL;
  for (char *name = strtok_r(f[2], ",", &s2); name; name = strtok_r(NULL, ",", &s2)) {
    const struct syscall_entry *e = syscall_by_name(name);
    if (!e) {
      snprintf(err, errsz, "rule %ld: unknown syscall %s", r->id, name);
      return -1;
    }
    if (e->nr < 0 || e->nr >= MAX_NR || !filtered_nr[e->nr]) {
      snprintf(err, errsz, "rule %ld: syscall %s is not in this target's filter", r->id, name);
      return -1;
    }
    r->nrs[e->nr] = 1;
  }
  if (strcmp(f[3], "deny") == 0) {
    r->action = ACT_DENY;
    const struct errno_entry *en = errno_by_name(f[4]);
    if (!en) {
      snprintf(err, errsz, "rule %ld: unknown errno %s", r->id, f[4]);
      return -1;
    }
    r->err = en->value;
    r->err_name = en->name;
  } else if (strcmp(f[3], "delay") == 0) {
    r->action = ACT_DELAY;
    r->delay_ns = strtoull(f[4], NULL, 10);
  } else if (strcmp(f[3], "allow") == 0) {
    r->action = ACT_ALLOW;
  } else {
    snprintf(err, errsz, "rule %ld: unknown action %s", r->id, f[3]);
    return -1;
  }
  r->probability = strtod(f[5], NULL);
  r->max_fires = strtol(f[6], NULL, 10);
  r->rng = strtoull(f[7], NULL, 10);
  if (strcmp(f[8], "-") != 0) {
    pct_decode(f[8]);
    r->glob = strdup(f[8]);
  }
  return 0;
}

static void commit_staged(void) {
  for (int i = 0; i < nrules; i++) send_line("stat %ld %ld %ld", rules[i].id, rules[i].matches, rules[i].fires);
  free_rules(rules, nrules);
  memcpy(rules, staged, sizeof(struct rule) * (size_t)nstaged);
  nrules = nstaged;
  nstaged = 0;
  memset(ruled_nr, 0, sizeof ruled_nr);
  for (int i = 0; i < nrules; i++)
    for (int nr = 0; nr < MAX_NR; nr++)
      if (rules[i].nrs[nr]) ruled_nr[nr] = 1;
  send_line("applied %ld", pending_gen);
}

static void handle_command(char *line) {
  if (pending_gen >= 0) {
    if (!batch_error[0]) {
      if (nstaged >= MAX_RULES)
        snprintf(batch_error, sizeof batch_error, "too many rules (max %d)", MAX_RULES);
      else if (parse_rule(line, &staged[nstaged], batch_error, sizeof batch_error) == 0)
        nstaged++;
    }
    if (--pending_left == 0) {
      if (batch_error[0]) {
        char enc[1536];
        pct_encode(batch_error, enc, sizeof enc);
        send_line("rejected %ld %s", pending_gen, enc);
        free_rules(staged, nstaged);
        nstaged = 0;
      } else {
        commit_staged();
      }
      pending_gen = -1;
    }
    return;
  }
  long gen;
  int count;
  if (sscanf(line, "rules %ld %d", &gen, &count) == 2 && gen >= 0 && count >= 0) {
    pending_gen = gen;
    pending_left = count;
    nstaged = 0;
    batch_error[0] = 0;
    if (count == 0) {
      commit_staged();
      pending_gen = -1;
    }
    return;
  }
  char enc[512];
  pct_encode(line, enc, sizeof enc);
  send_line("error unknown%%20command%%3A%%20%s", enc);
}

// ---------------------------------------------------------------------------------------------
// Filter and launch

static int build_filter(const int *nrs, int n, struct sock_filter *out) {
  int k = 0;
  out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  // Another ABI (i386 via int 0x80) would reach the same kernel functions under other numbers.
  out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FB_AUDIT_ARCH, 1, 0);
  out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
  // x32 syscalls carry bit 30 and would also bypass the table below.
  out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
  out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
#endif
  // io_uring performs reads and writes without the syscalls below; refuse it so the target falls
  // back to plain syscalls.
  static const int uring[] = {SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register};
  for (int i = 0; i < 3; i++) {
    out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)uring[i], 0, 1);
    out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  }
  for (int i = 0; i < n; i++) {
    out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i], 0, 1);
    out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  }
  out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  return k;
}

// Shared with the forked child before exec: how the filter install went.
struct handoff {
  int listener_fd;
  int err;        // errno of the failed step, 0 if none
  int killable;   // WAIT_KILLABLE_RECV accepted
  char step[64];  // which step failed
};

static int install_filter(struct sock_filter *prog, int len, struct handoff *h) {
  struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
  // SPEC_ALLOW: we are a fault injector, not a sandbox; do not make the kernel turn on
  // speculative-store-bypass mitigation for the target, which would slow all of its code.
  unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV |
                        SECCOMP_FILTER_FLAG_SPEC_ALLOW;
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (fd < 0 && errno == EINVAL) { // kernel older than 6.0
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  }
  if (fd < 0 && errno == EACCES) { // not privileged: the kernel requires no_new_privs
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  }
  if (fd < 0) {
    h->err = errno;
    snprintf(h->step, sizeof h->step, "seccomp(SECCOMP_SET_MODE_FILTER)");
    return -1;
  }
  h->listener_fd = (int)fd;
  h->killable = (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) != 0;
  return 0;
}

// Forks a child that installs the filter and stops itself; returns with the listener fd taken
// from the stopped child (pidfd_getfd), so the child needs no syscall that the filter might send
// to us before we are listening. With nrs NULL (--reap) the child gets no filter at all.
static pid_t fork_filtered(const int *nrs, int n, uid_t uid, gid_t gid, int drop_privs, int *listener,
                           int *killable, int *pidfd_out) {
  struct sock_filter prog[16 + 2 * MAX_FILTERED];
  int len = nrs ? build_filter(nrs, n, prog) : 0;
  struct handoff *h = mmap(NULL, sizeof *h, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (h == MAP_FAILED) die("mmap: %s", strerror(errno));
  memset(h, 0, sizeof *h);
  h->listener_fd = -1;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (drop_privs) {
      // Before PR_SET_PDEATHSIG: changing credentials clears it.
      if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
        h->err = errno;
        snprintf(h->step, sizeof h->step, "dropping to uid %u gid %u", uid, gid);
        _exit(126);
      }
    }
    // The target must not outlive its supervisor: an unanswered filter would fail its syscalls.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    if (!nrs) return 0;
    if (install_filter(prog, len, h) < 0) _exit(126);
    fcntl(h->listener_fd, F_SETFD, FD_CLOEXEC);
    raise(SIGSTOP);
    return 0; // continue to exec in the caller
  }
  if (!nrs) {
    munmap(h, sizeof *h);
    *pidfd_out = (int)syscall(SYS_pidfd_open, pid, 0);
    if (*pidfd_out < 0) die("pidfd_open: %s", strerror(errno));
    return pid;
  }
  int st;
  if (waitpid(pid, &st, WUNTRACED) < 0) die("waitpid: %s", strerror(errno));
  if (!WIFSTOPPED(st)) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s: %s", h->step[0] ? h->step : "filter setup", strerror(h->err));
    fprintf(stderr, "faultbox-supervisor: cannot install the seccomp filter: %s\n", msg);
    exit(125);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) die("pidfd_open: %s", strerror(errno));
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, h->listener_fd, 0);
  if (fd < 0) die("pidfd_getfd: %s", strerror(errno));
  *listener = fd;
  *killable = h->killable;
  *pidfd_out = pidfd;
  munmap(h, sizeof *h);
  kill(pid, SIGCONT);
  return pid;
}

// Asks for synchronous wake-ups on the listener (see SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP above); an
// older kernel answers EINVAL and notifications keep the ordinary cross-CPU wake-up.
static int set_sync_wakeup(int listener) {
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
}

// Kills every remaining descendant: each round kills our current children (orphans reparent to
// us as they die) and reaps one, until none is left.
static void kill_descendants(void) {
  for (;;) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n > 0) {
        buf[n] = 0;
        for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
          kill((pid_t)atoi(t), SIGKILL);
      }
    }
    if (waitpid(-1, NULL, __WALL) < 0 && errno == ECHILD) return;
  }
}

// Leaves the way the target left: its exit code, or death by the same signal (so whoever waits for
// us sees "killed by SIGTERM", not an exit code), without a core file of our own.
static void exit_like(int st) {
  if (WIFSIGNALED(st)) {
    int sig = WTERMSIG(st);
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
  }
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int probe(void) {
  int nrs[1] = {SYS_getppid};
  int listener, killable, pidfd;
  pid_t pid = fork_filtered(nrs, 1, 0, 0, 0, &listener, &killable, &pidfd);
  if (pid == 0) _exit(getppid() > 0 ? 0 : 1); // a notified getppid, answered below
  notify_fd = listener;
  int sync = set_sync_wakeup(listener);
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) die("SECCOMP_GET_NOTIF_SIZES: %s", strerror(errno));
  struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof *req ? sizes.seccomp_notif : sizeof *req);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) die("SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(errno));
  answer_continue(req->id);
  int st;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) die("probe target did not complete");
  printf("ok killable=%d sync_wakeup=%d\n", killable, sync);
  return 0;
}

static void list_tables(void) {
  for (const struct syscall_entry *e = syscall_table; e->name; e++) printf("syscall %s %d\n", e->name, e->nr);
  for (const struct errno_entry *e = errno_table; e->name; e++) printf("errno %s %d\n", e->name, e->value);
}

int main(int argc, char **argv) {
  int nrs[MAX_FILTERED];
  int n = 0;
  long uid = -1, gid = -1;
  int want_sync = 1, reap = 0;
  int argi = 1;
  for (; argi < argc; argi++) {
    const char *a = argv[argi];
    if (strcmp(a, "--probe") == 0) return probe();
    if (strcmp(a, "--list") == 0) {
      list_tables();
      return 0;
    }
    if (strcmp(a, "--no-sync-wakeup") == 0) { // for comparing both wake-ups (bench/syscall)
      want_sync = 0;
      continue;
    }
    if (strcmp(a, "--reap") == 0) {
      reap = 1;
      continue;
    }
    if (strcmp(a, "--") == 0) {
      argi++;
      break;
    }
    if (argi + 1 >= argc) die("option %s needs a value", a);
    const char *v = argv[++argi];
    if (strcmp(a, "--ctl-fd") == 0) {
      ctl_fd = atoi(v);
    } else if (strcmp(a, "--ctl-socket") == 0) {
      // For launchers that spawn us themselves: the controller listens, we connect.
      struct sockaddr_un addr = {.sun_family = AF_UNIX};
      if (strlen(v) >= sizeof addr.sun_path) die("control socket path too long: %s", v);
      strcpy(addr.sun_path, v);
      ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (ctl_fd < 0 || connect(ctl_fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("cannot connect to the controller at %s: %s", v, strerror(errno));
    } else if (strcmp(a, "--uid") == 0) {
      uid = atol(v);
    } else if (strcmp(a, "--gid") == 0) {
      gid = atol(v);
    } else if (strcmp(a, "--syscalls") == 0) {
      char *copy = strdup(v), *save = NULL;
      for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const struct syscall_entry *e = syscall_by_name(name);
        if (!e) die("unknown syscall \"%s\" (see --list)", name);
        if (e->nr >= MAX_NR || filtered_nr[e->nr]) continue;
        if (n == MAX_FILTERED) die("too many syscalls");
        filtered_nr[e->nr] = 1;
        nrs[n++] = e->nr;
      }
      free(copy);
    } else {
      die("unknown option %s", a);
    }
  }
  if (argi >= argc) die("no command given after --");
  if (reap && (ctl_fd >= 0 || n > 0 || uid >= 0))
    die("--reap runs the target as it is: no --ctl-*, --syscalls, --uid or --gid");
  if (!reap && ctl_fd < 0) die("--ctl-fd or --ctl-socket is required (or --reap)");
  if ((uid < 0) != (gid < 0)) die("--uid and --gid go together");
  for (const struct syscall_entry *e = syscall_table; e->name; e++)
    if (e->nr >= 0 && e->nr < MAX_NR) entry_by_nr[e->nr] = e;
  if (ctl_fd >= 0) fcntl(ctl_fd, F_SETFD, FD_CLOEXEC);

  // Termination signals are forwarded to the target; we leave once it has exited.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  sigaddset(&sigs, SIGUSR2);
  sigaddset(&sigs, SIGCHLD);
  sigprocmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);
  // If the process that started us dies, everything we run goes with it (a SIGKILL here would leave
  // the target's orphaned descendants behind).
  pid_t launcher = getppid();
  prctl(PR_SET_PDEATHSIG, SIGUSR2);
  if (getppid() != launcher) _exit(125);
  // Descendants the target orphans (daemons, workers that setsid() like PostgreSQL's) become our
  // children, so we can stop them when the target exits.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  // Lets the target report a failed exec without a syscall we might be asked to delay.
  int execpipe[2];
  if (pipe2(execpipe, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));

  int listener = -1, killable = 0, pidfd;
  pid_t target =
      fork_filtered(reap ? NULL : nrs, n, (uid_t)uid, (gid_t)gid, uid >= 0, &listener, &killable, &pidfd);
  if (target == 0) {
    close(execpipe[0]);
    execvp(argv[argi], argv + argi);
    int e = errno;
    if (reap) fprintf(stderr, "faultbox-supervisor: cannot execute %s: %s\n", argv[argi], strerror(e));
    if (write(execpipe[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  close(execpipe[1]);
  notify_fd = listener;
  int sync = !reap && want_sync && set_sync_wakeup(listener);

  struct seccomp_notif *req = NULL;
  size_t reqsz = 0;
  if (!reap) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&timer_cv, &ca);
    pthread_t timer;
    if (pthread_create(&timer, NULL, timer_main, NULL) != 0) die("pthread_create failed");
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
      die("SECCOMP_GET_NOTIF_SIZES: %s", strerror(errno));
    reqsz = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
    req = malloc(reqsz);
  }
  int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);

  char ctlbuf[65536];
  size_t ctllen = 0;
  int exec_pending = 1, listener_open = !reap;
  for (;;) {
    struct pollfd pf[5] = {
        {.fd = listener_open ? notify_fd : -1, .events = POLLIN},
        {.fd = ctl_fd, .events = POLLIN},
        {.fd = pidfd, .events = POLLIN},
        {.fd = sfd, .events = POLLIN},
        {.fd = exec_pending ? execpipe[0] : -1, .events = POLLIN},
    };
    if (poll(pf, 5, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll: %s", strerror(errno));
    }
    if (pf[0].revents & POLLIN) {
      memset(req, 0, reqsz);
      if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) handle_notification(req);
    } else if (pf[0].revents & (POLLHUP | POLLERR)) {
      listener_open = 0; // every filtered task is gone
    }
    if (pf[4].revents) {
      int e = 0;
      ssize_t r = read(execpipe[0], &e, sizeof e);
      exec_pending = 0;
      if (r == (ssize_t)sizeof e) {
        char enc[256];
        pct_encode(strerror(e), enc, sizeof enc);
        send_line("execfail %d %s", e, enc);
      } else {
        send_line("ready %d %d %d", target, killable, sync);
      }
      close(execpipe[0]);
    }
    if (pf[1].revents) {
      ssize_t r = read(ctl_fd, ctlbuf + ctllen, sizeof ctlbuf - 1 - ctllen);
      if (r <= 0) {
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        // Controller gone: nothing may outlive the run.
        kill_descendants();
        _exit(125);
      }
      ctllen += (size_t)r;
      char *start = ctlbuf, *nl;
      while ((nl = memchr(start, '\n', ctllen - (size_t)(start - ctlbuf)))) {
        *nl = 0;
        handle_command(start);
        start = nl + 1;
      }
      ctllen -= (size_t)(start - ctlbuf);
      memmove(ctlbuf, start, ctllen);
      if (ctllen == sizeof ctlbuf - 1) {
        send_line("error command%%20line%%20too%%20long");
        ctllen = 0;
      }
    }
    int sigchld = 0;
    if (pf[3].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          sigchld = 1;
        } else if (si.ssi_signo == SIGUSR2 && (pid_t)si.ssi_pid == launcher) {
          // Stop now (the launcher's grace ran out, or the launcher died): the target and everything
          // it started, including daemons in other sessions that a process-group kill misses.
          send_line("exit - %d", SIGKILL);
          kill_descendants();
          _exit(128 + SIGKILL);
        } else {
          kill(target, (int)si.ssi_signo);
        }
      }
    }
    if (pf[2].revents || sigchld) {
      // Reap orphans handed to us as subreaper along with the target itself.
      int st;
      pid_t p;
      while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p != target) continue;
        if (WIFEXITED(st)) send_line("exit %d -", WEXITSTATUS(st));
        else send_line("exit - %d", WTERMSIG(st));
        kill_descendants();
        exit_like(st);
      }
    }
  }
}
