/*
 * The service inside faultbox's container test image: a tiny HTTP/1.0 server, linked statically so the
 * image is this one file on top of `scratch` (no registry is needed to build it).
 *   server            listens on $PORT (default 8080); one request per connection, then close
 *   server crash      prints a few lines, "fatal: ..." on stderr, exits 3 (a service that cannot start)
 * Routes: GET /health -> "ok"; GET /env/NAME -> $NAME or 404; GET /exit/N -> answers, then exits N;
 * GET /call/PATH -> GET http://$UPSTREAM/PATH (host:port; names through /etc/hosts), answered with
 * "upstream <status line>|<body>", or 502 when it cannot connect; GET /direct/PATH: the same to $DIRECT; anything else -> 200 "hello from
 * <$GREETING>". Every request is logged as one JSON line on stdout.
 * Data in the container's own filesystem (it survives a stop and start of the same container):
 * GET /put/NAME/VALUE writes /data-NAME; GET /get/NAME reads it (404 when absent); GET /starts -> how
 * many times this container's server started (each start appends to /starts). SIGTERM logs
 * {"msg":"stopping"} before exiting.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  static const char line[] = "{\"msg\":\"stopping\"}\n";
  if (write(1, line, sizeof line - 1) < 0) _exit(1);
  /* PID 1 in a container ignores SIGTERM unless it handles it; stop promptly like a real service. */
  _exit(0);
}

static void reply(int fd, int status, const char *body) {
  char head[256];
  const char *reason = status == 200 ? "OK" : status == 502 ? "Bad Gateway" : "Not Found";
  int n = snprintf(head, sizeof head,
                   "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, strlen(body));
  if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) perror("write");
}

/* A static binary has no NSS: look the name up in /etc/hosts ourselves (host.docker.internal lives there). */
static int resolve(const char *host, struct in_addr *out) {
  if (inet_pton(AF_INET, host, out) == 1) return 0;
  FILE *f = fopen("/etc/hosts", "r");
  if (!f) return -1;
  char line[512];
  int found = -1;
  while (found < 0 && fgets(line, sizeof line, f)) {
    char ip[64], *rest = line;
    if (sscanf(line, "%63s", ip) != 1 || ip[0] == '#') continue;
    rest += strlen(ip) + (size_t)(strstr(line, ip) - line);
    for (char *name = strtok(rest, " \t\n"); name; name = strtok(NULL, " \t\n")) {
      if (strcmp(name, host) == 0 && inet_pton(AF_INET, ip, out) == 1) {
        found = 0;
        break;
      }
    }
  }
  fclose(f);
  return found;
}

