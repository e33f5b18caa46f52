/*
 * The interface every strategy (mode) implements, and what a task reports.
 *
 * A batch is T tasks of one kernel with at most W running at once. A mode
 * runs a batch and fills one cb_task_result per task, each measured inside
 * the worker that ran it. Modes know nothing of Google Benchmark; checking
 * digests and turning results into figures is batch.c's job.
 */
#ifndef CB_EXECUTOR_H
#define CB_EXECUTOR_H

#include "kernels.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits that keep a batch's pipes and process table within reason. */
#define CB_MAX_TASKS 4096u
#define CB_MAX_WORKERS 256u

/* What a batch is: set once per benchmark, the same for every batch. */
struct cb_job {
    const struct cb_kernel *kernel;
    struct cb_params params;
    unsigned tasks;      /* T */
    unsigned workers;    /* W: at most this many tasks run at once */
    unsigned timeout_ms; /* a batch still running after this is an error */
    unsigned chunk;      /* pools: tasks a worker takes at a time (0 = 1) */
    unsigned switch_us;  /* gil: the switch interval (0 = CB_SWITCH_US) */
};

/* Python's default switch interval, sys.getswitchinterval(): 5 ms. */
#define CB_SWITCH_US 5000u

/* The chunk size Python's Pool.map picks: ceil(T / (4 W)). */
unsigned cb_chunk_auto(unsigned tasks, unsigned workers);

/*
 * One task's outcome, measured by the worker that ran it. Times are
 * CLOCK_MONOTONIC nanoseconds, comparable across the processes of a batch.
 * Process modes send this struct over a pipe, so it holds no pointers and is
 * far below PIPE_BUF.
 */
struct cb_task_result {
    uint32_t task;   /* the index the worker ran */
    int32_t worker;  /* which worker slot ran it, 0..W-1 */
    uint32_t filled; /* non-zero once a worker has written this result */
    uint32_t reserved;
    uint64_t digest;
    int64_t start_ns, end_ns;
    int64_t cpu_ns; /* CPU time of the worker thread during the task */
    int64_t minflt; /* minor page faults during the task */
    int64_t nvcsw;  /* voluntary context switches */
    int64_t nivcsw; /* involuntary context switches */
};

/* Error text a mode hands back: one line naming the task and the cause. */
struct cb_error {
    char msg[256];
};

void cb_error_set(struct cb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct cb_executor; /* a mode's private state */

struct cb_mode {
    const char *name;
    const char *summary;
    bool single_worker; /* runs with W = 1 only */
    bool pool;          /* has workers that outlive a batch */
    bool chunked;       /* hands out job->chunk tasks at a time */
    /*
     * Runs tasks in a new program image, which knows only the kernels of
     * cb_kernels and cb_fault_kernels (found by name) and none of the
     * caller's memory.
     */
    bool fresh_image;
    /*
     * Set up what must exist before the timed region (a pool's workers).
     * Returns 0, or -1 with err set. NULL for modes that need nothing:
     * they get a NULL executor.
     */
    int (*start)(const struct cb_job *job, struct cb_executor **out,
                 struct cb_error *err);
    /*
     * Run one batch of job, the job start was given: results[task] for every
     * task, at most job->workers at once, within job->timeout_ms. Returns 0,
     * or -1 with err set. After a failure the executor may only be stopped:
     * a per-task mode has already ended its workers, a pool's stop does.
     */
    int (*run)(struct cb_executor *ex, const struct cb_job *job,
               struct cb_task_result *results, struct cb_error *err);
    /* Release everything start made; reaps every process it forked. */
    void (*stop)(struct cb_executor *ex);
};

/* The modes, in the order the suite runs them. */
extern const struct cb_mode *const cb_modes[];
extern const size_t cb_mode_count;
const struct cb_mode *cb_mode_find(const char *name);

/* Every mode's worker runs a task through this: run, measure, fill *out. */
void cb_task_run(const struct cb_job *job, unsigned task, int worker,
                 struct cb_task_result *out);

int64_t cb_now_ns(void);

/* CLOCK_MONOTONIC time ns as a timespec, for timed waits. */
struct timespec;
void cb_ns_to_timespec(int64_t ns, struct timespec *ts);

/* "task 3 (and 2 more) still running after 500 ms: timed out". */
void cb_error_timeout(struct cb_error *err, unsigned first_task,
                      unsigned running, unsigned timeout_ms);

/*
 * The timeout error of a pool, from the task each of its n workers is
 * running (current[i] < 0: none): names the lowest, or says how many of the
 * tasks were done if no worker is busy.
 */
void cb_error_pool_timeout(struct cb_error *err, const int *current,
                           unsigned n, unsigned done, unsigned tasks,
                           unsigned timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
