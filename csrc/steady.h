/*
 * How steady the machine was while the suite measured: a canary (a short
 * fixed CPU loop, the same work every time, timed between repetitions),
 * what else used the CPUs meanwhile (/proc/stat against concbench's own
 * CPU time), and how many CPUs the run may use at most (the cgroup's CPU
 * quota). The driver samples these around every repetition; knowing
 * nothing of kernels, modes or Google Benchmark.
 */
#ifndef CB_STEADY_H
#define CB_STEADY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Run the canary once: a fixed loop of integer work (about 1 ms on a
 * 2020s x86 core) that touches no memory, so its time depends only on
 * how fast this CPU runs this thread now. Returns its rate, in loops per
 * second (one loop = CB_CANARY_STEPS steps).
 */
double cb_canary_rate(void);
#define CB_CANARY_STEPS (1u << 20)

/* The CPU time of the machine and of this process, at one moment. */
struct cb_cpu_sample {
    int64_t wall_ns;   /* CLOCK_MONOTONIC */
    double busy_s;     /* all CPUs, non-idle, from /proc/stat; < 0: unknown */
    double steal_s;    /* all CPUs, stolen by the hypervisor */
    double own_s;      /* this process and its reaped children, user + sys */
};

/* Take a sample; fields that cannot be read are -1. */
void cb_cpu_sample_take(struct cb_cpu_sample *s);

/*
 * Count pid's CPU time, its own and its waited-for children's
 * (/proc/PID/stat), as this process's own in the samples from now on: the
 * forker (isolate.h), whose measuring processes are its children, not
 * this one's. 0: none. Until it is reaped: then this process's children's
 * time holds it.
 */
void cb_cpu_sample_also(pid_t pid);

/*
 * What used the CPUs between a and b, as fractions of one CPU (1.0 = one
 * CPU busy the whole time): steal, and other processes' CPU (busy time
 * that was neither concbench's nor steal). -1 where unknown.
 */
void cb_cpu_between(const struct cb_cpu_sample *a,
                    const struct cb_cpu_sample *b, double *steal_cpus,
                    double *other_cpus);

/*
 * Parse one /proc/stat "cpu " line's jiffies into busy and steal seconds,
 * at hz jiffies a second. Returns 0, or -1 if the line is not one.
 */
int cb_parse_proc_stat_cpu(const char *line, double hz, double *busy_s,
                           double *steal_s);

/*
 * The CPU quota of the cgroup this process is in, as CPUs (1.5 = 150 ms
 * of CPU time every 100 ms), the smallest of its own and its ancestors'
 * (cgroup v2: cpu.max; v1: cpu.cfs_quota_us / cpu.cfs_period_us). root is
 * the cgroup file system's mount ("/sys/fs/cgroup"), self_cgroup the
 * contents of /proc/self/cgroup; both parameters so that the tests can
 * point them at a fake folder. Returns the quota, 0 if none is set
 * ("max", -1, or no such files), or -1 if what is there cannot be read.
 */
double cb_cgroup_cpu_quota(const char *root, const char *self_cgroup);

/* cb_cgroup_cpu_quota of this process: /sys/fs/cgroup, /proc/self/cgroup. */
double cb_cpu_quota(void);

#ifdef __cplusplus
}
#endif

#endif
