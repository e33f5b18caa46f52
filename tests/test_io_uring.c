/*
 * The io_uring mode runs a batch on the calling thread and one ring: T
 * io_sleep tasks wait concurrently as timeout requests without any other
 * thread or process, at most W at once in W slots, each value the time it
 * waited; net_echo's requests come back with every task's own answer, at
 * T = W = 256 too, leaving no socket open; computing tasks run inline on
 * the calling thread; and where io_uring_setup is refused (a seccomp
 * filter, as a container's profile or kernel.io_uring_disabled would, or a
 * kernel without it) the mode's start fails with one line saying so while
 * async, in the same process, still runs. Where this machine makes no
 * ring at all, only that last test runs. No timing is asserted but "well
 * under the serial time", as in test_modes.
 */
#include "refuse_io_uring.h"
#include "loop_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const struct cb_mode *uring_mode(void)
{
    return loop_mode("io_uring");
}

/* valgrind runs one thread at a time: overlap cannot show there. */
static bool serialised(void)
{
    return getenv("CB_SERIALISED") != NULL;
}

/*
 * Whether this machine lets a ring be made, and if not why not: the tests
 * of what the mode does need one, the test of its refusal does not.
 */
static bool ring_here(char *why, size_t len)
{
    struct cb_job job = sleep_job(1, 1, 1);
    struct cb_executor *ex = NULL;
    struct cb_error err = {{0}};
    if (cb_executor_start(uring_mode(), &job, NULL, &ex, &err) < 0) {
        snprintf(why, len, "%s", err.msg);
        return false;
    }
    cb_executor_stop(ex);
    return true;
}

static void test_timers_overlap_on_one_thread(void **state)
{
    (void)state;
    check_one_thread("io_uring");
}

/* Twice on one ring (loop_checks.h). */
static void test_slots_are_a_semaphore(void **state)
{
    (void)state;
    check_slots_are_a_semaphore("io_uring");
}

/*
 * T = W = 256 waits of 20 ms at once, five batches on one ring: each value
 * (the time from submission to the completion's reaping) is at least the
 * wait, also for the timeouts that expire while the loop is reaping
 * others (cb_batch_run checks every one).
 */
static void test_many_timers_none_short(void **state)
{
    (void)state;
    enum { N = 256 };
    struct cb_job job = sleep_job(N, N, 20);
    struct cb_task_result *r = calloc(N, sizeof *r);
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    assert_non_null(r);
    if (run_batches(uring_mode(), &job, 5, r, &st, &err) != 0)
        fail_msg("%s", err.msg);
    for (unsigned i = 0; i < N; i++)
        assert_true(r[i].end_ns - r[i].start_ns >= 20 * 1000000LL);
    free(r);
}

static void test_inline_tasks_on_calling_thread(void **state)
{
    (void)state;
    check_inline_tasks("io_uring");
}

/* Nothing is left open after a batch that timed out. */
static void test_timeout(void **state)
{
    (void)state;
    unsigned fds = open_fds();
    check_timeout("io_uring");
    assert_int_equal(open_fds(), fds);
}

static void test_usage_is_charged(void **state)
{
    (void)state;
    check_usage_is_charged("io_uring");
}

/*
 * net_echo's requests as connect, send and receive on the ring: T = 40 in
 * W = 8 slots (each slot's tasks one after another, in task order), then
 * T = W = 256 at once, twice each on one ring; every answer is the task's
 * own (cb_batch_run checks each digest), and no socket is left open.
 */
