/* The round trip in C, the floor that bench/pingpong.js is held against: the same protocol, run by
 * bench/run.js between two lab hosts (never outside the lab). The pinger sends to group A and waits
 * for the echo on group B; the ponger echoes every datagram of group A to group B. Each side has
 * one socket bound to the group it listens on (joined on the interface) and one that sends (out of
 * the interface, TTL 1, no loopback), both blocking: the least a program can do per round trip.
 *   pingpong --role ping|pong --groupA G --groupB G --port P --iface NAME --addr A
 *            [--count 2000] [--warmup 200]
 * pong prints "ready" and echoes until stdin closes; ping prints one JSON line of round-trip times
 * in microseconds: { count, lost, p50, p90, p99, max, mean }. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-common.h"

static int listen_on(const char *group, int port, const char *iface, const char *addr) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  int on = 1;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on))) die("SO_REUSEADDR");
  struct sockaddr_in bind_to = {0};
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, group, &bind_to.sin_addr) != 1) die("group address");
  if (bind(s, (struct sockaddr *)&bind_to, sizeof(bind_to))) die("bind");
  struct ip_mreqn m = {0};
  m.imr_multiaddr = bind_to.sin_addr;
  if (inet_pton(AF_INET, addr, &m.imr_address) != 1) die("interface address");
  m.imr_ifindex = (int)if_nametoindex(iface);
  if (m.imr_ifindex == 0) die("if_nametoindex");
  if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m))) die("IP_ADD_MEMBERSHIP");
  return s;
}

static int sender(const char *addr) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  struct in_addr ifaddr;
  if (inet_pton(AF_INET, addr, &ifaddr) != 1) die("interface address");
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof(ifaddr))) die("IP_MULTICAST_IF");
  unsigned char ttl = 1, loop = 0;
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl))) die("IP_MULTICAST_TTL");
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop))) die("IP_MULTICAST_LOOP");
  return s;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  bench_program = "pingpong";
  const char *role = NULL, *group_a = NULL, *group_b = NULL, *iface = NULL, *addr = NULL;
  int port = 0, count = 2000, warmup = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--role")) role = v;
    else if (!strcmp(a, "--groupA")) group_a = v;
    else if (!strcmp(a, "--groupB")) group_b = v;
    else if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--iface")) iface = v;
    else if (!strcmp(a, "--addr")) addr = v;
    else if (!strcmp(a, "--count")) count = atoi(v);
    else if (!strcmp(a, "--warmup")) warmup = atoi(v);
    else if (!strcmp(a, "--impl")) continue; /* bench/run.js passes the same options to both programs */
    else {
      fprintf(stderr, "pingpong: unknown option %s\n", a);
      return 2;
    }
  }
  if (!role || !group_a || !group_b || !iface || !addr || port <= 0 || count <= 0 || warmup < 0) {
    fprintf(stderr, "usage: pingpong --role ping|pong --groupA G --groupB G --port P --iface NAME --addr A [--count N] [--warmup N]\n");
    return 2;
  }
  int is_ping = !strcmp(role, "ping");
  int rx = listen_on(is_ping ? group_b : group_a, port, iface, addr);
  int tx = sender(addr);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, is_ping ? group_a : group_b, &to.sin_addr) != 1) die("group address");
  unsigned char buf[2048];

  if (!is_ping) {
    printf("ready\n");
    fflush(stdout);
    struct pollfd fds[2] = {{rx, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        die("poll");
      }
      if (fds[1].revents) {
        /* stdin readable: its end (or anything) ends the ponger, as in pingpong.js */
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n <= 0) return 0;
      }
      if (fds[0].revents & POLLIN) {
        ssize_t n = recv(rx, buf, sizeof(buf), 0);
        if (n < 0) die("recv");
        if (sendto(tx, buf, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) die("sendto");
      }
    }
  }

  double *rtts = malloc(sizeof(double) * (size_t)count);
  if (!rtts) die("malloc");
  int got = 0, lost = 0;
  memset(buf, 0, 64);
  for (int i = 0; i < warmup + count; i++) {
    put32(buf, (uint32_t)i);
    double t0 = now_s();
    if (sendto(tx, buf, 64, 0, (struct sockaddr *)&to, sizeof(to)) < 0) die("sendto");
    double deadline = t0 + 0.5, t1 = -1;
    while (t1 < 0) {
      int left = (int)((deadline - now_s()) * 1000) + 1;
      if (left <= 0) break;
      struct pollfd p = {rx, POLLIN, 0};
      int r = poll(&p, 1, left);
      if (r < 0 && errno != EINTR) die("poll");
      if (r <= 0) continue;
      unsigned char in[2048];
      ssize_t n = recv(rx, in, sizeof(in), 0);
      if (n < 0) die("recv");
      if (n >= 4 && get32(in) == (uint32_t)i) t1 = now_s();
    }
    if (i < warmup) continue;
    if (t1 < 0) lost++;
    else rtts[got++] = (t1 - t0) * 1e6;
  }
  qsort(rtts, (size_t)got, sizeof(double), by_value);
  double sum = 0;
  for (int i = 0; i < got; i++) sum += rtts[i];
#define Q(p) (got ? rtts[(int)((p) * got) < got ? (int)((p) * got) : got - 1] : 0)
  printf("{\"count\":%d,\"lost\":%d,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}\n", got, lost, Q(0.5), Q(0.9),
         Q(0.99), got ? rtts[got - 1] : 0, got ? sum / got : 0);
  free(rtts);
  close(rx);
  close(tx);
  return 0;
}
