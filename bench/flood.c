// The benchmark's sender: floods one multicast group with sendmmsg(), flat out or at a given rate.
// Every datagram carries a header the receivers check: magic, sender id and a 64-bit sequence
// number (little-endian), then filler up to the payload size. Built by bench/run.js with the system
// compiler; run only inside the network lab.
//
//   flood --group 239.77.0.1 --port 40000 --ifaddr 10.77.0.1 --size 64
//         (--count N | --seconds S) [--rate R] [--batch 64] [--sender 1] [--ttl 1] [--loop 0|1]
//
// Prints one JSON line at the end: { sent, seconds, rate, cpuUser, cpuSys, errors }.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"

#define MAX_BATCH 1024

static void usage(void) {
  fprintf(stderr,
          "usage: flood --group G --port P --ifaddr A --size N (--count N | --seconds S) [--rate R]"
          " [--batch B] [--sender ID] [--ttl T] [--loop 0|1]\n");
  exit(2);
}

int main(int argc, char **argv) {
  bench_program = "flood";
  const char *group = NULL, *ifaddr = NULL;
  int port = 0, ttl = 1, loop = 0;
  size_t size = 64, batch = 64;
  uint64_t count = 0;
  double seconds = 0, rate = 0;
  uint32_t sender = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) usage();
    if (!strcmp(a, "--group")) group = v;
    else if (!strcmp(a, "--ifaddr")) ifaddr = v;
    else if (!strcmp(a, "--port")) port = atoi(v);
    else if (!strcmp(a, "--size")) size = (size_t)atol(v);
    else if (!strcmp(a, "--count")) count = strtoull(v, NULL, 10);
    else if (!strcmp(a, "--seconds")) seconds = atof(v);
    else if (!strcmp(a, "--rate")) rate = atof(v);
    else if (!strcmp(a, "--batch")) batch = (size_t)atol(v);
    else if (!strcmp(a, "--sender")) sender = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(a, "--ttl")) ttl = atoi(v);
    else if (!strcmp(a, "--loop")) loop = atoi(v);
    else usage();
    i++;
  }
  if (group == NULL || ifaddr == NULL || port <= 0 || port > 65535 || (count == 0 && seconds <= 0)) usage();
  if (size < 16 || size > 65507 || batch < 1 || batch > MAX_BATCH) usage();

  // A paced flood sleeps between sends. The kernel may extend a sleep by the thread's timer slack
  // (50 us by default), and a flood then catches up in bursts: at 100,000/s one datagram at a time,
  // bursts of about six every 60 us. With the slack at 1 ns the sleeps end when they are due.
  if (rate > 0 && prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) != 0) die("PR_SET_TIMERSLACK");

  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  struct in_addr iface;
  if (inet_pton(AF_INET, ifaddr, &iface) != 1) usage();
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof(iface)) != 0) die("IP_MULTICAST_IF");
  unsigned char t = (unsigned char)ttl, l = (unsigned char)loop;
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_TTL, &t, sizeof(t)) != 0) die("IP_MULTICAST_TTL");
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_LOOP, &l, sizeof(l)) != 0) die("IP_MULTICAST_LOOP");
  struct sockaddr_in dest;
  memset(&dest, 0, sizeof(dest));
  dest.sin_family = AF_INET;
  dest.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, group, &dest.sin_addr) != 1) usage();

  static struct mmsghdr msgs[MAX_BATCH];
  static struct iovec iov[MAX_BATCH];
  unsigned char *payload = calloc(batch, size);
  if (payload == NULL) die("calloc");
  for (size_t i = 0; i < batch; i++) {
    unsigned char *p = payload + i * size;
    for (size_t k = 16; k < size; k++) p[k] = (unsigned char)k;
    put32(p, MAGIC);
    put32(p + 4, sender);
    iov[i].iov_base = p;
    iov[i].iov_len = size;
    memset(&msgs[i], 0, sizeof(msgs[i]));
    msgs[i].msg_hdr.msg_name = &dest;
    msgs[i].msg_hdr.msg_namelen = sizeof(dest);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  double start = now_s(), end = start + seconds;
  uint64_t seq = 0, errors = 0;
  for (;;) {
    double t_now = now_s();
    if (count > 0 ? seq >= count : t_now >= end) break;
    if (rate > 0) {
      // Rate control: never ahead of start + seq / rate.
      double due = start + (double)seq / rate;
      if (due > t_now) {
        struct timespec ts;
        double d = due - t_now;
        ts.tv_sec = (time_t)d;
        ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
      }
    }
    size_t n = batch;
    if (count > 0 && count - seq < n) n = (size_t)(count - seq);
    for (size_t i = 0; i < n; i++) {
      unsigned char *p = payload + i * size;
      put32(p + 8, (uint32_t)((seq + i) & 0xffffffffu));
      put32(p + 12, (uint32_t)((seq + i) >> 32));
    }
    size_t done = 0;
    while (done < n) {
      int k = sendmmsg(s, msgs + done, (unsigned)(n - done), 0);
      if (k < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS || errno == EAGAIN) {
          // A full queue: the datagram is not sent; try it again.
          errors++;
          continue;
        }
        die("sendmmsg");
      }
      done += (size_t)k;
    }
    seq += n;
  }
  double elapsed = now_s() - start;
  getrusage(RUSAGE_SELF, &r1);
  printf("{\"sent\":%llu,\"seconds\":%.6f,\"rate\":%.1f,\"cpuUser\":%.6f,\"cpuSys\":%.6f,\"errors\":%llu}\n",
         (unsigned long long)seq, elapsed, (double)seq / elapsed, tv_s(r1.ru_utime) - tv_s(r0.ru_utime),
         tv_s(r1.ru_stime) - tv_s(r0.ru_stime), (unsigned long long)errors);
  return 0;
}
