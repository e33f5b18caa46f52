/* Mode options: parsing, resolving and spelling their values. */
#include "options.h"

#include "executor.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

unsigned cb_chunk_auto(unsigned tasks, unsigned workers)
{
    unsigned per = 4 * workers;
    return tasks == 0 ? 1 : (tasks + per - 1) / per;
}

static unsigned chunk_auto(const struct cb_job *job)
{
    return cb_chunk_auto(job->tasks, job->workers);
}

const struct cb_option cb_option_chunk = {
    .name = "chunk",
    .metavar = "N|auto",
    .help = "tasks a pool worker takes at a time, or auto: ceil(T/(4*W)), "
            "Python's Pool.map rule; named /chunk:N when not 1",
    .min = 1,
    .max = CB_MAX_TASKS,
    .def = 1,
    .resolve_auto = chunk_auto,
    .in_name = true,
};

const struct cb_option cb_option_transport = {
    .name = "transport",
    .metavar = "pipe|shm",
    .help = "how a process-based mode moves a task's payload (--payload): "
            "through pipes, or memory shared before the batch; named "
            "/transport:shm when shm",
    .min = CB_TRANSPORT_PIPE,
    .max = CB_TRANSPORT_SHM,
    .def = CB_TRANSPORT_PIPE,
    .in_name = true,
    .choices = (const char *const[]){"pipe", "shm", NULL},
};

const struct cb_option cb_option_wait = {
    .name = "wait",
    .metavar = "passive|active",
    .help = "how a pool's idle workers and its caller wait: park at once "
            "(passive), or spin first, up to libgomp's default budget, then "
            "park (active); named /wait:active when active",
    .min = CB_WAIT_PASSIVE,
    .max = CB_WAIT_ACTIVE,
    .def = CB_WAIT_PASSIVE,
    .in_name = true,
    .choices = (const char *const[]){"passive", "active", NULL},
};

const struct cb_option cb_option_pool = {
    .name = "pool",
    .metavar = "kept|fresh",
    .help = "a pool's workers: kept, started once outside the timed "
            "batches and reused by every batch (a long-lived Pool); "
            "fresh, started and ended by every batch, inside its time "
            "(with Pool(W) as p: p.map(...), as the seed notes do); "
            "named /pool:fresh when fresh",
    .min = CB_POOL_KEPT,
    .max = CB_POOL_FRESH,
    .def = CB_POOL_KEPT,
    .in_name = true,
    .choices = (const char *const[]){"kept", "fresh", NULL},
};

struct cb_option_value cb_option_default(const struct cb_option *option)
{
    return (struct cb_option_value){.value = option->def};
}

int cb_option_parse(const struct cb_option *option, const char *text,
                    struct cb_option_value *out)
{
    if (option->resolve_auto && strcmp(text, "auto") == 0) {
        *out = (struct cb_option_value){.is_auto = true};
        return 0;
    }
    if (option->choices) {
        for (unsigned i = 0; option->choices[i]; i++) {
            if (strcmp(text, option->choices[i]) == 0) {
                *out = (struct cb_option_value){.value = i};
                return 0;
            }
        }
        return -EINVAL;
    }
    unsigned v;
    int rc = cb_parse_uint(text, option->min, option->max, &v);
    if (rc == 0)
        *out = (struct cb_option_value){.value = v};
    return rc;
}

unsigned cb_option_resolve(const struct cb_option *option,
                           const struct cb_option_value *value,
                           const struct cb_job *job)
{
    if (value->is_auto && option->resolve_auto)
        return option->resolve_auto(job);
    return value->value;
}

void cb_option_format(const struct cb_option *option,
                      const struct cb_option_value *value, char *buf,
                      size_t len)
{
    if (option->choices)
        snprintf(buf, len, "%s", option->choices[value->value]);
    else if (value->is_auto)
        snprintf(buf, len, "auto");
    else
        snprintf(buf, len, "%u", value->value);
}

void cb_option_flag(const struct cb_option *option, char *buf, size_t len)
{
    int n = snprintf(buf, len, "--%s", option->name);
    for (int i = 2; i < n && (size_t)i < len; i++)
        if (buf[i] == '_')
            buf[i] = '-';
}
