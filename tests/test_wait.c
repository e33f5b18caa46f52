/*
 * The wait option (issue 21): thread_pool, process_pool and openmp run
 * every task once under both policies, W above the CPUs included; under
 * active their idle workers do not park between batches that follow each
 * other, under passive they do (so the policy took effect, libgomp's
 * too); a task that crashes or hangs, and a worker killed while it waits,
 * are still the batch's error; openmp refuses a second policy in a
 * process that loaded libgomp under the first, and leaves the environment
 * as it found it. No timing is asserted: parking is counted in voluntary
 * context switches.
 *
 * libgomp reads its policy once per process, so each policy's checks run
 * in a child of their own (in_child), as the driver measures each
 * repetition in a process of its own.
 */
#include "child.h"
#include "role.h"
#include "sysinfo.h"
#include "count_kernel.h"
#include "testlib.h"

#include <signal.h>

static const char *const policies[] = {"passive", "active"};
static const char *const pools[] = {"thread_pool", "process_pool",
                                    "openmp"};

/* The options of mode, wait at policy and the others at their defaults. */
static void options_with(const struct cb_mode *mode, unsigned policy,
                         struct cb_option_value *given)
{
    for (size_t i = 0; mode->options && mode->options[i]; i++)
        given[i] = mode->options[i] == &cb_option_wait
                       ? (struct cb_option_value){.value = policy}
                       : cb_option_default(mode->options[i]);
}

/*
 * fn(policy, out, len) in a forked child, which writes what went wrong
 * (nothing: all well) into out; fails the test with it.
 */
static void in_child(void (*fn)(unsigned, char *, size_t), unsigned policy)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char msg[1024] = "";
        fn(policy, msg, sizeof msg);
        if (cb_write_full(fds[1], msg, strlen(msg)) < 0)
            _exit(2);
        _exit(0);
    }
    close(fds[1]);
    char out[1024] = "";
    size_t got = 0;
    for (ssize_t n; (n = read(fds[0], out + got, sizeof out - 1 - got)) > 0;)
        got += (size_t)n;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out[0])
        fail_msg("wait=%s: child status %#x: %s", policies[policy], status,
                 out);
}

/* Every task once, several batches on one pool, each shape. */
static void every_task_once(unsigned policy, char *msg, size_t len)
{
    unsigned over = 2 * cb_cpus_allowed(); /* W above the CPUs: throttled */
    if (over > CB_COUNT_MAX_TASKS)
        over = CB_COUNT_MAX_TASKS;
    const unsigned shapes[][2] = {{7, 3},
                                  {1, 1},
                                  {16, 2},
                                  {CB_COUNT_MAX_TASKS, 4},
                                  {CB_COUNT_MAX_TASKS, over}};
    for (size_t m = 0; m < sizeof pools / sizeof pools[0]; m++) {
        const struct cb_mode *mode = cb_mode_find(pools[m]);
        if (!mode)
            continue; /* openmp where the compiler has none */
        struct cb_option_value given[CB_MAX_MODE_OPTIONS];
        options_with(mode, policy, given);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            unsigned T = shapes[s][0], W = shapes[s][1];
            const unsigned batches = 5;
            memset((void *)cb_count_runs, 0,
                   CB_COUNT_MAX_TASKS * sizeof *cb_count_runs);
            struct cb_job job = {.kernel = &cb_count_kernel, .tasks = T,
                                 .workers = W, .timeout_ms = 30000};
            struct cb_task_result results[CB_COUNT_MAX_TASKS];
            struct cb_batch_stats st;
            struct cb_error err = {{0}};
            if (run_batches_with(mode, &job, given, batches, results, &st,
                                 &err) != 0) {
                snprintf(msg, len, "%s T=%u W=%u: %s", mode->name, T, W,
                         err.msg);
                return;
            }
            for (unsigned i = 0; i < CB_COUNT_MAX_TASKS; i++)
                if (cb_count_runs[i] != (i < T ? batches : 0)) {
                    snprintf(msg, len, "%s T=%u W=%u: task %u ran %u times",
                             mode->name, T, W, i, cb_count_runs[i]);
                    return;
                }
            /* The pools see all their threads and processes. */
            if (!(st.all_cpu_s >= 0)) {
                snprintf(msg, len, "%s: no all_cpu_s", mode->name);
                return;
            }
        }
    }
}

static void test_every_task_once_under_both_policies(void **state)
{
    (void)state;
    for (unsigned p = 0; p < 2; p++)
        in_child(every_task_once, p);
    assert_no_children();
}

/* voluntary_ctxt_switches of /proc/PATH/status; 0 if unreadable. */
static long voluntary_switches(const char *path)
{
    char file[340], line[256];
    snprintf(file, sizeof file, "/proc/%s/status", path);
    FILE *f = fopen(file, "r");
    long n = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
            break;
    fclose(f);
    return n;
}

