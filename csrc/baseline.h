/*
 * Baselines: the bare operations a strategy is built from, in a plain loop,
 * with none of the suite's bookkeeping. The suite runs them beside the modes
 * so that each mode's own overhead can be read off the same run, on the same
 * machine: process noop against fork + _exit + waitpid, thread noop against
 * pthread_create + join, serial gmp_pow and logpow against a bare loop of the
 * kernel; and what switching between two threads or two processes costs
 * (perf bench sched pipe, and its -T). Like the modes, they know nothing of
 * timing or Google Benchmark.
 */
#ifndef CB_BASELINE_H
#define CB_BASELINE_H

#include "executor.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cb_baseline {
    const char *name;
    const char *summary;
    /* The kernel (in cb_kernels) a kernel loop calls; NULL for the others. */
    const char *kernel;
    /* Context switches one task makes (switch baselines), else 0. */
    unsigned switches_per_task;
    /* Do the bare operation tasks times. Returns 0, or -1 with err set. */
    int (*run)(const struct cb_baseline *b, unsigned tasks,
               const struct cb_params *params, struct cb_error *err);
};

extern const struct cb_baseline cb_baselines[];
extern const size_t cb_baseline_count;

#ifdef __cplusplus
}
#endif

#endif
