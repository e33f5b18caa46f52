/* async: not yet written. */
#include "executor.h"

static int async_run(struct cb_executor *ex, const struct cb_job *job,
                    struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    (void)job;
    (void)results;
    cb_error_set(err, "async: not written yet");
    return -1;
}

const struct cb_mode cb_mode_async = {
    .name = "async",
    .summary = "not written yet",
    .run = async_run,
};
