/*
 * A task that crashes, exits, hangs or returns a wrong digest fails its
 * batch with an error naming the task and the cause, in every mode that can
 * survive it, and leaves no process or thread behind. fork and
 * pthread_create failing with EAGAIN are clear errors too.
 */
#include "child.h"
#include "role.h"
#include "testlib.h"

#include <signal.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const struct cb_kernel *fault(const char *name)
{
    return find_kernel(name);
}

/* Run 3 tasks of kernel (task 1 misbehaves) and expect both texts in the error. */
static void expect_failure(const char *mode_name, const char *kernel,
                           const char *text1, const char *text2)
{
    const struct cb_mode *mode = cb_mode_find(mode_name);
    assert_non_null(mode);
    struct cb_job job = {.kernel = fault(kernel), .tasks = 3,
                         .workers = mode->single_worker ? 1 : 3,
                         .timeout_ms = 300};
    struct cb_task_result results[3];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(mode, &job, 1, results, &st, &err);
    if (rc != -1 || !strstr(err.msg, text1) || !strstr(err.msg, text2))
        fail_msg("%s %s: rc %d, error '%s'", mode_name, kernel, rc, err.msg);
    assert_no_children();
    /* The test's own thread, and a sanitizer's (extra_threads). */
    unsigned threads = threads_settled(1 + extra_threads());
    if (threads > 1 + extra_threads())
        fail_msg("%s %s: %u threads left", mode_name, kernel, threads);
}

static void test_process_modes(void **state)
{
    (void)state;
    static const char *const modes[] = {"process", "process_pool", "spawn",
                                        "forkserver"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        expect_failure(modes[i], "fault_crash", "task 1",
                       "killed by signal 11 (Segmentation fault)");
        expect_failure(modes[i], "fault_exit", "task 1",
                       "exited with status 3");
        expect_failure(modes[i], "fault_hang", "task 1",
                       "still running after 300 ms: timed out");
        expect_failure(modes[i], "fault_wrong", "task 1",
                       "wrong digest: value 42, expected 0");
    }
}

/* A crash in a thread takes the whole process: only hang and wrong apply. */
static void test_thread_modes(void **state)
{
    (void)state;
    static const char *const modes[] = {"thread", "thread_pool"};
    for (size_t i = 0; i < 2; i++) {
        expect_failure(modes[i], "fault_hang", "task 1",
                       "still running after 300 ms: timed out");
        expect_failure(modes[i], "fault_wrong", "task 1",
                       "wrong digest: value 42, expected 0");
    }
    expect_failure("serial", "fault_wrong", "task 1", "wrong digest");
}

/* The other tasks of a faulty kernel behave: a batch without task 1 passes. */
static void test_fault_kernels_are_noop_elsewhere(void **state)
{
    (void)state;
    for (size_t k = 0; k < cb_fault_kernel_count; k++) {
        struct cb_job job = {.kernel = &cb_fault_kernels[k], .tasks = 1,
                             .workers = 1, .timeout_ms = 1000};
        struct cb_task_result r[1];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        if (run_batches(cb_mode_find("process"), &job, 1, r, &st, &err) != 0)
            fail_msg("%s task 0: %s", cb_fault_kernels[k].name, err.msg);
    }
}

/*
 * In a child limited to one process (RLIMIT_NPROC counts threads too), run
 * a batch of each mode but serial, and send back the errors.
 */
static void run_without_processes(void *arg, int fd)
{
    (void)arg;
    const struct cb_kernel *noop = cb_kernel_find("noop");
    for (size_t m = 0; m < cb_mode_count; m++) {
        if (cb_modes[m]->single_worker)
            continue;
        struct cb_job job = {.kernel = noop, .tasks = 2, .workers = 2,
                             .timeout_ms = 5000};
        struct cb_task_result r[2];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        int rc = run_batches(cb_modes[m], &job, 1, r, &st, &err);
        dprintf(fd, "%s %d %s\n", cb_modes[m]->name, rc, err.msg);
    }
}

/* A task of 2 ms of CPU with no cancellation point, counting its starts. */
static atomic_uint spin_starts;

static uint64_t spin_run(const struct concbench_task *t)
{
    (void)t;
    atomic_fetch_add(&spin_starts, 1);
    int64_t until = cb_now_ns() + 2000000;
    while (cb_now_ns() < until)
        ;
    return 0;
}