/*
 * The voluntary context switches of this process's threads but the
 * calling one, and of its children: the pool's workers (and a sanitizer's
 * thread, which sleeps).
 */
static long workers_switches(void)
{
    long sum = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    char path[320];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
            continue;
        snprintf(path, sizeof path, "self/task/%s", e->d_name);
        sum += voluntary_switches(path);
    }
    closedir(d);
    pid_t kids[CB_MAX_WORKERS];
    unsigned n = cb_children_now(kids, CB_MAX_WORKERS);
    for (unsigned i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%d", (int)kids[i]);
        sum += voluntary_switches(path);
    }
    return sum;
}

/*
 * BATCHES batches of noop, 100 us apart: under passive an idle worker
 * parks between two (a voluntary switch each time; back to back, the next
 * batch may come before it has parked), under active it spins through the
 * gap, far shorter than the budget. W is the most,
 * up to 2, that keeps the full budget (spin.h): the pools' W workers and
 * their caller, openmp's W threads, at most the CPUs; a mode that cannot
 * have a worker so is left out.
 */
enum { BATCHES = 200 };

static void count_parking(unsigned policy, char *msg, size_t len)
{
    size_t used = 0;
    for (size_t m = 0; m < sizeof pools / sizeof pools[0]; m++) {
        const struct cb_mode *mode = cb_mode_find(pools[m]);
        if (!mode)
            continue;
        struct cb_option_value given[CB_MAX_MODE_OPTIONS];
        options_with(mode, policy, given);
        /*
         * The batch in one chunk: process_pool's queue then holds one
         * index a batch, which one worker reads; two reading at once
         * would contend for the pipe's lock, and sleeping on it is a
         * voluntary switch too, whatever the policy.
         */
        for (size_t i = 0; mode->options && mode->options[i]; i++)
            if (mode->options[i] == &cb_option_chunk)
                given[i].value = 16;
        unsigned cpus = cb_cpus_allowed();
        unsigned fit = strcmp(mode->name, "openmp") == 0 ? cpus : cpus - 1;
        if (fit < (strcmp(mode->name, "openmp") == 0 ? 2u : 1u))
            continue; /* openmp's first thread is the caller's */
        struct cb_job job = {.kernel = cb_kernel_find("noop"), .tasks = 16,
                             .workers = fit < 2 ? fit : 2,
                             .timeout_ms = 30000};
        struct cb_executor *ex = NULL;
        struct cb_task_result results[16];
        struct cb_batch_stats st;
        struct cb_error err = {{0}};
        if (cb_executor_start(mode, &job, given, &ex, &err) < 0) {
            snprintf(msg, len, "%s: %s", mode->name, err.msg);
            return;
        }
        int rc = cb_batch_run(ex, results, &st, &err); /* all up */
        long before = workers_switches();
        for (unsigned b = 0; b < BATCHES && rc == 0; b++) {
            usleep(100);
            rc = cb_batch_run(ex, results, &st, &err);
        }
        long parked = workers_switches() - before;
        if (getenv("CB_SHOW_PARKING"))
            fprintf(stderr, "%s wait=%s: %ld\n", mode->name,
                    policies[policy], parked);
        cb_executor_stop(ex);
        if (rc != 0) {
            snprintf(msg, len, "%s: %s", mode->name, err.msg);
            return;
        }
        /*
         * Measured on 2 CPUs under load: passive 200 to 300, active 0 to
         * 10 (a worker parks when it spun its budget away: on a loaded
         * machine the caller may be off its CPU that long).
         */
        bool ok = policy == CB_WAIT_ACTIVE ? parked < BATCHES / 2
                                           : parked >= BATCHES / 2;
        if (!ok && used < len)
            used += (size_t)snprintf(msg + used, len - used,
                                     "%s: %ld voluntary switches of its "
                                     "workers over %d batches; ",
                                     mode->name, parked, BATCHES);
    }
}

static void test_active_workers_do_not_park(void **state)
{
    (void)state;
    /*
     * valgrind runs one thread at a time (CB_SERIALISED): a spinning one
     * holds the others off for its whole slice.
     */
    if (getenv("CB_SERIALISED"))
        skip();
    for (unsigned p = 0; p < 2; p++)
        in_child(count_parking, p);
    assert_no_children();
}

