/*
 * Making, starting and stopping an executor: the framework's side of every
 * mode. Options are resolved here, once, for the job; the mode's private
 * state is allocated here from the size it declares.
 */
#include "executor.h"

#include "child.h"
#include "guard.h"

#include <stdlib.h>
#include <time.h>

bool cb_mode_has_option(const struct cb_mode *mode,
                        const struct cb_option *option)
{
    for (size_t i = 0; mode->options && mode->options[i]; i++)
        if (mode->options[i] == option)
            return true;
    return false;
}

int64_t cb_cpu_ns_this_process(const struct cb_executor *ex)
{
    (void)ex;
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

unsigned cb_executor_option(const struct cb_executor *ex,
                            const struct cb_option *option)
{
    for (size_t i = 0; ex->mode->options && ex->mode->options[i]; i++)
        if (ex->mode->options[i] == option)
            return ex->opt[i];
    return option->def;
}

static void executor_free(struct cb_executor *ex, bool state_too)
{
    if (state_too) {
        free(ex->state);
        cb_payload_free(&ex->payload);
        free(ex);
    }
    /* else a thread that would not stop may still use all of it */
}

int cb_executor_start(const struct cb_mode *mode, const struct cb_job *job,
                      const struct cb_option_value *given,
                      struct cb_executor **out, struct cb_error *err)
{
    struct cb_executor *ex = calloc(1, sizeof *ex);
    if (!ex) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    ex->mode = mode;
    ex->job = *job;
    ex->job.params.timeout_ms = job->timeout_ms;
    ex->payload.fd = -1;
    ex->job.data = NULL;
    /* Before the mode starts: a pool's forked workers inherit the area. */
    if (job->params.payload) {
        if (cb_payload_make(&ex->payload, job->tasks, job->params.payload,
                            err) < 0) {
            free(ex);
            return -1;
        }
        ex->job.data = &ex->payload;
    }
    for (size_t i = 0; mode->options && mode->options[i]; i++) {
        const struct cb_option *o = mode->options[i];
        struct cb_option_value v = given ? given[i] : cb_option_default(o);
        ex->opt[i] = cb_option_resolve(o, &v, job);
    }
    if (mode->state_size) {
        ex->state = calloc(1, mode->state_size);
        if (!ex->state) {
            executor_free(ex, true);
            cb_error_set(err, "out of memory");
            return -1;
        }
    }
    /* A start that fails leaves what it made to stop, as after a run. */
    cb_guard_running(job->kernel->name, mode->name);
    int rc = mode->start ? mode->start(ex, err) : 0;
    cb_guard_running(NULL, NULL);
    if (rc < 0) {
        cb_executor_stop(ex);
        return -1;
    }
    *out = ex;
    return 0;
}

void cb_executor_stop(struct cb_executor *ex)
{
    if (!ex)
        return;
    cb_guard_running(ex->job.kernel->name, ex->mode->name);
    bool state_free = !ex->mode->stop || ex->mode->stop(ex);
    cb_guard_running(NULL, NULL);
    /* A pool worker's leftovers come here once it has ended (child.h). */
    cb_children_sweep(CB_SWEEP_ALWAYS);
    executor_free(ex, state_free);
}
