/*
 * The spawn and forkserver modes, which run tasks in a fresh image of this
 * very program (cb_role_main, first in main): every task runs exactly once
 * with its right digest; the image finds kernels by name and gets its
 * parameters; a task that crashes, exits, hangs or is wrong fails the batch
 * with the same words as process mode; and no process is ever left behind:
 * not after a failure, not when the server is killed, not when the program
 * that ran the batch is killed, and no fd either.
 *
 * A process left behind is looked for in two ways: as a child of this
 * process (zombie or not), and as any live process running this test's
 * executable, which finds the forkserver's children too (grandchildren of
 * this process).
 */
#include "modes/fresh.h"
#include "role.h"
#include "testlib.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const modes[] = {"spawn", "forkserver"};
enum { N_MODES = sizeof modes / sizeof modes[0], MAX_T = 64 };

static const struct cb_mode *mode_named(const char *name)
{
    const struct cb_mode *m = cb_mode_find(name);
    assert_non_null(m);
    return m;
}

static unsigned long processes_started(const struct cb_mode *mode)
{
    return strcmp(mode->name, "spawn") == 0 ? cb_spawn_processes()
                                            : cb_forkserver_processes();
}

/*
 * Live processes other than this one and except that run this test's
 * executable; with sig, sends it to each of them too.
 */
static unsigned signal_processes_of_this_exe(int sig, pid_t except)
{
    static char self[PATH_MAX];
    if (!self[0])
        assert_true(readlink("/proc/self/exe", self, sizeof self - 1) > 0);
    DIR *d = opendir("/proc");
    assert_non_null(d);
    unsigned n = 0;
    pid_t me = getpid();
    for (struct dirent *e; (e = readdir(d));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == me || pid == except)
            continue;
        char link[64], exe[PATH_MAX];
        snprintf(link, sizeof link, "/proc/%ld/exe", pid);
        ssize_t len = readlink(link, exe, sizeof exe - 1);
        if (len <= 0) /* gone, a zombie or a kernel thread */
            continue;
        exe[len] = '\0';
        if (strcmp(exe, self) != 0)
            continue;
        n++;
        if (sig)
            kill((pid_t)pid, sig);
    }
    closedir(d);
    return n;
}

static unsigned processes_of_this_exe(void)
{
    return signal_processes_of_this_exe(0, 0);
}

static void assert_nothing_left(const char *what)
{
    assert_no_children();
    unsigned n = processes_of_this_exe();
    if (n != 0)
        fail_msg("%s: %u processes of this executable left", what, n);
}

/*
 * Each (T, W) shape, several batches on one executor: each task has its
 * own result, tagged with its index (cb_batch_run rejects a missing one, a
 * mis-indexed one and a wrong digest), and exactly T processes ran per
 * batch, each of which runs one task: so every task ran exactly once. The
 * processes are counted by the modes themselves, spawn as it starts them,
 * forkserver as the server reports each one ended with its own pid; this
 * test's shared-memory counter (test_modes.c) cannot reach a fresh image.
 */
static void test_every_task_once(void **state)
{
    (void)state;
    static const unsigned shapes[][2] = {{7, 3}, {1, 1}, {5, 8}, {16, 16},
                                         {MAX_T, 4}};
    const unsigned batches = 3;
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        assert_non_null(mode->role);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            unsigned T = shapes[s][0], W = shapes[s][1];
            struct cb_job job = {.kernel = find_kernel("noop"), .tasks = T,
                                 .workers = W, .timeout_ms = 30000};
            struct cb_task_result results[MAX_T];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            unsigned long before = processes_started(mode);
            if (run_batches(mode, &job, batches, results, &st, &err) != 0)
                fail_msg("%s T=%u W=%u: %s", mode->name, T, W, err.msg);
            unsigned long ran = processes_started(mode) - before;
            if (ran != (unsigned long)batches * T)
                fail_msg("%s T=%u W=%u: %lu processes for %u tasks",
                         mode->name, T, W, ran, batches * T);
            for (unsigned i = 0; i < T; i++) {
                assert_int_equal(results[i].task, i);
                assert_in_range(results[i].worker, 0, W - 1);
            }
            assert_true(st.peak_running <= W);
            assert_nothing_left(mode->name);
        }
    }
}

/*
 * The fresh image gets the kernel and its parameter: io_sleep's digest is
 * the time it slept, checked against io_ms; the fault kernels are found
 * too (fault_wrong is right on task 0).
 */
