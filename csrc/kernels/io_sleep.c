/*
 * io_sleep: block --io-ms milliseconds without using the CPU, the seed
 * notes' time.sleep standing in for a request. A pure wait: a mode may time
 * the wait itself (async: a timer per task) instead of calling run.
 */
#include "clock.h"
#include "kernels.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

/* The value is the time actually slept, so the check can prove the sleep. */
static uint64_t io_sleep_run(const struct concbench_task *t)
{
    concbench_block_begin(t);
    int64_t begin = cb_now_ns();
    int64_t end_ns = begin + (int64_t)t->io_ms * 1000000;
    struct timespec until = {
        .tv_sec = end_ns / 1000000000,
        .tv_nsec = end_ns % 1000000000,
    };
    /* An absolute deadline makes a restart after a signal sleep no longer. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
           EINTR)
        ;
    uint64_t slept = (uint64_t)(cb_now_ns() - begin);
    concbench_block_end(t);
    return slept;
}

static int io_sleep_check(uint64_t value, const struct concbench_task *t,
                          char *why, size_t why_len)
{
    uint64_t want = (uint64_t)t->io_ms * 1000000;
    /*
     * No batch outlives the longest timeout, an hour: a larger value is not
     * a sleep time but a digest mixed up with another task's.
     */
    uint64_t most = want + 3600ull * 1000000000;
    if (value >= want && value <= most)
        return true;
    if (value < want)
        snprintf(why, why_len, "slept %" PRIu64 " ns, less than the %u ms "
                 "asked", value, t->io_ms);
    else
        snprintf(why, why_len, "%" PRIu64 " ns is no sleep time", value);
    return false;
}

static int64_t io_sleep_wait_ns(const struct cb_params *params)
{
    return (int64_t)params->io_ms * 1000000;
}

/* What async needs of it: a timer of --io-ms instead of a sleep. */
static const struct cb_kernel_async io_sleep_async = {
    .wait_ns = io_sleep_wait_ns,
};

const struct cb_kernel cb_kernel_io_sleep = {
    .name = "io_sleep",
    .summary = "block --io-ms milliseconds without using the CPU (I/O-bound)",
    .run = io_sleep_run,
    .check = io_sleep_check,
    .async = &io_sleep_async,
};
