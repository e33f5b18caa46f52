/*
 * Every mode runs every task of a batch exactly once, in a worker slot that
 * exists, with the right digest; at most W tasks run at once; and the
 * concurrent modes really overlap their tasks.
 */
#include "role.h"
#include "count_kernel.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cb_job job_of(const struct cb_kernel *k, unsigned tasks,
                            unsigned workers, unsigned io_ms)
{
    return (struct cb_job){.kernel = k, .params = {.io_ms = io_ms},
                           .tasks = tasks, .workers = workers,
                           .timeout_ms = 30000};
}

/* Each (T, W) shape, several batches on one executor: every task once each. */
/*
 * An executor holds CB_MAX_MODE_OPTIONS resolved options, and a suite case
 * as many given: a mode that lists more would write past both.
 */
static void test_no_mode_has_more_options_than_an_executor_holds(void **state)
{
    (void)state;
    for (size_t m = 0; m < cb_mode_count; m++) {
        size_t n = 0;
        while (cb_modes[m]->options && cb_modes[m]->options[n])
            n++;
        if (n > CB_MAX_MODE_OPTIONS)
            fail_msg("%s lists %zu options, more than CB_MAX_MODE_OPTIONS",
                     cb_modes[m]->name, n);
    }
}

static void test_every_task_once(void **state)
{
    (void)state;
    static const unsigned shapes[][2] = {{7, 3}, {1, 1}, {5, 8}, {16, 16},
                                         {CB_COUNT_MAX_TASKS, 4}};
    for (size_t m = 0; m < cb_mode_count; m++) {
        const struct cb_mode *mode = cb_modes[m];
        /*
         * A fresh program image has neither this test's count kernel nor
         * the memory it counts in: test_spawn.c checks those modes by the
         * processes they start instead.
         */
        if (mode->role)
            continue;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            unsigned T = shapes[s][0];
            unsigned W = mode->single_worker ? 1 : shapes[s][1];
            const unsigned batches = 3;
            memset((void *)cb_count_runs, 0,
                   CB_COUNT_MAX_TASKS * sizeof *cb_count_runs);
            struct cb_job job = job_of(&cb_count_kernel, T, W, 1);
            struct cb_task_result results[CB_COUNT_MAX_TASKS];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            int rc = run_batches(mode, &job, batches, results, &st, &err);
            if (rc != 0 && unavailable_here(mode, &err))
                break;
            if (rc != 0)
                fail_msg("%s T=%u W=%u: %s", mode->name, T, W, err.msg);
            for (unsigned i = 0; i < T; i++) {
                if (cb_count_runs[i] != batches)
                    fail_msg("%s T=%u W=%u: task %u ran %u times, not %u",
                             mode->name, T, W, i, cb_count_runs[i], batches);
                assert_int_equal(results[i].task, i);
                assert_in_range(results[i].worker, 0, W - 1);
            }
            for (unsigned i = T; i < CB_COUNT_MAX_TASKS; i++)
                assert_int_equal(cb_count_runs[i], 0);
            assert_no_children();
        }
    }
}

/* The real kernels give the right digests through every mode. */
static void test_real_kernels_every_mode(void **state)
{
    (void)state;
    start_fixtures(cb_kernels, cb_kernel_count, 5);
    for (size_t m = 0; m < cb_mode_count; m++) {
        for (size_t k = 0; k < cb_kernel_count; k++) {
            struct cb_job job = job_of(cb_kernels[k], 3, 2, 5);
            cb_fixture_params(cb_kernels[k], &job.params);
            struct cb_task_result results[3];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            int rc = run_batches(cb_modes[m], &job, 1, results, &st, &err);
            if (rc != 0 && unavailable_here(cb_modes[m], &err))
                break;
            if (rc != 0)
                fail_msg("%s %s: %s", cb_kernels[k]->name, cb_modes[m]->name,
                         err.msg);
            for (unsigned i = 0; i < 3; i++) {
                char why[128];
                assert_true(cb_kernel_check(cb_kernels[k], i,
                                            results[i].digest, &job.params,
                                            why, sizeof why));
            }
            assert_true(st.cpu_s >= 0 && st.wall_s > 0);
        }
    }
    cb_fixtures_stop();
    assert_no_children();
}

