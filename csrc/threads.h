/*
 * A new thread per task, at most W alive, each joined: the runner of the
 * thread mode, which the gil mode shares (its threads only add a lock).
 */
#ifndef CB_THREADS_H
#define CB_THREADS_H

#include "executor.h"

/* Runs one task in the thread made for it, filling *out (cb_task_run). */
typedef void cb_thread_task_fn(void *arg, const struct cb_job *job,
                               unsigned task, int worker,
                               struct cb_task_result *out);

/*
 * Run job's tasks, each through body(arg, ...) in a new thread, at most
 * job->workers at once; results[task] for each. On a timeout the busy
 * threads are cancelled (at their cancellation points); one that will not
 * stop within a second is left running, says so in err, and sets
 * *abandoned (if abandoned is not NULL): it may still use arg. Returns 0,
 * or -1 with err set.
 */
int cb_threads_run(const struct cb_job *job, struct cb_task_result *results,
                   cb_thread_task_fn *body, void *arg, bool *abandoned,
                   struct cb_error *err);

#endif
