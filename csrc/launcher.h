/*
 * The runner of the per-task modes (thread, gil, process, spawn,
 * forkserver): a new worker per task, at most W alive. It launches the
 * first min(W, T), waits for news from the busy slots, lets the mode
 * collect each slot that has some, refills every slot that frees up with
 * the next task, and at the deadline names the lowest task still running;
 * on any failure it has the mode end every busy worker. What a worker is
 * (a thread, a forked child, a fresh image, a fork of a server) is the
 * mode's: four operations on its own context.
 */
#ifndef CB_LAUNCHER_H
#define CB_LAUNCHER_H

#include "executor.h"

struct cb_launcher {
    void *ctx; /* the mode's: passed to every operation */
    /*
     * Where the mode's results are by the time a slot is collected: the
     * launcher stamps results[task].collected_ns when collect says the
     * task's worker has ended with its result (what ending costs).
     */
    struct cb_task_result *results;
    /* Start task in slot (free). Returns 0, or -1 with err set. */
    int (*launch)(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err);
    /*
     * Wait until deadline_ns for news from the busy slots of [0, n) and set
     * ready[s] for each slot s that has some (ready[] comes cleared).
     * Returns how many, 0 at the deadline, or -1 with err set.
     */
    int (*wait)(void *ctx, unsigned n, const bool *busy, int64_t deadline_ns,
                bool *ready, struct cb_error *err);
    /*
     * Take the news of a ready slot running task. Returns 1 while its
     * worker still runs, 0 once it has ended with its result (the slot is
     * free), or -1 with err set (the slot counts as free).
     */
    int (*collect)(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err);
    /*
     * After a failure: end the workers of the busy slots (kill and reap,
     * cancel and join). Returns false if one could not be ended, having
     * added why to err.
     */
    bool (*abort)(void *ctx, unsigned n, const bool *busy,
                  struct cb_error *err);
};

/*
 * Run job's tasks through l, at most min(W, T) at once, until every task's
 * worker has been collected or the batch's deadline. Returns 0, or -1 with
 * err set after l->abort; *abandoned (if not NULL) is set when abort could
 * not end a worker.
 */
int cb_launch_tasks(const struct cb_job *job, const struct cb_launcher *l,
                    bool *abandoned, struct cb_error *err);

/* Runs one task in the thread made for it, filling *out (cb_task_run). */
typedef void cb_thread_task_fn(void *arg, const struct cb_job *job,
                               unsigned task, int slot,
                               struct cb_task_result *out);

/*
 * The thread-per-task worker, through cb_launch_tasks: each task through
 * body(arg, ...) in a new thread; results[task] for each. On a timeout the
 * busy threads are cancelled (at their cancellation points); one that will
 * not stop within a second is left running, says so in err, and sets
 * *abandoned (if abandoned is not NULL): it may still use arg. Returns 0,
 * or -1 with err set.
 */
int cb_threads_run(const struct cb_job *job, struct cb_task_result *results,
                   cb_thread_task_fn *body, void *arg, bool *abandoned,
                   struct cb_error *err);

#endif