static void test_kernel_and_params_reach_the_image(void **state)
{
    (void)state;
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        struct cb_job job = {.kernel = find_kernel("io_sleep"),
                             .params = {.io_ms = 7}, .tasks = 3,
                             .workers = 2, .timeout_ms = 30000};
        struct cb_task_result r[3];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        if (run_batches(mode, &job, 1, r, &st, &err) != 0)
            fail_msg("%s io_sleep: %s", mode->name, err.msg);
        for (unsigned i = 0; i < 3; i++)
            assert_true(r[i].digest >= 7000000);
        job = (struct cb_job){.kernel = find_kernel("fault_wrong"), .tasks = 1,
                              .workers = 1, .timeout_ms = 30000};
        if (run_batches(mode, &job, 1, r, &st, &err) != 0)
            fail_msg("%s fault_wrong task 0: %s", mode->name, err.msg);
        assert_nothing_left(mode->name);
    }
}

/*
 * A kernel whose value is a hash of the parameter it got, every byte and
 * the count, added to this program's kernels before main() so that its
 * fresh images have it too.
 */
static uint64_t param_run(const struct concbench_task *t)
{
    uint64_t h = 0xcbf29ce484222325ull ^ t->param_bytes;
    for (size_t i = 0; i < t->param_bytes; i++)
        h = (h ^ t->param[i]) * 0x100000001b3ull;
    return t->param ? h : 0;
}

static int param_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t len)
{
    snprintf(why, len, "a parameter other than this one's %zu bytes",
             t->param_bytes);
    return value == param_run(t);
}

static const struct cb_kernel param_kernel = {
    .name = "test_param", .summary = "the hash of its parameter",
    .run = param_run, .check = param_check};

__attribute__((constructor)) static void add_param_kernel(void)
{
    cb_kernels_add(&param_kernel, 1);
}

/*
 * The kernel's parameter reaches the fresh image byte for byte, on its
 * command line: as many bytes as a parameter may have, of every value but
 * 128 (0 and 255 among them); one byte; and none.
 */
static void test_kernel_param_reaches_the_image(void **state)
{
    (void)state;
    static const unsigned sizes[] = {CONCBENCH_PARAM_MAX, 1, 0};
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            struct cb_job job = {.kernel = &param_kernel, .tasks = 3,
                                 .workers = 2, .timeout_ms = 30000};
            job.params.param_bytes = sizes[k];
            for (unsigned i = 0; i < sizes[k]; i++)
                job.params.param[i] = (unsigned char)(i < 128 ? i : i + 1);
            struct cb_task_result r[3];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            if (run_batches(mode, &job, 1, r, &st, &err) != 0)
                fail_msg("%s, %u bytes: %s", mode->name, sizes[k], err.msg);
        }
        assert_nothing_left(mode->name);
    }
}

static uint64_t local_run(const struct concbench_task *t)
{
    (void)t;
    return 0;
}

static int local_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t len)
{
    (void)t;
    (void)why;
    (void)len;
    return value == 0;
}

/* A kernel the fresh image cannot know is refused, and nothing starts. */
static void test_unknown_kernel_is_refused(void **state)
{
    (void)state;
    /* Named like a real one: the image would run that one instead. */
    static const struct cb_kernel impostor = {
        .name = "noop",
        .summary = "not the real noop",
        .run = local_run,
        .check = local_check,
    };
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        struct cb_job job = {.kernel = &impostor, .tasks = 2, .workers = 2,
                             .timeout_ms = 30000};
        struct cb_task_result r[2];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        unsigned long before = processes_started(mode);
        assert_int_equal(run_batches(mode, &job, 1, r, &st, &err), -1);
        if (!strstr(err.msg, "kernel noop: a fresh program image cannot "
                             "find it by name"))
            fail_msg("%s: '%s'", mode->name, err.msg);
        assert_int_equal(processes_started(mode), before);
        assert_nothing_left(mode->name);
    }
}

/* Run job through mode and expect both texts in the error, nothing left. */
static void expect_failure(const char *mode_name, const struct cb_job *job,
                           const char *text1, const char *text2)
{
    const struct cb_mode *mode = mode_named(mode_name);
    struct cb_task_result r[MAX_T];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(mode, job, 1, r, &st, &err);
    if (rc != -1 || !strstr(err.msg, text1) || !strstr(err.msg, text2))
        fail_msg("%s %s T=%u W=%u: rc %d, error '%s'", mode_name,
                 job->kernel->name, job->tasks, job->workers, rc, err.msg);
    assert_nothing_left(mode_name);
}

