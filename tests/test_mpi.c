/*
 * mpi_pool (built where MPI is): the real kernels' tasks through MPI
 * workers with their digests, batch after batch; a worker that crashes,
 * hangs, answers wrong or is killed mid-batch fails the batch naming a
 * task, one killed while the pool starts fails the start at once; and after every failure nothing is left: this test is a subreaper,
 * so that Open MPI's daemon and the workers, orphaned when the master
 * dies, become its children and are seen to end.
 */
#include "role.h"
#include "testlib.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

static const struct cb_mode *mpi(void)
{
    const struct cb_mode *m = cb_mode_find("mpi_pool");
    assert_non_null(m);
    return m;
}

/* This test's TMPDIR, where the pools' session directories go. */
static char tmpdir[] = "/tmp/test_mpi-XXXXXX";

/*
 * Every process started for the pool has ended and been reaped (waits up
 * to 20 s for orphans, which would be this subreaper's, to go), and no
 * file of it is left in TMPDIR.
 */
static void nothing_left(void)
{
    for (int i = 0;; i++) {
        pid_t pid = waitpid(-1, NULL, WNOHANG);
        if (pid < 0 && errno == ECHILD)
            break;
        if (i == 2000)
            fail_msg("processes of the pool are still running after 20 s");
        if (pid == 0)
            usleep(10000);
    }
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            fail_msg("%s/%s is left", tmpdir, e->d_name);
    closedir(d);
}

static int run(const char *kernel, unsigned tasks, unsigned workers,
               unsigned io_ms, unsigned timeout_ms, unsigned batches,
               struct cb_error *err)
{
    struct cb_job job = {.kernel = find_kernel(kernel),
                         .params = {.io_ms = io_ms}, .tasks = tasks,
                         .workers = workers, .timeout_ms = timeout_ms};
    struct cb_task_result r[64];
    struct cb_batch_stats st;
    return run_batches(mpi(), &job, batches, r, &st, err);
}

static void test_real_kernels(void **state)
{
    (void)state;
    static const char *const kernels[] = {"noop", "gmp_pow", "io_sleep"};
    for (size_t k = 0; k < 3; k++)
        for (unsigned w = 1; w <= 4; w *= 2) {
            struct cb_error err = {{0}};
            if (run(kernels[k], 16, w, 5, 60000, 3, &err) != 0)
                fail_msg("%s W=%u: %s", kernels[k], w, err.msg);
        }
    nothing_left();
}

static void expect_failure(const char *kernel, unsigned timeout_ms,
                           const char *want)
{
    struct cb_error err = {{0}};
    assert_int_equal(run(kernel, 4, 2, 5, timeout_ms, 1, &err), -1);
    if (!strstr(err.msg, "task ") || !strstr(err.msg, want))
        fail_msg("%s: '%s', not '%s'", kernel, err.msg, want);
    nothing_left();
}

static void test_faults(void **state)
{
    (void)state;
    expect_failure("fault_crash", 60000, "task 1: an MPI worker died");
    expect_failure("fault_exit", 60000, "task 1: an MPI worker died");
    expect_failure("fault_hang", 1000, "timed out");
    expect_failure("fault_wrong", 60000, "wrong digest: value 42, expected 0");
}

/* Whether pid runs the executable self. */
static bool runs(pid_t pid, const char *self)
{
    char path[64], exe[512];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t len = readlink(path, exe, sizeof exe - 1);
    return len > 0 && (exe[len] = '\0', strcmp(exe, self) == 0);
}

/*
 * The pid of one of this test's workers: this very executable (not another
 * test's, which may run mpi_pool at the same time) in its --cb-mpi role,
 * started by Open MPI's daemon (the master and its keeper are started by
 * this executable).
 */