/* GET http://$<var><path>; writes "upstream <status line>|<body>" into out, or the error. */
static int call_upstream(const char *var, const char *path, char *out, size_t cap) {
  const char *up = getenv(var);
  if (!up) return snprintf(out, cap, "%s is not set", var), -1;
  char host[256];
  const char *colon = strrchr(up, ':');
  if (!colon || (size_t)(colon - up) >= sizeof host) return snprintf(out, cap, "bad UPSTREAM %s", up), -1;
  memcpy(host, up, (size_t)(colon - up));
  host[colon - up] = 0;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(colon + 1))};
  if (resolve(host, &addr.sin_addr) < 0) return snprintf(out, cap, "cannot resolve %s", host), -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    snprintf(out, cap, "cannot connect to %s: %s", up, strerror(errno));
    close(fd);
    return -1;
  }
  char req[1200];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, up);
  if (write(fd, req, (size_t)n) < 0) perror("write");
  char resp[4096];
  size_t got = 0;
  ssize_t r;
  while (got < sizeof resp - 1 && (r = read(fd, resp + got, sizeof resp - 1 - got)) > 0) got += (size_t)r;
  resp[got] = 0;
  close(fd);
  char *eol = strstr(resp, "\r\n");
  char *body = strstr(resp, "\r\n\r\n");
  if (!eol || !body) return snprintf(out, cap, "malformed answer from %s", up), -1;
  *eol = 0;
  snprintf(out, cap, "upstream %s|%s", resp, body + 4);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && strcmp(argv[1], "crash") == 0) {
    printf("starting with config %s\n", getenv("CONFIG") ? getenv("CONFIG") : "(none)");
    fprintf(stderr, "fatal: cannot open config file /etc/app.conf\n");
    return 3;
  }
  FILE *starts = fopen("/starts", "a");
  if (starts) {
    fputc('x', starts);
    fclose(starts);
  }
  const char *port_env = getenv("PORT");
  int port = port_env ? atoi(port_env) : 8080;
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(srv, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(srv, 64) < 0) {
    perror("listen");
    return 1;
  }
  printf("{\"msg\":\"listening\",\"port\":%d}\n", port);
  for (;;) {
    int fd = accept(srv, NULL, NULL);
    if (fd < 0) continue;
    char req[4096];
    size_t got = 0;
    /* Read up to the end of the request head (no request here carries a body we need). */
    while (got < sizeof req - 1) {
      ssize_t r = read(fd, req + got, sizeof req - 1 - got);
      if (r <= 0) break;
      got += (size_t)r;
      req[got] = 0;
      if (strstr(req, "\r\n\r\n")) break;
    }
    req[got] = 0;
    char method[16] = "", path[1024] = "";
    if (sscanf(req, "%15s %1023s", method, path) != 2) {
      close(fd);
      continue;
    }
    printf("{\"msg\":\"request\",\"method\":\"%s\",\"path\":\"%s\"}\n", method, path);
    if (strcmp(path, "/health") == 0) {
      reply(fd, 200, "ok");
    } else if (strncmp(path, "/env/", 5) == 0) {
      const char *v = getenv(path + 5);
      reply(fd, v ? 200 : 404, v ? v : "unset");
    } else if (strncmp(path, "/call/", 6) == 0) {
      char out[4200];
      int ok = call_upstream("UPSTREAM", path + 5, out, sizeof out);
      reply(fd, ok == 0 ? 200 : 502, out);
    } else if (strncmp(path, "/direct/", 8) == 0) {
      char out[4200];
      int ok = call_upstream("DIRECT", path + 7, out, sizeof out);
      reply(fd, ok == 0 ? 200 : 502, out);
    } else if (strncmp(path, "/put/", 5) == 0 && strchr(path + 5, '/')) {
      char file[1100];
      char *value = strchr(path + 5, '/');
      *value++ = 0;
      snprintf(file, sizeof file, "/data-%s", path + 5);
      FILE *f = fopen(file, "w");
      if (f) {
        fputs(value, f);
        fclose(f);
      }
      reply(fd, f ? 200 : 502, f ? "stored" : "cannot write");
    } else if (strncmp(path, "/get/", 5) == 0) {
      char file[1100], value[512] = "";
      snprintf(file, sizeof file, "/data-%s", path + 5);
      FILE *f = fopen(file, "r");
      if (f) {
        size_t n = fread(value, 1, sizeof value - 1, f);
        value[n] = 0;
        fclose(f);
      }
      reply(fd, f ? 200 : 404, f ? value : "no such key");
    } else if (strcmp(path, "/starts") == 0) {
      char count[32];
      FILE *f = fopen("/starts", "r");
      long n = 0;
      if (f) {
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fclose(f);
      }
      snprintf(count, sizeof count, "%ld", n);
      reply(fd, 200, count);
    } else if (strncmp(path, "/exit/", 6) == 0) {
      int code = atoi(path + 6);
      reply(fd, 200, "exiting");
      close(fd);
      fprintf(stderr, "exiting with code %d on request\n", code);
      return code;
    } else {
      char body[512];
      snprintf(body, sizeof body, "hello from %s", getenv("GREETING") ? getenv("GREETING") : "nobody");
      reply(fd, 200, body);
    }
    close(fd);
  }
}