static void test_requests_get_their_answers(void **state)
{
    (void)state;
    unsigned fds = open_fds();
    const struct cb_kernel *k = find_kernel("net_echo");
    start_fixtures(&k, 1, 100);
    static const unsigned shapes[][2] = {{40, 8}, {256, 256}};
    for (size_t s = 0; s < 2; s++) {
        unsigned T = shapes[s][0], W = shapes[s][1];
        struct cb_job job = {.kernel = k, .params = {.io_ms = 100},
                             .tasks = T, .workers = W, .timeout_ms = 30000};
        cb_fixture_params(k, &job.params);
        struct cb_task_result *r = calloc(T, sizeof *r);
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        assert_non_null(r);
        if (run_batches(uring_mode(), &job, 2, r, &st, &err) != 0)
            fail_msg("T = %u, W = %u: %s", T, W, err.msg);
        for (unsigned i = 0; i < T; i++) {
            assert_true(r[i].end_ns - r[i].start_ns >= 100 * 1000000LL);
            for (unsigned j = 0; j < i; j++)
                if (r[j].worker == r[i].worker)
                    assert_true(r[j].end_ns <= r[i].start_ns);
        }
        /* Some of the 256 may start after the first end, on a slow day. */
        if (!serialised() && st.peak_running < (W == 8 ? 8 : 200))
            fail_msg("T = %u, W = %u: at most %u at once", T, W,
                     st.peak_running);
        free(r);
    }
    cb_fixtures_stop();
    assert_no_children();
    assert_int_equal(open_fds(), fds);
}

/*
 * In a child where io_uring_setup fails with err (*arg): the mode's start
 * fails with one line that says io_uring is not available and why; async,
 * in the same process, runs the same batch. Writes "ok" or what went
 * wrong to fd.
 */
static void refused(void *arg, int fd)
{
    int e = *(const int *)arg;
    if (refuse_io_uring(e) != 0) {
        dprintf(fd, "seccomp: %s\n", strerror(errno));
        _exit(1);
    }
    struct cb_job job = sleep_job(4, 4, 1);
    struct cb_task_result r[4];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    char want[160];
    snprintf(want, sizeof want,
             "io_uring: not available here: io_uring_setup: %s",
             strerror(e));
    if (run_batches(uring_mode(), &job, 1, r, &st, &err) != -1 ||
        strncmp(err.msg, want, strlen(want)) != 0 || strchr(err.msg, '\n')) {
        dprintf(fd, "io_uring: '%s', not '%s...'\n", err.msg, want);
        _exit(1);
    }
    if (run_batches(cb_mode_find("async"), &job, 1, r, &st, &err) != 0) {
        dprintf(fd, "async: %s\n", err.msg);
        _exit(1);
    }
    dprintf(fd, "ok: %s\n", want);
}

static void test_refused_is_one_line(void **state)
{
    (void)state;
    static int errs[] = {EPERM, ENOSYS};
    for (size_t i = 0; i < 2; i++) {
        char out[512];
        run_with_nproc(64, refused, &errs[i], out, sizeof out);
        if (strncmp(out, "ok: ", 4) != 0)
            fail_msg("%s", out);
    }
}

int main(void)
{
    /* CB_TEST_FILTER=test_name runs one test (cmocka's pattern). */
    if (getenv("CB_TEST_FILTER"))
        cmocka_set_test_filter(getenv("CB_TEST_FILTER"));
    const struct CMUnitTest with_a_ring[] = {
        cmocka_unit_test(test_timers_overlap_on_one_thread),
        cmocka_unit_test(test_slots_are_a_semaphore),
        cmocka_unit_test(test_many_timers_none_short),
        cmocka_unit_test(test_inline_tasks_on_calling_thread),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_usage_is_charged),
        cmocka_unit_test(test_requests_get_their_answers),
        cmocka_unit_test(test_refused_is_one_line),
    };
    const struct CMUnitTest without[] = {
        cmocka_unit_test(test_refused_is_one_line),
    };
    /*
     * cmocka 1.1's TAP has a skipped test "not ok", which Meson counts as
     * failed: where no ring can be made, only the refusal's test runs, and
     * a comment says why.
     */
    char why[256];
    if (!ring_here(why, sizeof why)) {
        printf("# no ring here, so only the test of a refused ring runs: "
               "%s\n", why);
        return cmocka_run_group_tests(without, NULL, NULL);
    }
    return cmocka_run_group_tests(with_a_ring, NULL, NULL);
}
