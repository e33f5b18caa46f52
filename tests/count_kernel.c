/* A kernel that counts its runs (count_kernel.h). */
#include "count_kernel.h"

#include <stdio.h>
#include <sys/mman.h>

_Atomic unsigned *cb_count_runs;

static uint64_t count_run(const struct concbench_task *t)
{
    atomic_fetch_add(&cb_count_runs[t->index], 1);
    return 7;
}

static int count_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t len)
{
    (void)t;
    snprintf(why, len, "expected 7, got %llu", (unsigned long long)value);
    return value == 7;
}

const struct cb_kernel cb_count_kernel = {
    .name = "count",
    .summary = "counts its runs",
    .run = count_run,
    .check = count_check,
};

int cb_count_setup(void **state)
{
    (void)state;
    cb_count_runs = mmap(NULL, CB_COUNT_MAX_TASKS * sizeof *cb_count_runs,
                         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                         -1, 0);
    return cb_count_runs == MAP_FAILED ? -1 : 0;
}