static pid_t find_worker(void)
{
    char self[512];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = '\0';
    DIR *d = opendir("/proc");
    pid_t found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0 || !runs(pid, self))
            continue;
        char path[64], cmd[512] = "";
        snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        char *flag = n > 0 ? memchr(cmd, '\0', n) : NULL;
        if (!flag || strcmp(flag + 1, "--cb-mpi") != 0)
            continue;
        pid_t ppid = parent_of(pid);
        if (ppid > 0 && !runs(ppid, self))
            found = pid;
    }
    if (d)
        closedir(d);
    return found;
}

/* Kills one of this test's workers after *delay_us, once it exists. */
static void *kill_a_worker(void *arg)
{
    const useconds_t delay_us = *(const useconds_t *)arg;
    for (int i = 0; i < 20000; i++) {
        pid_t w = find_worker();
        if (w > 0) {
            usleep(delay_us);
            kill(w, SIGKILL);
            return NULL;
        }
        usleep(1000);
    }
    return NULL;
}

static void expect_worker_died(const struct cb_error *err)
{
    if (!strstr(err->msg, "an MPI worker died"))
        fail_msg("'%s'", err->msg);
}

/*
 * A worker killed once the pool runs, well into a batch: the batch fails
 * naming a task, and nothing is left.
 */
static void test_worker_killed_mid_batch(void **state)
{
    (void)state;
    /* Batches of 8 sleeps of 100 ms on 2 workers, 400 ms each. */
    struct cb_job job = {.kernel = find_kernel("io_sleep"),
                         .params = {.io_ms = 100}, .tasks = 8, .workers = 2,
                         .timeout_ms = 60000};
    struct cb_executor *ex = NULL;
    struct cb_error err = {{0}};
    if (cb_executor_start(mpi(), &job, NULL, &ex, &err) < 0)
        fail_msg("start: %s", err.msg);
    pthread_t killer;
    useconds_t delay_us = 300000;
    assert_int_equal(pthread_create(&killer, NULL, kill_a_worker, &delay_us),
                     0);
    struct cb_task_result r[8];
    struct cb_batch_stats st;
    int rc = 0;
    for (unsigned i = 0; i < 20 && rc == 0; i++)
        rc = cb_batch_run(ex, r, &st, &err);
    cb_executor_stop(ex);
    pthread_join(killer, NULL);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "task "));
    expect_worker_died(&err);
    nothing_left();
}

/*
 * A worker killed as soon as it exists, while MPI_Comm_spawn waits for it:
 * the start fails at once saying so (it waited out the start timeout,
 * 60 s, before), or, should the pool have been ready already, the first
 * batch; either way the pool's error says a worker died, and nothing is
 * left.
 */
static void test_worker_killed_during_start(void **state)
{
    (void)state;
    struct cb_job job = {.kernel = find_kernel("io_sleep"),
                         .params = {.io_ms = 100}, .tasks = 8, .workers = 2,
                         .timeout_ms = 60000};
    pthread_t killer;
    useconds_t delay_us = 0;
    assert_int_equal(pthread_create(&killer, NULL, kill_a_worker, &delay_us),
                     0);
    struct cb_executor *ex = NULL;
    struct cb_error err = {{0}};
    int64_t t0 = cb_now_ns();
    int rc = cb_executor_start(mpi(), &job, NULL, &ex, &err);
    struct cb_task_result r[8];
    struct cb_batch_stats st;
    for (unsigned i = 0; i < 20 && rc == 0; i++)
        rc = cb_batch_run(ex, r, &st, &err);
    if (ex)
        cb_executor_stop(ex);
    pthread_join(killer, NULL);
    assert_int_equal(rc, -1);
    expect_worker_died(&err);
    /* Not the start timeout: well before it. */
    assert_true(cb_now_ns() - t0 < 30 * 1000000000LL);
    nothing_left();
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if (!mkdtemp(tmpdir) || setenv("TMPDIR", tmpdir, 1) < 0) {
        perror("test_mpi: TMPDIR");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_kernels),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_worker_killed_mid_batch),
        cmocka_unit_test(test_worker_killed_during_start),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (!failed)
        rmdir(tmpdir);
    return failed;
}
