/*
 * serial: the calling thread runs the tasks one after another, as Python's
 * "direct" loop does. It is the baseline every speedup is measured against,
 * so it does nothing but call the kernel through cb_task_run.
 */
#include "executor.h"

/*
 * The caller's thread is the worker, and nothing can stop a task in it: a
 * task that hangs hangs the batch. The timeout is checked between tasks,
 * so that a batch of tasks that each give up only at the timeout (requests
 * to a server that does not answer) ends after the first.
 */
static int serial_run(struct cb_executor *ex, struct cb_task_result *results,
                      struct cb_error *err)
{
    const struct cb_worker w = {.slot = 0};
    int64_t deadline = cb_job_deadline(&ex->job);
    for (unsigned i = 0; i < ex->job.tasks; i++) {
        if (i > 0 && cb_now_ns() >= deadline) {
            cb_error_set(err, "%u of %u tasks done after %u ms: timed out", i,
                         ex->job.tasks, ex->job.timeout_ms);
            return -1;
        }
        cb_task_run(&ex->job, i, &w, NULL, &results[i]);
    }
    return 0;
}

const struct cb_mode cb_mode_serial = {
    .name = "serial",
    .summary = "the calling thread runs the tasks one after another",
    .single_worker = true,
    .run = serial_run,
    .cpu_ns = cb_cpu_ns_this_process,
};
