// The benchmark's reference receiver: what the kernel can deliver to one thread for the same
// workload as McastRxSocket (a socket bound to the group and port, IP_PKTINFO and SO_RXQ_OVFL on,
// IP_MULTICAST_ALL off, recvmmsg of 64, every datagram's destination and interface checked). Its
// CPU time per datagram is the floor the JavaScript receivers are compared with. Built by
// bench/run.js with the system compiler; run only inside the network lab.
//
//   sink --group 239.77.0.1 --port 40000 --iface eth0 [--mode block|epoll] [--rcvbuf BYTES] [--hold-ms MS]
//
// Prints "ready" once joined, then receives until a line "stop" (or end of file) arrives on stdin
// while the socket is idle, and prints one JSON line with counts, sequence checks, CPU and RSS. A
// line "mark" (while idle) restarts the counts, after a warm-up.
//   block: recvmmsg(64, MSG_WAITFORONE) sleeping in the kernel (the fewest system calls);
//   epoll: epoll_wait, then recvmmsg(64, MSG_DONTWAIT): what an event loop does.
// --hold-ms: after "mark", it stops reading for that long, so that the kernel queue fills; what it
// then reads measures how fast it drains a full queue.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"

#define BATCH 64
#define SLOT 65536
#define MAX_SENDERS 16
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

struct sender { uint32_t id; int seen; uint64_t next; };
static struct sender senders[MAX_SENDERS];
static uint64_t reads, received, filtered, gaps, disorder, foreign, drops;
static double first_at, last_at;
static int hold_ms;

static void account(const unsigned char *p, size_t len) {
  if (len < 16 || get32(p) != MAGIC) { foreign++; return; }
  uint32_t id = get32(p + 4);
  uint64_t seq = (uint64_t)get32(p + 8) | ((uint64_t)get32(p + 12) << 32);
  struct sender *s = NULL;
  for (int i = 0; i < MAX_SENDERS; i++) {
    if (senders[i].seen && senders[i].id == id) { s = &senders[i]; break; }
    if (!senders[i].seen) { s = &senders[i]; s->seen = 1; s->id = id; s->next = 0; break; }
  }
  if (s == NULL) { foreign++; return; }
  if (seq < s->next) disorder++;
  else { gaps += seq - s->next; s->next = seq + 1; }
}

static struct rusage r0;
static long switches0;

// "mark" on stdin: the warm-up is over; count from here.
static void mark(void) {
  reads = received = filtered = gaps = disorder = foreign = 0;
  first_at = last_at = 0;
  memset(senders, 0, sizeof(senders));
  getrusage(RUSAGE_SELF, &r0);
  switches0 = r0.ru_nvcsw;
  printf("marked\n");
  fflush(stdout);
  if (hold_ms > 0) {
    usleep((useconds_t)hold_ms * 1000);
    // A drain is timed from the moment the receiver wakes (as bench/rx-node.js does).
    first_at = last_at = now_s();
  }
}

