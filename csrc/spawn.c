/* spawn: not yet written. */
#include "executor.h"

static int spawn_run(struct cb_executor *ex, const struct cb_job *job,
                    struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    (void)job;
    (void)results;
    cb_error_set(err, "spawn: not written yet");
    return -1;
}

const struct cb_mode cb_mode_spawn = {
    .name = "spawn",
    .summary = "not written yet",
    .run = spawn_run,
};
