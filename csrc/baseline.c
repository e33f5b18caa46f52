/*
 * The bare loops of baseline.h. Each does exactly what its name says and
 * checks only what it must to be honest: that each child exited 0, that each
 * thread was created, that each kernel value is right (checked after the
 * loop, as a mode's results are checked after its batch).
 */
#include "baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fork_exit_waitpid(const struct cb_baseline *b, unsigned tasks,
                             const struct cb_params *params,
                             struct cb_error *err)
{
    (void)b;
    (void)params;
    for (unsigned i = 0; i < tasks; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            cb_error_set(err, "task %u: fork: %s", i, strerror(errno));
            return -1;
        }
        if (pid == 0)
            _exit(0);
        int status;
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) {
                cb_error_set(err, "task %u: waitpid: %s", i, strerror(errno));
                return -1;
            }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            cb_error_set(err, "task %u: child did not exit 0", i);
            return -1;
        }
    }
    return 0;
}

static void *nothing(void *arg)
{
    return arg;
}

static int pthread_create_join(const struct cb_baseline *b, unsigned tasks,
                               const struct cb_params *params,
                               struct cb_error *err)
{
    (void)b;
    (void)params;
    for (unsigned i = 0; i < tasks; i++) {
        pthread_t tid;
        int e = pthread_create(&tid, NULL, nothing, NULL);
        if (e != 0) {
            cb_error_set(err, "task %u: pthread_create: %s", i, strerror(e));
            return -1;
        }
        pthread_join(tid, NULL);
    }
    return 0;
}

static int kernel_loop(const struct cb_baseline *b, unsigned tasks,
                       const struct cb_params *params, struct cb_error *err)
{
    const struct cb_kernel *kernel = cb_kernel_find(b->kernel);
    uint64_t *digests = malloc(tasks * sizeof *digests);
    if (!digests) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    const struct cb_worker w = {.slot = 0};
    for (unsigned i = 0; i < tasks; i++)
        digests[i] = cb_kernel_digest(kernel, i, params, &w);
    int rc = 0;
    for (unsigned i = 0; i < tasks && rc == 0; i++) {
        char why[128];
        if (!cb_kernel_check(kernel, i, digests[i], params, why,
                             sizeof why)) {
            cb_error_set(err, "task %u: %s", i, why);
            rc = -1;
        }
    }
    free(digests);
    return rc;
}

/*
 * Switching: two workers pass one byte back and forth over a pair of
 * pipes, as perf bench sched pipe does (two processes) and its -T (two
 * threads), both on the CPU the caller runs on, so that each pass is one
 * context switch there (on two CPUs each would wake the other across
 * CPUs instead). One task is ROUND_TRIPS round trips, 2 x ROUND_TRIPS
 * switches.
 */
enum { ROUND_TRIPS = 500 };

struct ping {
    int in, out; /* the echoer's: read from in, write back to out */
    unsigned trips;
};

/* Pin the calling thread to cpu; errors are not fatal (the figure is). */
static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static int cpu_now(void)
{
    int cpu = sched_getcpu();
    return cpu < 0 ? 0 : cpu;
}

/* The echoing side: returns 0 after trips bytes came and went back. */
static int echo(const struct ping *p)
{
    char c;
    for (unsigned i = 0; i < p->trips; i++)
        if (read(p->in, &c, 1) != 1 || write(p->out, &c, 1) != 1)
            return -1;
    return 0;
}

static void *echo_thread(void *arg)
{
    const struct ping *p = arg;
    pin(cpu_now()); /* set by the caller before: see switches() */
    return echo(p) == 0 ? NULL : arg;
}

static int switches(unsigned tasks, bool threads, struct cb_error *err)
{
    int there[2], back[2];
    if (pipe2(there, O_CLOEXEC) < 0 || pipe2(back, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
    struct ping p = {.in = there[0], .out = back[1],
                     .trips = tasks * ROUND_TRIPS};
    cpu_set_t before;
    sched_getaffinity(0, sizeof before, &before);
    pin(cpu_now()); /* the echoer inherits it, thread or child */
    pthread_t tid;
    pid_t pid = -1;
    int rc = 0;
    if (threads) {
        int e = pthread_create(&tid, NULL, echo_thread, &p);
        if (e != 0) {
            cb_error_set(err, "pthread_create: %s", strerror(e));
            rc = -1;
        }
    } else {
        pid = fork();
        if (pid == 0)
            _exit(echo(&p) == 0 ? 0 : 1);
        if (pid < 0) {
            cb_error_set(err, "fork: %s", strerror(errno));
            rc = -1;
        }
    }
    char c = 'x';
    for (unsigned i = 0; rc == 0 && i < p.trips; i++) {
        if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) {
            cb_error_set(err, "round trip %u: %s", i, strerror(errno));
            rc = -1;
        }
    }
    /* The echoer sees end of file if it is still waiting, and ends. */
    close(there[1]);
    close(back[0]);
    if (threads && rc == 0) {
        void *bad;
        pthread_join(tid, &bad);
        if (bad) {
            cb_error_set(err, "the echoing thread failed");
            rc = -1;
        }
    } else if (pid > 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
            cb_error_set(err, "the echoing process failed");
            rc = -1;
        }
    }
    close(there[0]);
    close(back[1]);
    sched_setaffinity(0, sizeof before, &before);
    return rc;
}

static int switch_threads(const struct cb_baseline *b, unsigned tasks,
                          const struct cb_params *params,
                          struct cb_error *err)
{
    (void)b;
    (void)params;
    return switches(tasks, true, err);
}

static int switch_processes(const struct cb_baseline *b, unsigned tasks,
                            const struct cb_params *params,
                            struct cb_error *err)
{
    (void)b;
    (void)params;
    return switches(tasks, false, err);
}

const struct cb_baseline cb_baselines[] = {
    {"fork_exit_waitpid", "fork; the child _exits at once; waitpid",
     NULL, 0, fork_exit_waitpid},
    {"pthread_create_join", "pthread_create of an empty thread; join",
     NULL, 0, pthread_create_join},
    {"gmp_pow_loop", "gmp_pow called in a bare loop", "gmp_pow", 0,
     kernel_loop},
    {"logpow_loop", "logpow called in a bare loop", "logpow", 0,
     kernel_loop},
    {"switch_threads", "two threads on one CPU pass a byte back and forth "
     "over two pipes (perf bench sched pipe -T)", NULL, 2 * ROUND_TRIPS,
     switch_threads},
    {"switch_processes", "two processes on one CPU pass a byte back and "
     "forth over two pipes (perf bench sched pipe)", NULL, 2 * ROUND_TRIPS,
     switch_processes},
};
const size_t cb_baseline_count = sizeof cb_baselines / sizeof cb_baselines[0];
