/*
 * The interface every strategy (mode) implements, and what a task reports.
 *
 * A batch is T tasks of one kernel with at most W running at once. A mode
 * runs a batch and fills one cb_task_result per task, each measured inside
 * the worker that ran it. Modes know nothing of Google Benchmark; checking
 * digests and turning results into figures is batch.c's job.
 *
 * Adding a mode: one file in csrc/modes/ defining a const struct cb_mode,
 * one line in the table of modes.c, one line in csrc/meson.build. Its
 * options (options.h), its role if it starts a fresh image (role.h) and
 * the size of its private state are fields of its cb_mode; the driver,
 * --help, the context and the benchmark names pick them up from there.
 */
#ifndef CB_EXECUTOR_H
#define CB_EXECUTOR_H

#include "cb_facts.h"
#include "clock.h"
#include "error.h"
#include "kernels.h"
#include "options.h"
#include "payload.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The limits that keep a batch's pipes and process table within reason,
 * CB_MAX_TASKS and CB_MAX_WORKERS, are in cb_facts.h, with the other facts
 * both sides share (generated from scripts/cbfacts.py).
 */

/* What a batch is, for every mode: set once per benchmark. */
struct cb_job {
    const struct cb_kernel *kernel;
    struct cb_params params;
    unsigned tasks;      /* T */
    unsigned workers;    /* W: at most this many tasks run at once */
    unsigned timeout_ms; /* a batch still running after this is an error */
    /*
     * With params.payload: the batch's inputs and outputs (payload.h), in
     * this process; NULL without. Made by cb_executor_start.
     */
    struct cb_payload *data;
};

/*
 * Where a task's payload is in the worker that runs it, when not in the
 * job's shared area (a worker that got its input through a pipe).
 */
struct cb_task_io {
    const unsigned char *input;
    unsigned char *output;
};

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
    /*
     * The payload moved for this task through pipes (0 where shared), and
     * the time the worker spent moving it: reading its input, writing its
     * output.
     */
    uint64_t bytes_in, bytes_out;
    int64_t move_ns;
    /*
     * When the caller had the result and the worker that ran it was gone:
     * joined or reaped, for the modes with a worker per task (set by the
     * launcher); the task's end where the worker is the caller or lives on.
     */
    int64_t collected_ns;
};

struct cb_role;

/* The most counters a mode adds of its own (cb_mode.counters). */
#define CB_MAX_MODE_COUNTERS 6

/*
 * One counter of a mode's own about a batch, as a ratio whose parts add up
 * over batches: the suite reports name = (sum of num) / (sum of den) over
 * a repetition's batches (gil's mean hand-off: its gaps' total over the
 * hand-offs), and leaves it out where the dens add up to 0.
 */
struct cb_mode_counter {
    const char *name; /* a literal: the JSON's key */
    double num, den;
};

/*
 * A mode started for one job: what start, run and stop work on. The
 * framework makes it (cb_executor_start) and frees it.
 */
struct cb_executor {
    const struct cb_mode *mode;
    struct cb_job job;
    /* The mode's options, resolved for this job, in mode->options order. */
    unsigned opt[CB_MAX_MODE_OPTIONS];
    /* mode->state_size bytes, zeroed, the mode's own; NULL if size 0. */
    void *state;
    struct cb_payload payload; /* job.data points here, with a payload */
};

