/*
 * A C program that uses Google Benchmark only through the gbench shim.
 * test_shim.py runs it and checks the JSON: every number below is chosen so
 * that Google Benchmark's output is exact and known in advance.
 *
 *   shim/manual: 10 iterations of exactly 2 ms of manual time; counters with
 *                each flag; a label.
 *   shim/error:  skips with an error at once.
 *   shim/count:  counts its iterations into a counter.
 */
#include "gbench.h"

#include <stdio.h>

static void manual(cb_gbench_state *state, void *arg)
{
    (void)arg;
    while (cb_gbench_keep_running(state))
        cb_gbench_set_iteration_time(state, 0.002);
    cb_gbench_set_counter(state, "plain", 5, CB_GBENCH_COUNTER_DEFAULT);
    cb_gbench_set_counter(state, "rate", 5, CB_GBENCH_COUNTER_RATE);
    cb_gbench_set_counter(state, "per_iteration", 50,
                          CB_GBENCH_COUNTER_AVG_ITERATIONS);
    cb_gbench_set_counter(state, "invariant", 3,
                          CB_GBENCH_COUNTER_ITERATION_INVARIANT);
    cb_gbench_set_counter(state, "inverse_rate", 4,
                          CB_GBENCH_COUNTER_RATE | CB_GBENCH_COUNTER_INVERT);
    cb_gbench_set_counter(state, "replaced", 1, CB_GBENCH_COUNTER_DEFAULT);
    cb_gbench_set_counter(state, "replaced", 2, CB_GBENCH_COUNTER_DEFAULT);
    cb_gbench_set_label(state, "a label from C");
}

static void error(cb_gbench_state *state, void *arg)
{
    (void)arg;
    cb_gbench_skip_with_error(state, "it broke on purpose");
    while (cb_gbench_keep_running(state))
        ;
}

static void count(cb_gbench_state *state, void *arg)
{
    int *runs = arg;
    while (cb_gbench_keep_running(state))
        (*runs)++;
    cb_gbench_set_counter(state, "loop_ran", *runs, 0);
    cb_gbench_set_counter(state, "iterations_seen",
                          (double)cb_gbench_iterations(state), 0);
}

int main(int argc, char **argv)
{
    static int runs;
    cb_gbench_initialize(&argc, argv);
    if (cb_gbench_report_unrecognized(argc, argv))
        return 2;
    cb_gbench *b = cb_gbench_register("shim/manual", manual, NULL);
    cb_gbench_use_manual_time(b);
    cb_gbench_set_unit(b, CB_GBENCH_MS);
    cb_gbench_set_iterations(b, 10);
    cb_gbench_register("shim/error", error, NULL);
    b = cb_gbench_register("shim/count", count, &runs);
    cb_gbench_set_iterations(b, 7);
    cb_gbench_set_unit(b, CB_GBENCH_US);
    cb_gbench_add_context("shim_key", "shim value");
    size_t ran = cb_gbench_run_specified();
    cb_gbench_shutdown();
    printf("ran %zu\n", ran);
    return 0;
}
