/*
 * serial: the calling thread runs the tasks one after another, as Python's
 * "direct" loop does. It is the baseline every speedup is measured against,
 * so it does nothing but call the kernel through cb_task_run.
 */
#include "executor.h"

/* No timeout: the caller's thread is the worker, nothing can stop it. */
static int serial_run(struct cb_executor *ex, struct cb_task_result *results,
                      struct cb_error *err)
{
    (void)err;
    const struct cb_worker w = {.slot = 0};
    for (unsigned i = 0; i < ex->job.tasks; i++)
        cb_task_run(&ex->job, i, &w, NULL, &results[i]);
    return 0;
}

const struct cb_mode cb_mode_serial = {
    .name = "serial",
    .summary = "the calling thread runs the tasks one after another",
    .single_worker = true,
    .run = serial_run,
};
