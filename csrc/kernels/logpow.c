/*
 * logpow: a running sum of log(i + 1), then of pow(i, 1.1), for i < 500000,
 * the second seed note's CPU-bound task. Never built with -ffast-math: the
 * check value depends on IEEE-exact log and pow.
 */
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint64_t logpow_run(const struct concbench_task *t)
{
    enum { N = 500000, EVERY = CB_CHECKPOINT_EVERY };
    /*
     * One running sum in the original's order: all logs, then all powers.
     * The loops are cut into runs of EVERY iterations with a checkpoint
     * between them; the additions stay the same and in the same order.
     */
    double sum = 0.0;
    for (int i = 0; i < N;) {
        int stop = N - i > EVERY ? i + EVERY : N;
        for (; i < stop; i++)
            sum += log((double)i + 1.0);
        concbench_checkpoint(t);
    }
    for (int i = 0; i < N;) {
        int stop = N - i > EVERY ? i + EVERY : N;
        for (; i < stop; i++)
            sum += pow((double)i, 1.1);
        concbench_checkpoint(t);
    }
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    return bits;
}

static int logpow_check(uint64_t value, const struct concbench_task *t,
                        char *why, size_t why_len)
{
    (void)t;
    double sum;
    memcpy(&sum, &value, sizeof sum);
    if (fabs(sum - CB_LOGPOW_SUM) <= CB_LOGPOW_RTOL * CB_LOGPOW_SUM)
        return true;
    snprintf(why, why_len, "sum is %.17g, expected %.17g", sum,
             CB_LOGPOW_SUM);
    return false;
}

const struct cb_kernel cb_kernel_logpow = {
    .name = "logpow",
    .summary = "sum of log(i+1) and pow(i, 1.1) for i < 500000 (CPU-bound)",
    .run = logpow_run,
    .check = logpow_check,
};