struct cb_mode {
    const char *name;
    const char *summary;
    bool single_worker; /* runs with W = 1 only */
    bool pool;          /* has workers that outlive a batch */
    bool per_task;      /* starts and ends a worker per task (launcher.h) */
    bool opt_in;        /* runs only when --modes names it */
    /* What the mode may be tuned with; NULL-terminated, or NULL. */
    const struct cb_option *const *options;
    /*
     * Set for a mode that runs tasks in a new program image (its role),
     * which knows only the kernels it finds by name and none of the
     * caller's memory.
     */
    const struct cb_role *role;
    size_t state_size; /* of its private state, ex->state */
    /*
     * Set up what must exist before the timed region (a pool's workers).
     * Returns 0, or -1 with err set; stop is called after a failed start
     * too, so it must take a state that start left half made (zeroed
     * where start did not get to). NULL for modes that need nothing.
     */
    int (*start)(struct cb_executor *ex, struct cb_error *err);
    /*
     * Run one batch of ex->job: results[task] for every task, at most W at
     * once, within the timeout. Returns 0, or -1 with err set. After a
     * failure the executor may only be stopped: a per-task mode has already
     * ended its workers, a pool's stop does.
     */
    int (*run)(struct cb_executor *ex, struct cb_task_result *results,
               struct cb_error *err);
    /*
     * Release what start made; reap every process it forked. Returns false
     * if a thread it could not stop may still use ex->state, which is then
     * left allocated. NULL for modes that need nothing.
     */
    bool (*stop)(struct cb_executor *ex);
    /*
     * Where a started pool's workers run, for a mode whose workers may be
     * on other hosts (mpi_pool under mpirun): each run of workers on one
     * host as HOST:N, in worker order, joined by ',' ("node2:4"); NULL if
     * not known. NULL for modes whose workers are all on this host.
     */
    const char *(*worker_hosts)(const struct cb_executor *ex);
    /*
     * What the mode must learn once for the whole run, in the driver before
     * the first measurement forks (where mpirun has slots for mpi_pool's
     * workers). Returns 0, or -1 with err set: the run does not start.
     * NULL for modes that need nothing.
     */
    int (*setup)(struct cb_error *err);
    /*
     * CPU time so far, in nanoseconds, of every thread and process the
     * mode runs a batch in, busy or waiting: the caller's and its workers'
     * (batch.c reads it before and after a batch: all_cpu_util). -1 if it
     * cannot tell; NULL for modes that do not say (those whose tasks run
     * in processes it does not see: a per-task child's, a server's).
     */
    int64_t (*cpu_ns)(const struct cb_executor *ex);
    /*
     * The mode's own counters about its last batch (gil: its lock's
     * hand-offs), called after a batch that succeeded: fills out[] with at
     * most CB_MAX_MODE_COUNTERS, the same names in the same order every
     * time, and returns how many. NULL for modes that have none.
     */
    size_t (*counters)(const struct cb_executor *ex,
                       struct cb_mode_counter *out);
};

/* Whether mode takes option (a pointer into its options). */
bool cb_mode_has_option(const struct cb_mode *mode,
                        const struct cb_option *option);

/* Whether mode hands out CB_OPTION_CHUNK tasks at a time. */
static inline bool cb_mode_chunked(const struct cb_mode *mode)
{
    return cb_mode_has_option(mode, &cb_option_chunk);
}

/*
 * Make an executor of mode for job, with the options as given (given[i]
 * for option i of mode->options; NULL: every default), and start it.
 * Returns 0 with *out set, or -1 with err set and nothing left.
 */
int cb_executor_start(const struct cb_mode *mode, const struct cb_job *job,
                      const struct cb_option_value *given,
                      struct cb_executor **out, struct cb_error *err);

/* Stop ex and free it (but for the state a stray thread still uses). */
void cb_executor_stop(struct cb_executor *ex);

/* The value of option for ex (its default if ex's mode does not take it). */
unsigned cb_executor_option(const struct cb_executor *ex,
                            const struct cb_option *option);

/* The modes, in the order the suite runs them. */
extern const struct cb_mode *const cb_modes[];
extern const size_t cb_mode_count;
const struct cb_mode *cb_mode_find(const char *name);

/*
 * Every mode's worker runs a task through this: run, measure, fill *out.
 * worker is the slot and hooks of the thread or process running it; io
 * where the task's payload is (NULL: in job->data, or no payload). With a
 * payload the task reads its input and writes its answer, inside the
 * measured interval.
 */
void cb_task_run(const struct cb_job *job, unsigned task,
                 const struct cb_worker *worker, const struct cb_task_io *io,
                 struct cb_task_result *out);

/* The deadline of a batch of job that starts now. */
int64_t cb_job_deadline(const struct cb_job *job);

/*
 * A cpu_ns for a mode that runs everything in this process's threads: this
 * process's CPU time, that of its threads that ended included.
 */
int64_t cb_cpu_ns_this_process(const struct cb_executor *ex);

/* The slots a per-task mode fills: min(W, T). */
unsigned cb_job_slots(const struct cb_job *job);

#ifdef __cplusplus
}
#endif

#endif
