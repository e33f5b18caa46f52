/*
 * A kernel library that does what a user's library may do and concbench
 * must survive (issue 17), for tests/test_concbench.py: libhostile.so.
 *
 * Its init, which every kernel of it has, does what CB_HOSTILE_INIT says:
 *   crash    dies of SIGSEGV (a write through a null pointer)
 *   exit     calls exit(0)
 *   sigchld  sets SIGCHLD to SIG_IGN (children then reap themselves)
 *   chdir    changes to the directory CB_HOSTILE_DIR
 *   helper   starts a `sleep 47` named CB_HOSTILE_MARK that its kernels
 *            need (a server of the library's, say), once a process
 * and nothing when it is unset. Its kernels, each like noop otherwise:
 *   hostile_chdir  every task changes to CB_HOSTILE_DIR
 *   hostile_exit   task 1 calls exit(CB_HOSTILE_STATUS, default 0)
 *   hostile_crash  task 1 writes through a null pointer (SIGSEGV)
 *   hostile_abort  task 1 calls abort()
 *   hostile_fork   every task starts `sleep 47`, named CB_HOSTILE_MARK
 *                  (argv[0]), and leaves it running
 *   hostile_wait   every task makes the file CB_HOSTILE_READY, then
 *                  waits until the file CB_HOSTILE_GO exists
 *   hostile_helper every task's value is 0 only while the init's helper
 *                  runs
 *   hostile_stay   every task forks a child that does not exec but stays,
 *                  named CB_HOSTILE_MARK (its comm), holding every fd
 */
#include "concbench_kernel.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int check(uint64_t value, const struct concbench_task *t, char *why,
                 size_t len)
{
    (void)t;
    if (value == 0)
        return 1;
    snprintf(why, len, "value %llu, expected 0", (unsigned long long)value);
    return 0;
}

static pid_t helper; /* the init's, in this process or the one forked */

static pid_t start_sleep(void)
{
    const char *mark = getenv("CB_HOSTILE_MARK");
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sleep", mark ? mark : "sleep", "47", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void no_core_file(void)
{
    setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
}

static void crash(void)
{
    no_core_file();
    *(volatile int *)(uintptr_t)getenv("CB_HOSTILE_NO_SUCH_VARIABLE") = 1;
}

static int init(char *why, size_t len)
{
    const char *what = getenv("CB_HOSTILE_INIT");
    const char *dir = getenv("CB_HOSTILE_DIR");
    if (!what)
        return 0;
    if (strcmp(what, "crash") == 0)
        crash();
    else if (strcmp(what, "exit") == 0)
        exit(0);
    else if (strcmp(what, "sigchld") == 0)
        signal(SIGCHLD, SIG_IGN);
    else if (strcmp(what, "helper") == 0 && helper == 0 &&
             (helper = start_sleep()) < 0) {
        snprintf(why, len, "fork failed");
        return -1;
    }
    else if (strcmp(what, "chdir") == 0 && dir && chdir(dir) != 0) {
        snprintf(why, len, "chdir %s failed", dir);
        return -1;
    }
    return 0;
}

static uint64_t chdir_run(const struct concbench_task *t)
{
    (void)t;
    const char *dir = getenv("CB_HOSTILE_DIR");
    return dir && chdir(dir) != 0;
}

static uint64_t exit_run(const struct concbench_task *t)
{
    const char *status = getenv("CB_HOSTILE_STATUS");
    if (t->index == 1)
        exit(status ? atoi(status) : 0);
    return 0;
}

static uint64_t crash_run(const struct concbench_task *t)
{
    if (t->index == 1)
        crash();
    return 0;
}

static uint64_t abort_run(const struct concbench_task *t)
{
    if (t->index == 1) {
        no_core_file();
        abort();
    }
    return 0;
}

static uint64_t fork_run(const struct concbench_task *t)
{
    (void)t;
    return start_sleep() < 0;
}

static uint64_t stay_run(const struct concbench_task *t)
{
    (void)t;
    pid_t pid = fork();
    if (pid == 0) {
        const char *mark = getenv("CB_HOSTILE_MARK");
        prctl(PR_SET_NAME, mark ? mark : "hostile_stay");
        for (;;)
            pause();
    }
    return pid < 0;
}

/* Running, not a zombie: its /proc/PID/stat's state. */
static uint64_t helper_run(const struct concbench_task *t)
{
    (void)t;
    char path[64], state = 'X';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)helper);
    FILE *f = helper > 0 ? fopen(path, "re") : NULL;
    if (f) {
        if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
            state = 'X';
        fclose(f);
    }
    return state == 'Z' || state == 'X';
}

static uint64_t wait_run(const struct concbench_task *t)
{
    (void)t;
    const char *ready = getenv("CB_HOSTILE_READY");
    const char *go = getenv("CB_HOSTILE_GO");
    int fd = ready ? open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0)
        close(fd);
    while (go && access(go, F_OK) != 0)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    return 0;
}

static const struct concbench_kernel kernels[] = {
    {.name = "hostile_chdir", .summary = "every task changes directory",
     .run = chdir_run, .check = check, .init = init},
    {.name = "hostile_exit", .summary = "task 1 calls exit()",
     .run = exit_run, .check = check, .init = init},
    {.name = "hostile_crash", .summary = "task 1 dies of SIGSEGV",
     .run = crash_run, .check = check, .init = init},
    {.name = "hostile_abort", .summary = "task 1 calls abort()",
     .run = abort_run, .check = check, .init = init},
    {.name = "hostile_fork", .summary = "every task leaves a sleep running",
     .run = fork_run, .check = check, .init = init},
    {.name = "hostile_wait", .summary = "every task waits for a file",
     .run = wait_run, .check = check, .init = init},
    {.name = "hostile_helper", .summary = "every task needs the init's helper",
     .run = helper_run, .check = check, .init = init},
    {.name = "hostile_stay", .summary = "every task leaves a fork running",
     .run = stay_run, .check = check, .init = init},
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
    CONCBENCH_KERNEL_ABI, sizeof kernels / sizeof kernels[0], kernels};