// Whether stdin says stop (a "stop" line or end of file); handles "mark"; never blocks.
static int stop_requested(void) {
  struct pollfd p = {0, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return 0;
  char buf[64];
  ssize_t n = read(0, buf, sizeof(buf) - 1);
  if (n <= 0) return 1;
  buf[n] = 0;
  if (strstr(buf, "mark") != NULL) mark();
  return strstr(buf, "stop") != NULL;
}

int main(int argc, char **argv) {
  bench_program = "sink";
  const char *group = NULL, *ifname = NULL, *mode = "block";
  int port = 0, rcvbuf = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--group")) group = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--iface")) ifname = argv[i + 1];
    else if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!strcmp(argv[i], "--rcvbuf")) rcvbuf = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--hold-ms")) hold_ms = atoi(argv[i + 1]);
    else { fprintf(stderr, "sink: unknown option %s\n", argv[i]); return 2; }
  }
  int use_epoll = !strcmp(mode, "epoll");
  if (group == NULL || ifname == NULL || port <= 0 || (!use_epoll && strcmp(mode, "block"))) {
    fprintf(stderr, "usage: sink --group G --port P --iface NAME [--mode block|epoll] [--rcvbuf BYTES] [--hold-ms MS]\n");
    return 2;
  }
  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) die("if_nametoindex");
  struct in_addr grp;
  if (inet_pton(AF_INET, group, &grp) != 1) die("group");

  int s = socket(AF_INET, SOCK_DGRAM | (use_epoll ? SOCK_NONBLOCK : 0), 0);
  if (s < 0) die("socket");
  int one = 1, zero = 0;
  if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))) die("SO_REUSEADDR");
  if (rcvbuf > 0 && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) die("SO_RCVBUF");
  if (setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) die("IP_PKTINFO");
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero))) die("IP_MULTICAST_ALL");
  if (setsockopt(s, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one))) die("SO_RXQ_OVFL");
  struct timeval idle = {0, 100000};
  if (!use_epoll && setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle))) die("SO_RCVTIMEO");
  struct sockaddr_in bind_to;
  memset(&bind_to, 0, sizeof(bind_to));
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons((uint16_t)port);
  bind_to.sin_addr = grp;
  if (bind(s, (struct sockaddr *)&bind_to, sizeof(bind_to))) die("bind");
  struct ip_mreqn mreq;
  memset(&mreq, 0, sizeof(mreq));
  mreq.imr_multiaddr = grp;
  mreq.imr_ifindex = (int)ifindex;
  if (setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq))) die("IP_ADD_MEMBERSHIP");

  int ep = -1;
  if (use_epoll) {
    ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1");
    struct epoll_event ev = {EPOLLIN, {.fd = s}};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev)) die("epoll_ctl");
    struct epoll_event ev0 = {EPOLLIN, {.fd = 0}};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev0)) die("epoll_ctl stdin");
  }

  static unsigned char data[BATCH][SLOT];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_in from[BATCH];
  static unsigned char control[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(uint32_t)) + 64];

  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = data[i];
    iov[i].iov_len = SLOT;
    struct msghdr *h = &msgs[i].msg_hdr;
    h->msg_name = &from[i];
    h->msg_iov = &iov[i];
    h->msg_iovlen = 1;
    h->msg_control = control[i];
  }

  struct rusage r1;
  getrusage(RUSAGE_SELF, &r0);
  switches0 = r0.ru_nvcsw;
  printf("ready\n");
  fflush(stdout);
  int stopping = 0;
  while (!stopping) {
    if (use_epoll) {
      struct epoll_event evs[2];
      int n = epoll_wait(ep, evs, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        die("epoll_wait");
      }
      int readable = 0;
      for (int i = 0; i < n; i++) {
        if (evs[i].data.fd == s) readable = 1;
        else if (stop_requested()) stopping = 1;
      }
      if (!readable) continue;
    }
    for (;;) {
      for (int i = 0; i < BATCH; i++) {
        // Only what the kernel writes back changes between calls.
        struct msghdr *h = &msgs[i].msg_hdr;
        h->msg_namelen = sizeof(from[i]);
        h->msg_controllen = sizeof(control[i]);
        h->msg_flags = 0;
      }
      int n = recvmmsg(s, msgs, BATCH, use_epoll ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          // block mode: 100 ms without a datagram; epoll mode: drained.
          if (!use_epoll && stop_requested()) stopping = 1;
          break;
        }
        die("recvmmsg");
      }
      reads++;
      double t = now_s();
      if (received == 0 && hold_ms == 0) first_at = t;
      for (int i = 0; i < n; i++) {
        struct msghdr *h = &msgs[i].msg_hdr;
        int ok = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof(info));
            ok = info.ipi_addr.s_addr == grp.s_addr && (unsigned)info.ipi_ifindex == ifindex;
          } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t d;
            memcpy(&d, CMSG_DATA(c), sizeof(d));
            drops = d;
          }
        }
        if (!ok) { filtered++; continue; }
        received++;
        account(data[i], msgs[i].msg_len);
      }
      // A flood is timed from read to read; a drain up to the end of the last read's work.
      if (n > 0) last_at = hold_ms > 0 ? now_s() : t;
      if (use_epoll && n < BATCH) break;
    }
  }
  getrusage(RUSAGE_SELF, &r1);
  printf("{\"received\":%llu,\"filtered\":%llu,\"gaps\":%llu,\"disorder\":%llu,\"foreign\":%llu,"
         "\"kernelDrops\":%llu,\"activeSeconds\":%.6f,\"cpuUser\":%.6f,\"cpuSys\":%.6f,\"maxRssKb\":%ld,"
         "\"wakeups\":%ld,\"reads\":%llu,\"countAtLast\":%llu}\n",
         (unsigned long long)received, (unsigned long long)filtered, (unsigned long long)gaps,
         (unsigned long long)disorder, (unsigned long long)foreign, (unsigned long long)drops,
         last_at - first_at, tv_s(r1.ru_utime) - tv_s(r0.ru_utime), tv_s(r1.ru_stime) - tv_s(r0.ru_stime),
         r1.ru_maxrss, r1.ru_nvcsw - switches0, (unsigned long long)reads,
         (unsigned long long)received);
  return 0;
}
