/*
 * A kernel library with a fixture (concbench_kernel.h, version 2), for the
 * driver's tests (test_concbench.py); built twice (tests/meson.build):
 *
 * As it is: fixture_param, whose fixture's setup starts a helper process
 * and writes a parameter naming it ("helper:PID"); a task's value is a
 * hash of the parameter it got, and the check compares it with the hash of
 * the parameter the checking process has, so that a task that ran with
 * another parameter or none (a fresh image that was not given it) fails.
 * The setup writes the helper's pid to $CB_FIXTURE_DIR/helper.pid and
 * creates $CB_FIXTURE_DIR/set_up, which the teardown removes after it has
 * killed and reaped the helper; with $CB_FIXTURE_LEAVE set it leaves the
 * helper running (concbench must end it), with $CB_FIXTURE_EXIT set the
 * setup calls exit(3) instead. And fixture_fails, whose setup fails.
 *
 * With -DABI1: a library built for version 1, whose kernel old_abi has in
 * what was reserved space what would be a fixture that fails: version 1
 * had none, so concbench must ignore it.
 */
#include "concbench_kernel.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fails(const struct concbench_run *run, unsigned char *param,
                 size_t *param_bytes, void **state, char *why,
                 size_t why_len)
{
    (void)run, (void)param, (void)param_bytes, (void)state;
    snprintf(why, why_len, "no server for this test");
    return -1;
}

static const struct concbench_fixture failing = {.setup = fails};

#ifdef ABI1

static uint64_t old_run(const struct concbench_task *t)
{
    (void)t;
    return 7;
}

static int old_check(uint64_t value, const struct concbench_task *t,
                     char *why, size_t why_len)
{
    (void)t;
    snprintf(why, why_len, "%llu, not 7", (unsigned long long)value);
    return value == 7;
}

static const struct concbench_kernel kernels[] = {
    {.name = "old_abi", .summary = "a version 1 kernel", .run = old_run,
     .check = old_check, .fixture = &failing},
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
    1, sizeof kernels / sizeof kernels[0], kernels};

#else

/* FNV-1a of the parameter, never 0. */
static uint64_t hash(const struct concbench_task *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < t->param_bytes; i++)
        h = (h ^ t->param[i]) * 0x100000001b3ull;
    return h | 1;
}

static uint64_t param_run(const struct concbench_task *t)
{
    return t->param ? hash(t) : 0;
}

static int param_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t why_len)
{
    if (!t->param || strncmp((const char *)t->param, "helper:", 7) != 0 ||
        t->param[t->param_bytes] != 0) {
        snprintf(why, why_len, "the checking process has no parameter");
        return 0;
    }
    if (value == hash(t))
        return 1;
    snprintf(why, why_len, "the task got %s parameter than '%s'",
             value ? "another" : "no", (const char *)t->param);
    return 0;
}

static void path_of(char *path, size_t len, const char *name)
{
    const char *dir = getenv("CB_FIXTURE_DIR");
    snprintf(path, len, "%s/%s", dir ? dir : ".", name);
}

struct helper {
    pid_t pid;
};

static int param_setup(const struct concbench_run *run, unsigned char *param,
                       size_t *param_bytes, void **state, char *why,
                       size_t why_len)
{
    (void)run;
    if (getenv("CB_FIXTURE_EXIT"))
        exit(3);
    struct helper *h = malloc(sizeof *h);
    if (!h) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    h->pid = fork();
    if (h->pid < 0) {
        snprintf(why, why_len, "fork failed");
        free(h);
        return -1;
    }
    if (h->pid == 0)
        for (;;)
            pause(); /* until killed: no PR_SET_PDEATHSIG, on purpose */
    char path[4096];
    path_of(path, sizeof path, "helper.pid");
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)h->pid);
        fclose(f);
    }
    path_of(path, sizeof path, "set_up");
    if ((f = fopen(path, "w")))
        fclose(f);
    *param_bytes = (size_t)snprintf((char *)param, CONCBENCH_PARAM_MAX,
                                    "helper:%d", (int)h->pid);
    *state = h;
    return 0;
}

static void param_teardown(void *state)
{
    struct helper *h = state;
    if (!getenv("CB_FIXTURE_LEAVE")) {
        kill(h->pid, SIGKILL);
        waitpid(h->pid, NULL, 0);
    }
    free(h);
    char path[4096];
    path_of(path, sizeof path, "set_up");
    unlink(path);
}

static const struct concbench_fixture helper_fixture = {
    .setup = param_setup,
    .teardown = param_teardown,
};

static uint64_t never_run(const struct concbench_task *t)
{
    (void)t;
    return 0;
}

static int never_check(uint64_t value, const struct concbench_task *t,
                       char *why, size_t why_len)
{
    (void)value, (void)t, (void)why, (void)why_len;
    return 0;
}

static const struct concbench_kernel kernels[] = {
    {.name = "fixture_param",
     .summary = "the hash of the parameter its fixture wrote",
     .run = param_run, .check = param_check, .fixture = &helper_fixture},
    {.name = "fixture_fails", .summary = "its fixture cannot be set up",
     .run = never_run, .check = never_check, .fixture = &failing},
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
    CONCBENCH_KERNEL_ABI, sizeof kernels / sizeof kernels[0], kernels};

#endif
