// Benchmark target: times N syscalls in a loop and prints nanoseconds per call, so process start
// and supervisor setup are not measured.
//   writer small <file> <n>   1-byte pwrite at offset 0 (the cost of one syscall)
//   writer heavy <file> <n>   4 KiB sequential writes (a write-heavy workload; page cache only)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  int heavy = strcmp(argv[1], "heavy") == 0;
  long n = atol(argv[3]);
  int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  static char block[4096];
  memset(block, 'b', sizeof block);
  long failed = 0;
  double start = now_ns();
  for (long i = 0; i < n; i++) {
    ssize_t r = heavy ? write(fd, block, sizeof block) : pwrite(fd, block, 1, 0);
    if (r < 0) failed++;
  }
  double elapsed = now_ns() - start;
  close(fd);
  printf("%.1f %ld\n", elapsed / (double)n, failed);
  return 0;
}
