/*
 * A kernel library that tells a test where its tasks ran, for
 * tests/test_concbench.py: libprobe_kernels.so.
 *   probe_pid  every task appends "<pid> <thread id>\n" to the file
 *              CB_PROBE_FILE (one write, O_APPEND: whole lines from any
 *              number of processes), then returns 0 like noop
 *   probe_rss  every task appends "<pid> <RssAnon> <parent pid> <parent's
 *              RssAnon>\n" (kB, from /proc/.../status) to CB_PROBE_FILE
 * A test counts the distinct processes and threads that ran a run's tasks:
 * how often a pool's workers were started; and how big the process that
 * runs a task is, and its parent: whether a mode forked it from the
 * measuring process as it held --parent-rss's memory.
 */
#include "concbench_kernel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

static uint64_t pid_run(const struct concbench_task *t)
{
    (void)t;
    const char *path = getenv("CB_PROBE_FILE");
    if (!path)
        return 1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return 2;
    char line[64];
    int n = snprintf(line, sizeof line, "%ld %ld\n", (long)getpid(),
                     (long)gettid());
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    return w == n ? 0 : 3;
}

/* RssAnon of /proc/<pid>/status in kB; -1 when it cannot be read. */
static long rss_anon_kb(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static uint64_t rss_run(const struct concbench_task *t)
{
    (void)t;
    const char *path = getenv("CB_PROBE_FILE");
    if (!path)
        return 1;
    long self = (long)getpid(), parent = (long)getppid();
    char line[128];
    int n = snprintf(line, sizeof line, "%ld %ld %ld %ld\n", self,
                     rss_anon_kb(self), parent, rss_anon_kb(parent));
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return 2;
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    return w == n ? 0 : 3;
}

static const struct concbench_kernel kernels[] = {
    {.name = "probe_pid", .summary = "every task writes where it ran",
     .run = pid_run, .check = check},
    {.name = "probe_rss", .summary = "every task writes how big its "
     "process and its parent are", .run = rss_run, .check = check},
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
    CONCBENCH_KERNEL_ABI, sizeof kernels / sizeof kernels[0], kernels};