static int spin_check(uint64_t value, const struct concbench_task *t,
                      char *why, size_t len)
{
    (void)t;
    snprintf(why, len, "value %llu", (unsigned long long)value);
    return value == 0;
}

/*
 * After a timeout a pool's workers finish the task they run and take no
 * other, so that stop can join them all: none is left computing the rest of
 * the batch (it cannot be cancelled) while the next benchmark is timed.
 */
static void test_timed_out_pool_takes_no_more_tasks(void **state)
{
    (void)state;
    static const struct cb_kernel spin = {
        .name = "spin",
        .summary = "2 ms of CPU",
        .run = spin_run,
        .check = spin_check,
    };
    struct cb_job job = {.kernel = &spin, .tasks = 4096, .workers = 2,
                         .timeout_ms = 100};
    static struct cb_task_result results[4096];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(cb_mode_find("thread_pool"), &job, 1, results, &st,
                         &err);
    if (rc != -1 || !strstr(err.msg, "timed out"))
        fail_msg("rc %d, error '%s'", rc, err.msg);
    unsigned started = atomic_load(&spin_starts);
    usleep(100000);
    assert_int_equal(atomic_load(&spin_starts), started);
    assert_true(started < job.tasks);
    assert_true(threads_settled(1 + extra_threads()) <= 1 + extra_threads());
}

static void test_eagain_is_a_clear_error(void **state)
{
    (void)state;
    char out[2048];
    run_with_nproc(1, run_without_processes, NULL, out, sizeof out);
    static const char *const want[] = {
        "thread -1 task 0: pthread_create: Resource temporarily unavailable",
        "process -1 task 0: fork: Resource temporarily unavailable",
        "thread_pool -1 ",
        "process_pool -1 ",
        "spawn -1 task 0: posix_spawn: Resource temporarily unavailable",
        "forkserver -1 forkserver: posix_spawn: Resource temporarily "
        "unavailable",
        "gil -1 task 0: pthread_create: Resource temporarily unavailable",
        "async 0 ", /* one thread, no process: nothing to create */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i]))
            fail_msg("expected '%s' in:\n%s", want[i], out);
    /* libgomp exits when it cannot create a thread: openmp checks first. */
    if (cb_mode_find("openmp") &&
        !strstr(out, "openmp -1 worker 1: pthread_create: Resource "
                     "temporarily unavailable"))
        fail_msg("expected openmp's pthread_create error in:\n%s", out);
    assert_non_null(strstr(out, "Resource temporarily unavailable"));
    assert_no_children();
}

/* A worker's own exit statuses are named; a task's own are as they are. */
static void test_exit_statuses_are_named(void **state)
{
    (void)state;
    char how[128];
    cb_describe_exit(CB_EXIT_SEND << 8, how, sizeof how);
    assert_string_equal(how, "exited with status 126 (it could not send its "
                             "result)");
    cb_describe_exit(CB_EXIT_ORPHAN << 8, how, sizeof how);
    assert_string_equal(how, "exited with status 127 (its parent died "
                             "before it started)");
    cb_describe_exit(3 << 8, how, sizeof how);
    assert_string_equal(how, "exited with status 3");
    cb_describe_exit(SIGSEGV, how, sizeof how);
    assert_string_equal(how, "killed by signal 11 (Segmentation fault)");
    struct cb_error err;
    assert_int_equal(cb_task_outcome(4, CB_EXIT_SETUP << 8, false, &err), -1);
    assert_string_equal(err.msg, "task 4: worker exited with status 124 (it "
                                 "could not set itself up)");
    assert_int_equal(cb_task_outcome(4, 0, false, &err), -1);
    assert_string_equal(err.msg,
                        "task 4: worker exited without sending a result");
    assert_int_equal(cb_task_outcome(4, 0, true, &err), 0);
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_statuses_are_named),
        cmocka_unit_test(test_process_modes),
        cmocka_unit_test(test_thread_modes),
        cmocka_unit_test(test_fault_kernels_are_noop_elsewhere),
        cmocka_unit_test(test_timed_out_pool_takes_no_more_tasks),
        cmocka_unit_test(test_eagain_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
