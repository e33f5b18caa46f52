/*
 * What both event-loop modes (async, io_uring) must do, checked the same
 * way for each: a test program includes this and calls these with its
 * mode's name (tests/test_async.c, tests/test_io_uring.c).
 */
#ifndef CB_TEST_LOOP_CHECKS_H
#define CB_TEST_LOOP_CHECKS_H

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { LOOP_MAX_T = 16 };

static inline const struct cb_mode *loop_mode(const char *name)
{
    const struct cb_mode *m = cb_mode_find(name);
    assert_non_null(m);
    return m;
}

static inline struct cb_job sleep_job(unsigned tasks, unsigned workers,
                                      unsigned io_ms)
{
    return (struct cb_job){.kernel = find_kernel("io_sleep"),
                           .params = {.io_ms = io_ms},
                           .tasks = tasks, .workers = workers,
                           .timeout_ms = 30000};
}

/* The child of check_one_thread: arg is the mode's name. */
static inline void loop_on_one_thread(void *arg, int fd)
{
    const char *name = arg;
    struct cb_job job = sleep_job(8, 8, 50);
    struct cb_task_result results[8];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    /* The limit bites: a mode that needs a thread fails. */
    if (run_batches(cb_mode_find("thread"), &job, 1, results, &st, &err) == 0) {
        dprintf(fd, "thread mode ran without a thread\n");
        _exit(1);
    }
    if (run_batches(loop_mode(name), &job, 1, results, &st, &err) != 0) {
        dprintf(fd, "%s: %s\n", name, err.msg);
        _exit(1);
    }
    /* valgrind runs one thread at a time: overlap cannot show there. */
    if (!getenv("CB_SERIALISED") &&
        (st.peak_running != 8 || !(st.wall_s < 8 * 0.050 / 2))) {
        dprintf(fd, "8 x 50 ms took %.1f ms, peak %u\n", st.wall_s * 1e3,
                st.peak_running);
        _exit(1);
    }
}

/*
 * T = W = 8 waits of 50 ms in a child that may not create a thread or a
 * process (RLIMIT_NPROC of 1, as a user other than root): the mode still
 * runs them all at once, so it used the calling thread alone.
 */
static inline void check_one_thread(const char *name)
{
    char out[256];
    run_with_nproc(1, loop_on_one_thread, (void *)name, out, sizeof out);
}

/*
 * W = 3 of T = 9, two batches of one executor: three slots, each used by
 * three tasks one after another, tasks entering in index order; every
 * value is exactly the task's own interval, the time it waited, and at
 * least the wait.
 */
static inline void check_slots_are_a_semaphore(const char *name)
{
    struct cb_job job = sleep_job(9, 3, 20);
    struct cb_task_result r[9];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(loop_mode(name), &job, 2, r, &st, &err) != 0)
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
        assert_true(r[i].end_ns - r[i].start_ns >= 20 * 1000000LL);
        assert_int_equal(r[i].digest,
                         cb_kernel_value_digest(
                             i, (uint64_t)(r[i].end_ns - r[i].start_ns)));
    }
    for (unsigned s = 0; s < 3; s++)
        assert_int_equal(per_slot[s], 3);
    assert_int_equal(st.peak_running, 3);
}

/* A computing kernel that says which thread ran each task. */
static pid_t loop_ran_on[LOOP_MAX_T];

static inline uint64_t where_run(const struct concbench_task *t)
{
    loop_ran_on[t->index] = gettid();
    return 0;
}

static inline int where_check(uint64_t value, const struct concbench_task *t,
                              char *why, size_t len)
{
    (void)t;
    snprintf(why, len, "expected 0, got %llu", (unsigned long long)value);
    return value == 0;
}

/* Computing tasks run inline, in the calling thread, one at a time. */
static inline void check_inline_tasks(const char *name)
{
    static const struct cb_kernel where = {
        .name = "where",
        .summary = "records its thread",
        .run = where_run,
        .check = where_check,
    };
    memset(loop_ran_on, 0, sizeof loop_ran_on);
    struct cb_job job = {.kernel = &where, .tasks = 6, .workers = 3,
                         .timeout_ms = 30000};
    struct cb_task_result r[6];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(loop_mode(name), &job, 1, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(loop_ran_on[i], gettid());
        assert_int_equal(r[i].worker, 0);
    }
    assert_int_equal(st.peak_running, 1);
}

/*
 * Waits that outlast the batch's timeout fail it, naming the first task in
 * flight and how many more; the executor can then be stopped.
 */
static inline void check_timeout(const char *name)
{
    struct cb_job job = sleep_job(4, 2, 5000);
    job.timeout_ms = 200;
    struct cb_task_result r[4];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(loop_mode(name), &job, 1, r, &st, &err);
    if (rc != -1 ||
        !strstr(err.msg, "task 0 (and 1 more) still running after 200 ms: "
                         "timed out"))
        fail_msg("rc %d, error '%s'", rc, err.msg);
}

/* A task's usage is the loop's spent on it: never negative, some in all. */
static inline void check_usage_is_charged(const char *name)
{
    struct cb_job job = sleep_job(8, 4, 10);
    struct cb_task_result r[8];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    if (run_batches(loop_mode(name), &job, 1, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    int64_t cpu = 0;
    for (unsigned i = 0; i < 8; i++) {
        assert_true(r[i].cpu_ns >= 0 && r[i].minflt >= 0 &&
                    r[i].nvcsw >= 0 && r[i].nivcsw >= 0);
        cpu += r[i].cpu_ns;
    }
    assert_true(cpu > 0);
}

#endif
