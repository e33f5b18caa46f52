/*
 * cb_batch_run's checks and figures, driven by a fake mode whose results are
 * made to order: a lost result, a mixed-up one, an impossible worker, a task
 * outside its batch and a wrong digest are each caught and named; the
 * figures are the sums and means the counters are built from.
 */
#include "testlib.h"

#include <string.h>

enum fake_flaw { NONE, LOST, SWAPPED, BAD_WORKER, OUTSIDE, WRONG, FAILS };
static enum fake_flaw flaw;

static const struct cb_kernel *noop(void)
{
    return cb_kernel_find("noop");
}

/*
 * Task i runs in worker i % W, from now + i us to now + i us + 10 us, with
 * 1000 ns of CPU, 2 faults, 3 voluntary and 4 involuntary switches.
 */
static int fake_run(struct cb_executor *ex, struct cb_task_result *results,
                    struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    if (flaw == FAILS) {
        cb_error_set(err, "task 0: the fake mode failed");
        return -1;
    }
    int64_t t = cb_now_ns();
    for (unsigned i = 0; i < job->tasks; i++) {
        results[i] = (struct cb_task_result){
            .task = i, .worker = (int)(i % job->workers), .filled = 1,
            .digest = cb_kernel_digest(job->kernel, i, &job->params,
                                       &(const struct cb_worker){0}),
            .start_ns = t + i * 1000, .end_ns = t + i * 1000 + 10000,
            .cpu_ns = 1000, .minflt = 2, .nvcsw = 3, .nivcsw = 4};
    }
    /* Let the last task end before the batch does. */
    while (cb_now_ns() < t + (int64_t)job->tasks * 1000 + 10000)
        ;
    switch (flaw) {
    case LOST: results[2].filled = 0; break;
    case SWAPPED: results[2].task = 3; break;
    case BAD_WORKER: results[2].worker = (int)job->workers; break;
    case OUTSIDE: results[2].start_ns = t - 1000000000; break;
    case WRONG: results[2].digest ^= 1; break;
    default: break;
    }
    return 0;
}

static const struct cb_mode fake = {.name = "fake", .run = fake_run};

static int run_with(enum fake_flaw f, struct cb_batch_stats *st,
                    struct cb_error *err)
{
    flaw = f;
    struct cb_job job = {.kernel = noop(), .tasks = 5, .workers = 2,
                         .timeout_ms = 1000};
    struct cb_task_result results[5];
    memset(err, 0, sizeof *err);
    struct cb_executor *ex;
    assert_int_equal(cb_executor_start(&fake, &job, NULL, &ex, err), 0);
    int rc = cb_batch_run(ex, results, st, err);
    cb_executor_stop(ex);
    return rc;
}

static void test_figures(void **state)
{
    (void)state;
    struct cb_batch_stats st;
    struct cb_error err;
    assert_int_equal(run_with(NONE, &st, &err), 0);
    assert_true(st.wall_s >= 15e-6);
    assert_true(st.cpu_s > 5 * 1000e-9 * 0.999 && st.cpu_s < 5 * 1000e-9 * 1.001);
    assert_true(st.task_wall_s > 50e-6 * 0.999 && st.task_wall_s < 50e-6 * 1.001);
    assert_true(st.minflt == 10 && st.nvcsw == 15 && st.nivcsw == 20);
    /* Tasks overlap for 10 us and start 1 us apart: up to 5 at once. */
    assert_int_equal(st.peak_running, 5);
    assert_true(st.start_lag_s >= 0 && st.start_lag_s < 1.0);
}

static void expect_error(enum fake_flaw f, const char *text)
{
    struct cb_batch_stats st;
    struct cb_error err;
    assert_int_equal(run_with(f, &st, &err), -1);
    if (!strstr(err.msg, text))
        fail_msg("expected '%s' in '%s'", text, err.msg);
}

static void test_flaws_are_caught(void **state)
{
    (void)state;
    expect_error(LOST, "task 2: no result");
    expect_error(SWAPPED, "task 2: result came back as task 3");
    expect_error(BAD_WORKER, "task 2: ran in worker 2 of 2");
    expect_error(OUTSIDE, "task 2: ran outside its batch");
    expect_error(WRONG, "task 2: wrong digest");
    expect_error(FAILS, "task 0: the fake mode failed");
}

static void test_peak_running(void **state)
{
    (void)state;
    /* [0,10) [5,15) [10,20) [12,13): at most 3 at once (5..10 and 12..13). */
    struct cb_task_result r[4] = {
        {.start_ns = 0, .end_ns = 10}, {.start_ns = 5, .end_ns = 15},
        {.start_ns = 10, .end_ns = 20}, {.start_ns = 12, .end_ns = 13}};
    assert_int_equal(cb_peak_running(r, 4), 3);
    /* Back to back: one ends as the next starts, never two at once. */
    struct cb_task_result s[3] = {{.start_ns = 0, .end_ns = 5},
                                  {.start_ns = 5, .end_ns = 9},
                                  {.start_ns = 9, .end_ns = 12}};
    assert_int_equal(cb_peak_running(s, 3), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_flaws_are_caught),
        cmocka_unit_test(test_peak_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
