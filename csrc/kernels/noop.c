/* noop: return at once, so that a batch measures the strategy's own cost. */
#include "kernels.h"

#include <inttypes.h>
#include <stdio.h>

static uint64_t noop_run(const struct concbench_task *t)
{
    (void)t;
    return 0;
}

static int noop_check(uint64_t value, const struct concbench_task *t,
                      char *why, size_t why_len)
{
    (void)t;
    if (value == 0)
        return true;
    snprintf(why, why_len, "value %" PRIu64 ", expected 0", value);
    return false;
}

const struct cb_kernel cb_kernel_noop = {
    .name = "noop",
    .summary = "return at once (the strategy's own cost per task)",
    .run = noop_run,
    .check = noop_check,
};
