/* What the benchmark's C programs (flood.c, sink.c, pingpong.c) share: the clocks they report with,
 * how they fail, and the layout of a benchmark datagram: MAGIC, sender id, sequence number,
 * little-endian. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MAGIC 0x4d434542u /* "BECM" little-endian: a benchmark datagram */

/* Set by each program to its name, for error messages. */
static const char *bench_program;

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static void die(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", bench_program, what, strerror(errno));
  exit(1);
}

static inline void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

#endif
