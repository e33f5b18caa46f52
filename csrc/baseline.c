/*
 * The bare loops of baseline.h. Each does exactly what its name says and
 * checks only what it must to be honest: that each child exited 0, that each
 * thread was created, that each kernel value is right (checked after the
 * loop, as a mode's results are checked after its batch).
 */
#include "baseline.h"

#include <errno.h>
#include <pthread.h>
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

const struct cb_baseline cb_baselines[] = {
    {"fork_exit_waitpid", "fork; the child _exits at once; waitpid",
     NULL, fork_exit_waitpid},
    {"pthread_create_join", "pthread_create of an empty thread; join",
     NULL, pthread_create_join},
    {"gmp_pow_loop", "gmp_pow called in a bare loop", "gmp_pow",
     kernel_loop},
    {"logpow_loop", "logpow called in a bare loop", "logpow",
     kernel_loop},
};
const size_t cb_baseline_count = sizeof cb_baselines / sizeof cb_baselines[0];