/*
 * The fault kernels, with workers reused across tasks (T = 6, W = 2), fail
 * with process mode's words; a batch that times out with every task still
 * running has them all killed and reaped.
 */
static void test_failures_leave_nothing(void **state)
{
    (void)state;
    for (size_t m = 0; m < N_MODES; m++) {
        struct cb_job job = {.tasks = 6, .workers = 2, .timeout_ms = 300};
        job.kernel = find_kernel("fault_crash");
        expect_failure(modes[m], &job, "task 1: worker killed by signal 11 "
                       "(Segmentation fault)", "");
        job.kernel = find_kernel("fault_exit");
        expect_failure(modes[m], &job, "task 1: worker exited with status 3",
                       "");
        job.kernel = find_kernel("fault_hang");
        expect_failure(modes[m], &job, "task 1",
                       "still running after 300 ms: timed out");
        job.kernel = find_kernel("fault_wrong");
        expect_failure(modes[m], &job, "task 1: wrong digest: value 42, "
                       "expected 0", "");
        job = (struct cb_job){.kernel = find_kernel("io_sleep"),
                              .params = {.io_ms = 60000}, .tasks = 8,
                              .workers = 4, .timeout_ms = 200};
        expect_failure(modes[m], &job, "task 0 (and 3 more) still running "
                       "after 200 ms: timed out", "");
    }
}

/*
 * A failed run has killed and reaped the processes of its batch before it
 * returns, not only when the executor stops: only the server is left.
 */
static void test_failed_run_cleans_up_at_once(void **state)
{
    (void)state;
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        struct cb_job job = {.kernel = find_kernel("io_sleep"),
                             .params = {.io_ms = 60000}, .tasks = 6,
                             .workers = 3, .timeout_ms = 200};
        struct cb_executor *ex = NULL;
        struct cb_error err = {{0}};
        assert_int_equal(cb_executor_start(mode, &job, NULL, &ex, &err), 0);
        struct cb_task_result r[6];
        struct cb_batch_stats st;
        assert_int_equal(cb_batch_run(ex, r, &st, &err), -1);
        assert_non_null(strstr(err.msg, "timed out"));
        assert_int_equal(processes_of_this_exe(), mode->pool ? 1 : 0);
        cb_executor_stop(ex);
        assert_nothing_left(mode->name);
    }
}

/* The pid of this process's only child running this executable. */
static pid_t only_child(void)
{
    pid_t found = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        long pid = strtol(e->d_name, NULL, 10);
        if (pid > 0 && parent_of((pid_t)pid) == getpid()) {
            assert_int_equal(found, 0);
            found = (pid_t)pid;
        }
    }
    closedir(d);
    assert_true(found > 0);
    return found;
}

/* A server killed between batches is a clear error, and nothing is left. */
static void test_forkserver_killed(void **state)
{
    (void)state;
    const struct cb_mode *mode = mode_named("forkserver");
    struct cb_job job = {.kernel = find_kernel("noop"), .tasks = 4, .workers = 2,
                         .timeout_ms = 30000};
    struct cb_executor *ex = NULL;
    struct cb_error err = {{0}};
    assert_int_equal(cb_executor_start(mode, &job, NULL, &ex, &err), 0);
    assert_int_equal(kill(only_child(), SIGKILL), 0);
    struct cb_task_result r[4];
    struct cb_batch_stats st;
    int rc = cb_batch_run(ex, r, &st, &err);
    if (rc != -1 || !strstr(err.msg, "forkserver killed by signal 9"))
        fail_msg("rc %d, error '%s'", rc, err.msg);
    cb_executor_stop(ex);
    assert_nothing_left("forkserver");
}

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000,
                                 .tv_nsec = ms % 1000 * 1000000},
              NULL);
}

static bool before(int64_t deadline)
{
    return cb_now_ns() < deadline;
}

/*
 * The program running a batch is killed while a task hangs: every process
 * of the batch dies with it (PR_SET_PDEATHSIG, down to the forkserver's
 * children). This process is made a subreaper, so that the orphans come to
 * it to be reaped instead of to init, and the test can see that they end.
 * The waits are bounded only to fail instead of hanging; nothing is timed.
 */
