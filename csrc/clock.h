/*
 * The clocks concbench reads: CLOCK_MONOTONIC in nanoseconds, comparable
 * across the processes of a batch, and the calling thread's CPU time.
 */
#ifndef CB_CLOCK_H
#define CB_CLOCK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct timespec;

/* CLOCK_MONOTONIC, ns. */
int64_t cb_now_ns(void);

/* The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), ns. */
int64_t cb_thread_cpu_ns(void);

/* CLOCK_MONOTONIC time ns as a timespec, for timed waits. */
void cb_ns_to_timespec(int64_t ns, struct timespec *ts);

#ifdef __cplusplus
}
#endif

#endif
