/*
 * One measured batch. The timed region is mode->run alone; checking the
 * results comes after it and is not timed, but no batch counts unless every
 * task ran once, in a worker slot that exists, inside the batch's interval,
 * and returned its right digest.
 */
#include "batch.h"

#include "child.h"
#include "guard.h"

#include <stdlib.h>
#include <string.h>

struct event {
    int64_t t;
    int delta; /* +1 start, -1 end */
};

static int event_cmp(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta; /* an end before a start at the same time */
}

unsigned cb_peak_running(const struct cb_task_result *results, unsigned n)
{
    struct event *ev = malloc(2 * (size_t)n * sizeof *ev);
    if (!ev)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        ev[2 * i] = (struct event){results[i].start_ns, +1};
        ev[2 * i + 1] = (struct event){results[i].end_ns, -1};
    }
    qsort(ev, 2 * (size_t)n, sizeof *ev, event_cmp);
    int running = 0, peak = 0;
    for (size_t i = 0; i < 2 * (size_t)n; i++) {
        running += ev[i].delta;
        if (running > peak)
            peak = running;
    }
    free(ev);
    return (unsigned)peak;
}

static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double start_lag(const struct cb_task_result *results,
                        const struct cb_job *job, int64_t t0)
{
    unsigned first = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t *starts = malloc(job->tasks * sizeof *starts);
    if (!starts)
        return 0;
    for (unsigned i = 0; i < job->tasks; i++)
        starts[i] = results[i].start_ns;
    qsort(starts, job->tasks, sizeof *starts, i64_cmp);
    double sum = 0;
    for (unsigned i = 0; i < first; i++)
        sum += (double)(starts[i] - t0);
    free(starts);
    return sum / first / 1e9;
}

static int check(const struct cb_job *job, const struct cb_task_result *r,
                 unsigned i, int64_t t0, int64_t t1, struct cb_error *err)
{
    char why[160];
    if (!r->filled)
        cb_error_set(err, "task %u: no result", i);
    else if (r->task != i)
        cb_error_set(err, "task %u: result came back as task %u", i, r->task);
    else if (r->worker < 0 || (unsigned)r->worker >= job->workers)
        cb_error_set(err, "task %u: ran in worker %d of %u", i, r->worker,
                     job->workers);
    else if (r->start_ns < t0 || r->end_ns > t1 || r->end_ns < r->start_ns)
        cb_error_set(err, "task %u: ran outside its batch", i);
    else if (!cb_kernel_check(job->kernel, i, r->digest, &job->params, why,
                              sizeof why))
        cb_error_set(err, "task %u: wrong digest: %s", i, why);
    else
        return 0;
    return -1;
}

int cb_batch_run(struct cb_executor *ex, struct cb_task_result *results,
                 struct cb_batch_stats *st, struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    memset(results, 0, job->tasks * sizeof *results);
    if (job->data)
        cb_payload_clear(job->data); /* last batch's outputs do not pass */
    long made = cb_children_mark();
    int64_t cpu0 = ex->mode->cpu_ns ? ex->mode->cpu_ns(ex) : -1;
    cb_guard_running(job->kernel->name, ex->mode->name);
    int64_t t0 = cb_now_ns();
    int rc = ex->mode->run(ex, results, err);
    int64_t t1 = cb_now_ns();
    cb_guard_running(NULL, NULL);
    int64_t cpu1 = cpu0 >= 0 && rc == 0 ? ex->mode->cpu_ns(ex) : -1;
    /* What the batch's tasks left running ends with it (child.h). */
    cb_children_sweep(made);
    if (rc < 0)
        return -1;

    *st = (struct cb_batch_stats){
        .wall_s = (double)(t1 - t0) / 1e9,
        .all_cpu_s = cpu1 >= cpu0 && cpu0 >= 0 ? (double)(cpu1 - cpu0) / 1e9
                                                : -1,
    };
    for (unsigned i = 0; i < job->tasks; i++) {
        const struct cb_task_result *r = &results[i];
        if (check(job, r, i, t0, t1, err) < 0)
            return -1;
        char why[160];
        if (job->data && !cb_payload_check(job->data, i, why, sizeof why)) {
            cb_error_set(err, "task %u: %s", i, why);
            return -1;
        }
        st->bytes_in += (double)r->bytes_in;
        st->bytes_out += (double)r->bytes_out;
        st->move_s += (double)r->move_ns / 1e9;
        st->cpu_s += (double)r->cpu_ns / 1e9;
        st->task_wall_s += (double)(r->end_ns - r->start_ns) / 1e9;
        st->minflt += (double)r->minflt;
        st->nvcsw += (double)r->nvcsw;
        st->nivcsw += (double)r->nivcsw;
        if (r->collected_ns > r->end_ns)
            st->end_lag_s += (double)(r->collected_ns - r->end_ns) / 1e9;
    }
    st->end_lag_s /= job->tasks;
    st->start_lag_s = start_lag(results, job, t0);
    st->peak_running = cb_peak_running(results, job->tasks);
    if (ex->mode->counters)
        st->n_mode_counters = ex->mode->counters(ex, st->mode_counters);
    return 0;
}