static void test_everything_dies_with_its_parent(void **state)
{
    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        pid_t driver = fork();
        assert_true(driver >= 0);
        if (driver == 0) {
            struct cb_job job = {.kernel = find_kernel("fault_hang"), .tasks = 2,
                                 .workers = 2, .timeout_ms = 600000};
            struct cb_task_result r[2];
            struct cb_batch_stats st;
            struct cb_error err;
            run_batches(mode, &job, 1, r, &st, &err);
            _exit(1);
        }
        /*
         * Wait for the hanging task's process (and the server). The driver
         * is left out: under valgrind its exe is valgrind's.
         */
        unsigned want = mode->pool ? 2 : 1;
        int64_t deadline = cb_now_ns() + 20 * 1000000000ll;
        while (signal_processes_of_this_exe(0, driver) < want &&
               before(deadline))
            sleep_ms(5);
        bool started = signal_processes_of_this_exe(0, driver) >= want;
        assert_int_equal(kill(driver, SIGKILL), 0);
        assert_int_equal(waitpid(driver, NULL, 0), driver);
        /* Reap the orphans as they come, until none is left. */
        deadline = cb_now_ns() + 20 * 1000000000ll;
        unsigned left;
        do {
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            left = processes_of_this_exe();
            if (left == 0 && waitpid(-1, NULL, WNOHANG) < 0)
                break;
            sleep_ms(5);
        } while (before(deadline));
        if (left) {
            signal_processes_of_this_exe(SIGKILL, 0); /* never leave them */
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
            fail_msg("%s: %u processes outlived their parent", mode->name,
                     left);
        }
        if (!started)
            fail_msg("%s: the batch's processes did not start", mode->name);
        assert_nothing_left(mode->name);
    }
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

/*
 * The server cannot fork (RLIMIT_NPROC of 2: this process and the server,
 * and a sanitizer's thread in this one, extra_threads): the batch fails
 * with fork's error for its first task. In a child, as root ignores the
 * limit.
 */
static void start_without_fork(void *arg, int fd)
{
    (void)arg;
    struct cb_job job = {.kernel = find_kernel("noop"), .tasks = 2,
                         .workers = 2, .timeout_ms = 30000};
    struct cb_task_result r[2];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches(mode_named("forkserver"), &job, 1, r, &st, &err);
    dprintf(fd, "%d %s", rc, err.msg);
}

static void test_server_fork_fails(void **state)
{
    (void)state;
    char out[512];
    run_with_nproc(2 + extra_threads(), start_without_fork, NULL, out,
                   sizeof out);
    if (strcmp(out, "-1 task 0: fork: Resource temporarily unavailable") != 0)
        fail_msg("got '%s'", out);
    assert_nothing_left("forkserver");
}

/* Many batches, some failing, leave no fd and no process behind. */
static void test_no_fd_leak(void **state)
{
    (void)state;
    unsigned fds = dir_entries("/proc/self/fd");
    for (size_t m = 0; m < N_MODES; m++) {
        const struct cb_mode *mode = mode_named(modes[m]);
        struct cb_job job = {.kernel = find_kernel("noop"), .tasks = 4,
                             .workers = 2, .timeout_ms = 30000};
        struct cb_task_result r[4];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        for (int i = 0; i < 5; i++)
            if (run_batches(mode, &job, 10, r, &st, &err) != 0)
                fail_msg("%s: %s", mode->name, err.msg);
        job.kernel = find_kernel("fault_crash");
        for (int i = 0; i < 5; i++)
            assert_int_equal(run_batches(mode, &job, 1, r, &st, &err), -1);
        assert_nothing_left(mode->name);
    }
    assert_int_equal(dir_entries("/proc/self/fd"), fds);
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once),
        cmocka_unit_test(test_kernel_and_params_reach_the_image),
        cmocka_unit_test(test_kernel_param_reaches_the_image),
        cmocka_unit_test(test_unknown_kernel_is_refused),
        cmocka_unit_test(test_failures_leave_nothing),
        cmocka_unit_test(test_failed_run_cleans_up_at_once),
        cmocka_unit_test(test_forkserver_killed),
        cmocka_unit_test(test_everything_dies_with_its_parent),
        cmocka_unit_test(test_server_fork_fails),
        cmocka_unit_test(test_no_fd_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
