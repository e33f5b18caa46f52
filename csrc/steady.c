/* The canary, CPU-time samples and the cgroup CPU quota (steady.h). */
#include "steady.h"

#include "clock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Where the loop's result goes, so that the compiler must compute it. */
static volatile uint64_t canary_sink;

double cb_canary_rate(void)
{
    /* xorshift64: each step depends on the last, so it cannot be skipped. */
    uint64_t x = 0x9e3779b97f4a7c15u;
    int64_t t0 = cb_now_ns();
    for (unsigned i = 0; i < CB_CANARY_STEPS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    int64_t t1 = cb_now_ns();
    canary_sink = x;
    return t1 > t0 ? 1e9 / (double)(t1 - t0) : 0;
}

int cb_parse_proc_stat_cpu(const char *line, double hz, double *busy_s,
                           double *steal_s)
{
    /* cpu user nice system idle iowait irq softirq steal guest guest_nice */
    unsigned long long v[10] = {0};
    if (strncmp(line, "cpu ", 4) != 0) /* not cpu0, cpu1, ...: all CPUs */
        return -1;
    int n = sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                   "%llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7], &v[8], &v[9]);
    if (n < 4 || hz <= 0)
        return -1;
    /*
     * Busy: everything but idle and iowait. Guest time is already counted
     * in user and nice, and steal is time this machine did not get.
     */
    unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6];
    *busy_s = (double)busy / hz;
    *steal_s = (double)v[7] / hz;
    return 0;
}

static pid_t also_pid;

void cb_cpu_sample_also(pid_t pid)
{
    also_pid = pid;
}

/*
 * pid's CPU seconds, its own and its reaped children's, from
 * /proc/PID/stat (utime, stime, cutime, cstime: fields 14 to 17); -1 if
 * it cannot be read.
 */
static double cpu_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command may hold spaces */
    if (!p)
        return -1;
    unsigned long long v[4];
    /* After ")": state (3), then fields 4 to 13, then 14 to 17. */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
                      "%llu %llu %llu",
               &v[0], &v[1], &v[2], &v[3]) != 4)
        return -1;
    return (double)(v[0] + v[1] + v[2] + v[3]) /
           (double)sysconf(_SC_CLK_TCK);
}

void cb_cpu_sample_take(struct cb_cpu_sample *s)
{
    *s = (struct cb_cpu_sample){.wall_ns = cb_now_ns(), .busy_s = -1,
                                .steal_s = -1, .own_s = -1};
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        char line[512];
        if (fgets(line, sizeof line, f))
            cb_parse_proc_stat_cpu(line, (double)sysconf(_SC_CLK_TCK),
                                   &s->busy_s, &s->steal_s);
        fclose(f);
    }
    struct rusage self, kids;
    if (getrusage(RUSAGE_SELF, &self) == 0 &&
        getrusage(RUSAGE_CHILDREN, &kids) == 0) {
        double us = (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
                             kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) *
                        1e6 +
                    (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
                             kids.ru_utime.tv_usec + kids.ru_stime.tv_usec);
        s->own_s = us / 1e6;
        if (also_pid > 0) {
            double also = cpu_of(also_pid);
            if (also >= 0)
                s->own_s += also;
        }
    }
}

void cb_cpu_between(const struct cb_cpu_sample *a,
                    const struct cb_cpu_sample *b, double *steal_cpus,
                    double *other_cpus)
{
    double wall = (double)(b->wall_ns - a->wall_ns) / 1e9;
    *steal_cpus = *other_cpus = -1;
    if (wall <= 0 || a->busy_s < 0 || b->busy_s < 0)
        return;
    *steal_cpus = (b->steal_s - a->steal_s) / wall;
    if (a->own_s < 0 || b->own_s < 0)
        return;
    double other = (b->busy_s - a->busy_s) - (b->own_s - a->own_s);
    /*
     * /proc/stat counts in jiffies and rusage in microseconds: a short span
     * can come out a little below zero, which is no CPU at all.
     */
    *other_cpus = other > 0 ? other / wall : 0;
}

/* Read a whole small file into buf; -1 if it cannot be read. */
static int read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* A quota from cgroup v2's cpu.max: "max 100000" or "150000 100000". */
static double v2_quota(const char *dir, bool *found)
{
    char path[PATH_MAX + 32], text[128];
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (read_small(path, text, sizeof text) < 0)
        return 0;
    *found = true;
    char quota[32];
    unsigned long long period;
    if (sscanf(text, "%31s %llu", quota, &period) != 2 || period == 0)
        return -1;
    if (strcmp(quota, "max") == 0)
        return 0;
    char *end;
    errno = 0;
    unsigned long long q = strtoull(quota, &end, 10);
    if (*end || errno || q == 0)
        return -1;
    return (double)q / (double)period;
}

/* A quota from cgroup v1's cpu.cfs_quota_us (-1: none) and period. */
static double v1_quota(const char *dir, bool *found)
{
    char path[PATH_MAX + 32], text[64];
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (read_small(path, text, sizeof text) < 0)
        return 0;
    *found = true;
    long long quota;
    if (sscanf(text, "%lld", &quota) != 1)
        return -1;
    if (quota < 0)
        return 0;
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    unsigned long long period;
    if (read_small(path, text, sizeof text) < 0 ||
        sscanf(text, "%llu", &period) != 1 || period == 0 || quota == 0)
        return -1;
    return (double)quota / (double)period;
}

/*
 * The smallest quota on the way from base/path up to base, 0 if none;
 * -1 if a file there cannot be read as a quota.
 */
static double smallest_up(const char *base, const char *path,
                          double (*quota_of)(const char *, bool *))
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s%s", base, path) >= (int)sizeof dir)
        return -1;
    size_t base_len = strlen(base);
    double best = 0;
    for (;;) {
        bool found = false;
        double q = quota_of(dir, &found);
        if (q < 0)
            return -1;
        if (q > 0 && (best == 0 || q < best))
            best = q;
        char *slash = strrchr(dir + base_len, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    return best;
}

/* Whether the comma-separated list holds name itself ("cpu,cpuacct"). */
static bool has_controller(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

double cb_cgroup_cpu_quota(const char *root, const char *self_cgroup)
{
    double best = 0;
    const char *line = self_cgroup;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char entry[PATH_MAX];
        if (len >= sizeof entry)
            return -1;
        memcpy(entry, line, len);
        entry[len] = '\0';
        line = nl ? nl + 1 : NULL;
        /* "0::/path" (v2) or "4:cpu,cpuacct:/path" (v1). */
        char *c1 = strchr(entry, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        if (strcmp(path, "/") == 0)
            path = "";
        double q = 0;
        char base[PATH_MAX];
        if (controllers[0] == '\0') {
            q = smallest_up(root, path, v2_quota);
        } else if (has_controller(controllers, "cpu")) {
            snprintf(base, sizeof base, "%s/%s", root, controllers);
            q = smallest_up(base, path, v1_quota);
        } else {
            continue;
        }
        if (q < 0)
            return -1;
        if (q > 0 && (best == 0 || q < best))
            best = q;
    }
    return best;
}

double cb_cpu_quota(void)
{
    char self[4096];
    if (read_small("/proc/self/cgroup", self, sizeof self) < 0)
        return 0;
    return cb_cgroup_cpu_quota("/sys/fs/cgroup", self);
}
