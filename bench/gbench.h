/*
 * gbench: a C API over Google Benchmark's C++ API (written against 1.7.1),
 * so that benchmark bodies can be C. It covers what a C benchmark needs: the
 * state loop, manual iteration time, counters with their flags, a label,
 * skipping with an error, registration, context and running.
 * The implementation is bench/gbench.cc.
 */
#ifndef CB_GBENCH_H
#define CB_GBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cb_gbench_state cb_gbench_state; /* benchmark::State */
typedef struct cb_gbench cb_gbench;             /* a registered benchmark */
typedef void (*cb_gbench_fn)(cb_gbench_state *state, void *arg);

/* Counter flags; they combine as Google Benchmark's do. */
enum cb_gbench_counter_flags {
    CB_GBENCH_COUNTER_DEFAULT = 0,
    CB_GBENCH_COUNTER_RATE = 1 << 0,        /* divided by the time */
    CB_GBENCH_COUNTER_AVG_THREADS = 1 << 1, /* divided by the threads */
    CB_GBENCH_COUNTER_ITERATION_INVARIANT = 1 << 2, /* times the iterations */
    CB_GBENCH_COUNTER_AVG_ITERATIONS = 1 << 3, /* divided by the iterations */
    CB_GBENCH_COUNTER_INVERT = 1 << 4,         /* 1 / value, after the rest */
};

enum cb_gbench_unit {
    CB_GBENCH_NS,
    CB_GBENCH_US,
    CB_GBENCH_MS,
    CB_GBENCH_S,
};

/* The state loop: true while another iteration should run. */
bool cb_gbench_keep_running(cb_gbench_state *state);
/* The time of the iteration just run, for benchmarks with manual time. */
void cb_gbench_set_iteration_time(cb_gbench_state *state, double seconds);
int64_t cb_gbench_iterations(const cb_gbench_state *state);
/* Set (or replace) a counter; flags from cb_gbench_counter_flags. */
void cb_gbench_set_counter(cb_gbench_state *state, const char *name,
                           double value, unsigned flags);
void cb_gbench_set_label(cb_gbench_state *state, const char *label);
/* Mark the run failed with msg; the caller leaves its loop afterwards. */
void cb_gbench_skip_with_error(cb_gbench_state *state, const char *msg);

/* Register fn(state, arg) under name. Returns NULL on failure. */
cb_gbench *cb_gbench_register(const char *name, cb_gbench_fn fn, void *arg);
void cb_gbench_use_manual_time(cb_gbench *bench);
void cb_gbench_set_unit(cb_gbench *bench, enum cb_gbench_unit unit);
/* A fixed iteration count (it becomes part of the name). */
void cb_gbench_set_iterations(cb_gbench *bench, int64_t iterations);

/* Parse and remove Google Benchmark's flags from argv. */
void cb_gbench_initialize(int *argc, char **argv);
/* True (after printing an error) if argv still holds a flag. */
bool cb_gbench_report_unrecognized(int argc, char **argv);
void cb_gbench_add_context(const char *key, const char *value);
/* Run the benchmarks the flags select; returns how many ran. */
size_t cb_gbench_run_specified(void);
void cb_gbench_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif
