/*
 * The async mode runs a batch on the calling thread alone: T io_sleep tasks
 * wait concurrently as timers without any other thread or process, at most
 * W at once in W slots; computing tasks run inline on the calling thread;
 * a timer task's value is the time it waited. No timing is asserted but
 * "well under the serial time", as in test_modes.
 */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { MAX_T = 16 };

static const struct cb_mode *async_mode(void)
{
    const struct cb_mode *m = cb_mode_find("async");
    assert_non_null(m);
    return m;
}

static struct cb_job sleep_job(unsigned tasks, unsigned workers,
                               unsigned io_ms)
{
    const struct cb_kernel *k = cb_kernel_find("io_sleep");
    assert_non_null(k);
    return (struct cb_job){.kernel = k, .params = {.io_ms = io_ms},
                           .tasks = tasks, .workers = workers,
                           .timeout_ms = 30000};
}

/*
 * T = W = 8 sleeps of 50 ms in a child that may not create a thread or a
 * process (RLIMIT_NPROC of 1, as a user other than root): async still runs
 * them all at once, so it used the calling thread alone. Otherwise it
 * says why and exits 1.
 */
static void run_on_one_thread(void *arg, int fd)
{
    (void)arg;
    struct cb_job job = sleep_job(8, 8, 50);
    struct cb_task_result results[8];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    /* The limit bites: a mode that needs a thread fails. */
    if (run_batches(cb_mode_find("thread"), &job, 1, results, &st, &err) == 0) {
        dprintf(fd, "thread mode ran without a thread\n");
        _exit(1);
    }
    if (run_batches(async_mode(), &job, 1, results, &st, &err) != 0) {
        dprintf(fd, "async: %s\n", err.msg);
        _exit(1);
    }
    if (!getenv("CB_SERIALISED") &&
        (st.peak_running != 8 || !(st.wall_s < 8 * 0.050 / 2))) {
        dprintf(fd, "8 x 50 ms took %.1f ms, peak %u\n", st.wall_s * 1e3,
                st.peak_running);
        _exit(1);
    }
}

static void test_timers_overlap_on_one_thread(void **state)
{
    (void)state;
    char out[256];
    run_with_nproc(1, run_on_one_thread, NULL, out, sizeof out);
}

/*
 * W = 3 of T = 9: three slots, each used by three tasks one after another,
 * tasks entering in index order; every value is exactly the task's own
 * interval, the time it waited.
 */
static void test_slots_are_a_semaphore(void **state)
{
    (void)state;
    struct cb_job job = sleep_job(9, 3, 20);
    struct cb_task_result r[9];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(async_mode(), &job, 2, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    unsigned per_slot[3] = {0};
    for (unsigned i = 0; i < 9; i++) {
        assert_in_range(r[i].worker, 0, 2);
        per_slot[r[i].worker]++;
        if (i > 0)
            assert_true(r[i - 1].start_ns <= r[i].start_ns);
        for (unsigned j = 0; j < i; j++)
            if (r[j].worker == r[i].worker)
                assert_true(r[j].end_ns <= r[i].start_ns);
        assert_int_equal(r[i].digest,
                         cb_kernel_value_digest(
                             i, (uint64_t)(r[i].end_ns - r[i].start_ns)));
    }
    for (unsigned s = 0; s < 3; s++)
        assert_int_equal(per_slot[s], 3);
    assert_int_equal(st.peak_running, 3);
}

/* A computing kernel that says which thread ran each task. */
static pid_t ran_on[MAX_T];

static uint64_t where_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    ran_on[task] = gettid();
    return 0;
}

static int where_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t len)
{
    (void)t;
    snprintf(why, len, "expected 0, got %llu", (unsigned long long)value);
    return value == 0;
}

static const struct cb_kernel where = {
    .name = "where",
    .summary = "records its thread",
    .run = where_run,
    .check = where_check,
};

/* Computing tasks run inline, in the calling thread, one at a time. */
static void test_inline_tasks_on_calling_thread(void **state)
{
    (void)state;
    memset(ran_on, 0, sizeof ran_on);
    struct cb_job job = {.kernel = &where, .tasks = 6, .workers = 3,
                         .timeout_ms = 30000};
    struct cb_task_result r[6];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(async_mode(), &job, 1, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(ran_on[i], gettid());
        assert_int_equal(r[i].worker, 0);
    }
    assert_int_equal(st.peak_running, 1);
}

/*
 * Timers that outlast the timeout fail the batch, naming the first task in
 * flight and how many more; the executor can then be stopped.
 */
static void test_timeout(void **state)
{
    (void)state;
    struct cb_job job = sleep_job(4, 2, 5000);
    job.timeout_ms = 200;
    struct cb_task_result r[4];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(async_mode(), &job, 1, r, &st, &err);
    if (rc != -1 ||
        !strstr(err.msg, "task 0 (and 1 more) still running after 200 ms: "
                         "timed out"))
        fail_msg("rc %d, error '%s'", rc, err.msg);
}

/* A timer task's usage is the loop's spent on it: never negative. */
static void test_usage_is_charged(void **state)
{
    (void)state;
    struct cb_job job = sleep_job(8, 4, 10);
    struct cb_task_result r[8];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(async_mode(), &job, 1, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    int64_t cpu = 0;
    for (unsigned i = 0; i < 8; i++) {
        assert_true(r[i].cpu_ns >= 0 && r[i].minflt >= 0 &&
                    r[i].nvcsw >= 0 && r[i].nivcsw >= 0);
        cpu += r[i].cpu_ns;
    }
    assert_true(cpu > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_overlap_on_one_thread),
        cmocka_unit_test(test_slots_are_a_semaphore),
        cmocka_unit_test(test_inline_tasks_on_calling_thread),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_usage_is_charged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
