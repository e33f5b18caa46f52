/*
 * A kernel that counts how often each task ran, in memory shared with
 * forked workers, so that a test can check every task ran exactly once
 * in any mode (tests/count_kernel.c; linked into every C test).
 */
#ifndef CB_TEST_COUNT_KERNEL_H
#define CB_TEST_COUNT_KERNEL_H

#include "kernels.h"

#include <stdatomic.h>

/* Tasks a batch of it may have. */
enum { CB_COUNT_MAX_TASKS = 64 };

/* Runs of each task; mapped by cb_count_setup. */
extern _Atomic unsigned *cb_count_runs;

/* "count": adds 1 to its task's runs, and its value is 7. */
extern const struct cb_kernel cb_count_kernel;

/*
 * A cmocka group setup: maps the runs shared, before any pool starts, so
 * that the pools' processes share them too. 0, or -1.
 */
int cb_count_setup(void **state);

#endif