/*
 * T = W = 8 io_sleep tasks of 50 ms overlap: the batch ends well before
 * 2 x 50 ms (serially it would take 400 ms) and all 8 ran at once.
 */
static void test_concurrency_is_real(void **state)
{
    (void)state;
    /*
     * valgrind runs one thread at a time: under it (CB_SERIALISED, set by
     * the valgrind test setup) the batches run but cannot overlap. Under a
     * sanitizer (CB_SLOW_EXEC, set by the sanitizer build) a new program
     * image sets up the sanitizer's runtime first, some 10 ms: spawn's
     * eight starts, on a few cores, need not fit in 50 ms; and a fork of
     * an instrumented process copies its shadow memory's page tables, so
     * the tasks are longer there (eight forks took more than 50 ms on a
     * loaded 2-CPU machine).
     */
    bool serialised = getenv("CB_SERIALISED") != NULL;
    unsigned ms = getenv("CB_SLOW_EXEC") ? 200 : 50;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const struct cb_mode *mode = cb_modes[m];
        if (mode->single_worker)
            continue;
        struct cb_job job = job_of(find_kernel("io_sleep"), 8, 8, ms);
        struct cb_task_result results[8];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        int rc = run_batches(mode, &job, 1, results, &st, &err);
        if (rc != 0 && unavailable_here(mode, &err))
            continue;
        if (rc != 0)
            fail_msg("%s: %s", mode->name, err.msg);
        if (serialised || slow_task_start(mode))
            continue;
        if (!(st.wall_s < 2 * ms / 1e3) || st.peak_running != 8)
            fail_msg("%s: 8 x %u ms took %.1f ms, peak %u running",
                     mode->name, ms, st.wall_s * 1e3, st.peak_running);
        assert_true(st.wall_s >= ms / 1e3);
    }
}

/* With W = 3 of T = 9 sleeping tasks, exactly 3 run at once, never more. */
static void test_at_most_w(void **state)
{
    (void)state;
    bool serialised = getenv("CB_SERIALISED") != NULL;
    for (size_t m = 0; m < cb_mode_count; m++) {
        const struct cb_mode *mode = cb_modes[m];
        bool bound_only = serialised || slow_task_start(mode);
        unsigned W = mode->single_worker ? 1 : 3;
        struct cb_job job = job_of(find_kernel("io_sleep"), 9, W, 20);
        struct cb_task_result results[9];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        int rc = run_batches(mode, &job, 1, results, &st, &err);
        if (rc != 0 && unavailable_here(mode, &err))
            continue;
        if (rc != 0)
            fail_msg("%s: %s", mode->name, err.msg);
        /*
         * Under valgrind (CB_SERIALISED) starting a process (a fork or a
         * posix_spawn of valgrind itself) can take longer than a 20 ms
         * task, and so can a spawn under a sanitizer (CB_SLOW_EXEC), so
         * the tasks need not overlap: only the bound holds.
         */
        if (bound_only ? st.peak_running > W : st.peak_running != W)
            fail_msg("%s: W=%u but peak %u running", mode->name, W,
                     st.peak_running);
        assert_true(st.wall_s >= 9 / W * 0.020);
    }
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_mode_has_more_options_than_an_executor_holds),
        cmocka_unit_test(test_every_task_once),
        cmocka_unit_test(test_real_kernels_every_mode),
        cmocka_unit_test(test_concurrency_is_real),
        cmocka_unit_test(test_at_most_w),
    };
    return cmocka_run_group_tests(tests, cb_count_setup, NULL);
}
