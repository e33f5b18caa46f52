/*
 * One measured batch: run it through a mode, check every task's result, and
 * reduce the per-task measurements to the figures the suite reports.
 */
#ifndef CB_BATCH_H
#define CB_BATCH_H

#include "executor.h"

struct cb_batch_stats {
    double wall_s;        /* first dispatch to last result */
    double cpu_s;         /* CPU time of all tasks, summed */
    double task_wall_s;   /* wall time of all tasks, summed */
    double minflt;        /* minor faults of all tasks, summed */
    double nvcsw, nivcsw; /* context switches of all tasks, summed */
    double bytes_in, bytes_out, move_s; /* payload moved, summed */
    /*
     * Mean delay from the batch's start to the start of each of the first
     * min(W, T) tasks: what it costs the strategy to get its workers going.
     */
    double start_lag_s;
    /*
     * Mean delay from a task's end inside its worker to the moment the
     * caller had joined or reaped that worker: what ending a worker costs
     * (0 where the caller is the worker or the worker lives on).
     */
    double end_lag_s;
    unsigned peak_running; /* most tasks seen running at the same time */
    /*
     * CPU time of every thread and process of the mode during the batch
     * (its cpu_ns before and after), busy or waiting; -1 where the mode
     * does not say.
     */
    double all_cpu_s;
    /* The mode's own counters of this batch (cb_mode.counters). */
    struct cb_mode_counter mode_counters[CB_MAX_MODE_COUNTERS];
    size_t n_mode_counters;
};

/*
 * Run one batch of ex's job on ex (cb_executor_start), check its results
 * and fill *st. results has room for the job's tasks. Only the call to the
 * mode's run is timed. Returns 0, or -1 with err naming the task and the
 * cause (a failed worker, a timeout, a wrong digest, a lost result).
 */
int cb_batch_run(struct cb_executor *ex, struct cb_task_result *results,
                 struct cb_batch_stats *st, struct cb_error *err);

/* The most of results[0..n) whose [start, end) intervals overlap. */
unsigned cb_peak_running(const struct cb_task_result *results, unsigned n);

#endif