/* The batch fails with both texts, under active, in each pool given. */
static void expect_failure(const char *mode_name, const char *kernel,
                           const char *text1, const char *text2)
{
    const struct cb_mode *mode = cb_mode_find(mode_name);
    assert_non_null(mode);
    struct cb_option_value given[CB_MAX_MODE_OPTIONS];
    options_with(mode, CB_WAIT_ACTIVE, given);
    struct cb_job job = {.kernel = find_kernel(kernel), .tasks = 3,
                         .workers = 3, .timeout_ms = 300};
    struct cb_task_result results[3];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    int rc = run_batches_with(mode, &job, given, 1, results, &st, &err);
    if (rc != -1 || !strstr(err.msg, text1) || !strstr(err.msg, text2))
        fail_msg("%s %s: rc %d, error '%s'", mode_name, kernel, rc, err.msg);
    assert_no_children();
}

static void test_faults_under_active(void **state)
{
    (void)state;
    expect_failure("process_pool", "fault_crash", "task 1",
                   "killed by signal 11 (Segmentation fault)");
    expect_failure("process_pool", "fault_exit", "task 1",
                   "exited with status 3");
    expect_failure("process_pool", "fault_hang", "task 1",
                   "still running after 300 ms: timed out");
    expect_failure("thread_pool", "fault_hang", "task 1",
                   "still running after 300 ms: timed out");
}

/*
 * A process_pool worker killed while it spins between batches: the next
 * batch is that benchmark's error, naming the worker.
 */
static void test_a_worker_killed_while_spinning(void **state)
{
    (void)state;
    const struct cb_mode *mode = cb_mode_find("process_pool");
    struct cb_option_value given[CB_MAX_MODE_OPTIONS];
    options_with(mode, CB_WAIT_ACTIVE, given);
    struct cb_job job = {.kernel = cb_kernel_find("noop"), .tasks = 16,
                         .workers = 2, .timeout_ms = 30000};
    struct cb_executor *ex = NULL;
    struct cb_task_result results[16];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    assert_int_equal(cb_executor_start(mode, &job, given, &ex, &err), 0);
    assert_int_equal(cb_batch_run(ex, results, &st, &err), 0);
    pid_t kids[4];
    assert_int_equal(cb_children_now(kids, 4), 2);
    assert_int_equal(kill(kids[0], SIGKILL), 0);
    /* Dead, not yet reaped: it needs a CPU to end, under load a while. */
    siginfo_t info;
    assert_int_equal(waitid(P_PID, (id_t)kids[0], &info, WEXITED | WNOWAIT),
                     0);
    int rc = cb_batch_run(ex, results, &st, &err);
    cb_executor_stop(ex);
    if (rc != -1 || !strstr(err.msg, "killed by signal 9"))
        fail_msg("rc %d, error '%s'", rc, err.msg);
    assert_no_children();
}

/*
 * openmp in a process that loaded libgomp under one policy refuses the
 * other, and leaves OMP_WAIT_POLICY and GOMP_SPINCOUNT as they were.
 */
static void one_policy_a_process(unsigned policy, char *msg, size_t len)
{
    const struct cb_mode *mode = cb_mode_find("openmp");
    setenv("OMP_WAIT_POLICY", "kept", 1);
    unsetenv("GOMP_SPINCOUNT");
    struct cb_job job = {.kernel = cb_kernel_find("noop"), .tasks = 4,
                         .workers = 2, .timeout_ms = 30000};
    struct cb_task_result results[4];
    struct cb_batch_stats st;
    struct cb_error err = {{0}};
    struct cb_option_value given[1];
    options_with(mode, policy, given);
    if (run_batches_with(mode, &job, given, 1, results, &st, &err) != 0) {
        snprintf(msg, len, "%s", err.msg);
        return;
    }
    const char *kept = getenv("OMP_WAIT_POLICY");
    if (!kept || strcmp(kept, "kept") != 0 || getenv("GOMP_SPINCOUNT")) {
        snprintf(msg, len, "environment changed: OMP_WAIT_POLICY %s, "
                 "GOMP_SPINCOUNT %s", kept ? kept : "unset",
                 getenv("GOMP_SPINCOUNT") ? getenv("GOMP_SPINCOUNT")
                                          : "unset");
        return;
    }
    options_with(mode, !policy, given);
    int rc = run_batches_with(mode, &job, given, 1, results, &st, &err);
    if (rc != -1 || !strstr(err.msg, "needs a process of its own"))
        snprintf(msg, len, "the other policy: rc %d, '%s'", rc, err.msg);
}

static void test_openmp_one_policy_a_process(void **state)
{
    (void)state;
    if (!cb_mode_find("openmp"))
        skip();
    for (unsigned p = 0; p < 2; p++)
        in_child(one_policy_a_process, p);
}

int main(int argc, char **argv)
{
    cb_role_main(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_task_once_under_both_policies),
        cmocka_unit_test(test_active_workers_do_not_park),
        cmocka_unit_test(test_faults_under_active),
        cmocka_unit_test(test_a_worker_killed_while_spinning),
        cmocka_unit_test(test_openmp_one_policy_a_process),
    };
    return cmocka_run_group_tests(tests, cb_count_setup, NULL);
}
