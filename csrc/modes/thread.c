/*
 * thread: one new pthread per task, at most W alive, each joined; what
 * Python's threading.Thread per task does. The cost measured is thread
 * creation, scheduling and join, paid once per task. The runner is the
 * framework's (launcher.c), which the gil mode shares.
 */
#include "launcher.h"

static void run_task(void *arg, const struct cb_job *job, unsigned task,
                     int slot, struct cb_task_result *out)
{
    (void)arg;
    cb_task_run(job, task, &(const struct cb_worker){.slot = slot}, NULL, out);
}

static int thread_run(struct cb_executor *ex, struct cb_task_result *results,
                      struct cb_error *err)
{
    return cb_threads_run(&ex->job, results, run_task, NULL, NULL, err);
}

const struct cb_mode cb_mode_thread = {
    .name = "thread",
    .summary = "a new pthread per task, at most W alive, each joined",
    .per_task = true,
    .run = thread_run,
    .cpu_ns = cb_cpu_ns_this_process,
};
