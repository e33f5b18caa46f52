/* Error text (error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

void cb_error_set(struct cb_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

void cb_error_timeout(struct cb_error *err, unsigned first_task,
                      unsigned running, unsigned timeout_ms)
{
    if (running > 1)
        cb_error_set(err, "task %u (and %u more) still running after %u ms: "
                     "timed out", first_task, running - 1, timeout_ms);
    else
        cb_error_set(err, "task %u still running after %u ms: timed out",
                     first_task, timeout_ms);
}

void cb_error_pool_timeout(struct cb_error *err, const int *current,
                           unsigned n, unsigned done, unsigned tasks,
                           unsigned timeout_ms)
{
    unsigned first = tasks, running = 0;
    for (unsigned i = 0; i < n; i++) {
        if (current[i] < 0)
            continue;
        running++;
        if ((unsigned)current[i] < first)
            first = (unsigned)current[i];
    }
    if (running > 0)
        cb_error_timeout(err, first, running, timeout_ms);
    else
        cb_error_set(err, "%u of %u tasks done after %u ms: timed out", done,
                     tasks, timeout_ms);
}
