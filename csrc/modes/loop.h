/*
 * What the event-loop modes (async, io_uring) share: one thread, the
 * caller's, runs every task of a batch, so a task's usage is the loop's
 * own spent on it (a meter read before and after), and the tasks of a
 * kernel that offers the loop nothing (kernels.h, cb_kernel_async) run
 * inline, one after another.
 */
#ifndef CB_MODES_LOOP_H
#define CB_MODES_LOOP_H

#include "executor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The loop thread's usage at one moment, to charge a span of it to a task. */
struct cb_meter {
    int64_t cpu_ns, minflt, nvcsw, nivcsw;
};

void cb_meter_read(struct cb_meter *m);

/* Charge what the loop used since *since to r; *since becomes now. */
void cb_meter_charge(struct cb_task_result *r, struct cb_meter *since);

/*
 * Tasks that compute: one after another in the loop, in slot 0, the
 * deadline checked between them (a task on the caller's thread cannot be
 * interrupted). Returns 0, or -1 with err set.
 */
int cb_loop_run_inline(const struct cb_job *job,
                       struct cb_task_result *results, int64_t deadline,
                       struct cb_error *err);

#ifdef __cplusplus
}
#endif

#endif
