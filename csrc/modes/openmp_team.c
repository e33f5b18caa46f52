/* The openmp mode's parallel regions, in a module of their own (openmp_team.h). */
#include "openmp_team.h"

#include <omp.h>

static void form(int threads)
{
#pragma omp parallel num_threads(threads)
    {
        /* Nothing: the team of W threads is what this region makes. */
    }
}

static int run(const struct cb_omp_loop *loop)
{
    int tasks = loop->tasks, skipped = 0;
#pragma omp parallel for num_threads(loop->threads) schedule(dynamic, 1) \
    reduction(+ : skipped)
    for (int t = 0; t < tasks; t++)
        skipped += loop->body(loop->arg, t, omp_get_thread_num());
    return skipped;
}

const struct cb_omp_team cb_omp_team = {
    .abi = CB_OPENMP_TEAM_ABI,
    .form = form,
    .run = run,
};
