/*
 * The service inside faultbox's container test image: a tiny HTTP/1.0 server, linked statically so the
 * image is this one file on top of `scratch` (no registry is needed to build it).
 *   server            listens on $PORT (default 8080); one request per connection, then close
 *   server crash      prints a few lines, "fatal: ..." on stderr, exits 3 (a service that cannot start)
 * Routes: GET /health -> "ok"; GET /env/NAME -> $NAME or 404; GET /exit/N -> answers, then exits N;
 * anything else -> 200 "hello from <$GREETING>". Every request is logged as one JSON line on stdout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  /* PID 1 in a container ignores SIGTERM unless it handles it; stop promptly like a real service. */
  _exit(0);
}

static void reply(int fd, int status, const char *body) {
  char head[256];
  const char *reason = status == 200 ? "OK" : "Not Found";
  int n = snprintf(head, sizeof head,
                   "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, strlen(body));
  if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) perror("write");
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
