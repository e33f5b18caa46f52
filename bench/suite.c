/*
 * The benchmark body. Google Benchmark decides how many iterations to run;
 * each iteration is one whole batch, and its wall time (only the mode's run,
 * not the checks) is the iteration's manual time. A pool is started before
 * the loop and its start-up time is a counter, not part of any batch.
 */
#include "suite.h"

#include "batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAX_FAILURES = 64 };
static char failures[MAX_FAILURES][sizeof(((struct cb_error *)0)->msg) + 128];
static unsigned n_failures;

unsigned cb_suite_failures(void)
{
    return n_failures;
}

const char *cb_suite_failure(unsigned i)
{
    return i < n_failures && i < MAX_FAILURES ? failures[i] : "";
}

void cb_suite_note_failure(const char *name, char *failed, size_t failed_len,
                           const char *msg)
{
    if (failed[0])
        return;
    if (n_failures < MAX_FAILURES)
        snprintf(failures[n_failures], sizeof failures[0], "%s: %s", name,
                 msg);
    n_failures++;
    snprintf(failed, failed_len, "%s", msg);
}

/* The benchmark name failed with err: record it once, skip this run. */
static void fail(cb_gbench_state *state, const char *name, char *failed,
                 size_t failed_len, const struct cb_error *err)
{
    cb_suite_note_failure(name, failed, failed_len, err->msg);
    cb_gbench_skip_with_error(state, err->msg);
}

/*
 * fail, before the benchmark's loop has started: it enters the loop first,
 * as failed_before does and for the same reason.
 */
static void fail_before_loop(cb_gbench_state *state, struct cb_suite_case *c,
                             const struct cb_error *err)
{
    (void)cb_gbench_keep_running(state);
    fail(state, c->name, c->failed, sizeof c->failed, err);
}

/*
 * A repetition of a benchmark that failed before: the same error, no batch
 * run. It skips inside the loop, as a failing batch does: Google Benchmark
 * 1.7.1 aborts when a benchmark's repetitions report different iteration
 * counts, and one skipped before its loop reports 0.
 */
static bool failed_before(cb_gbench_state *state, const char *failed)
{
    if (!failed[0])
        return false;
    char msg[sizeof(((struct cb_suite_case *)0)->failed) + 32];
    snprintf(msg, sizeof msg, "%s (in an earlier repetition)", failed);
    if (cb_gbench_keep_running(state))
        cb_gbench_skip_with_error(state, msg);
    return true;
}

/* snprintf at *len into buf, keeping *len at most size - 1. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

void cb_suite_case_name(struct cb_suite_case *c)
{
    const struct cb_job *j = &c->job;
    size_t n = 0, l = 0;
    c->name[0] = c->label[0] = '\0';
    append(c->name, sizeof c->name, &n, "%s/%s/tasks:%u/workers:%u",
           j->kernel->name, c->mode->name, j->tasks, j->workers);
    append(c->label, sizeof c->label, &l, "kernel=%s mode=%s tasks=%u "
           "workers=%u", j->kernel->name, c->mode->name, j->tasks,
           j->workers);
    for (size_t i = 0; c->mode->options && c->mode->options[i]; i++) {
        const struct cb_option *o = c->mode->options[i];
        char value[16];
        cb_option_format(o, &c->opt[i], value, sizeof value);
        append(c->label, sizeof c->label, &l, " %s=%s", o->name, value);
        if (o->in_name && (c->opt[i].is_auto || c->opt[i].value != o->def))
            append(c->name, sizeof c->name, &n, "/%s:%s", o->name, value);
    }
    /* A payload only when there is one, so that names without stay. */
    if (j->params.payload) {
        char size[32];
        cb_payload_format(j->params.payload, size, sizeof size);
        append(c->name, sizeof c->name, &n, "/payload:%s", size);
        append(c->label, sizeof c->label, &l, " payload=%llu",
               (unsigned long long)j->params.payload);
    }
}

/* Sums over the iterations of one run. */
struct totals {
    double batches, wall_s, cpu_s, task_wall_s, minflt, nvcsw, nivcsw,
        start_lag_s, end_lag_s, peak_running, bytes_in, bytes_out, move_s;
    double all_cpu_s; /* < 0 once a batch's was not known */
};

static void report(cb_gbench_state *state, const struct cb_suite_case *c,
                   const struct cb_executor *ex, const struct totals *t,
                   double pool_start_s)
{
    double tasks = t->batches * c->job.tasks;
    cb_gbench_set_counter(state, "tasks_per_s", c->job.tasks,
                          CB_GBENCH_COUNTER_RATE |
                              CB_GBENCH_COUNTER_ITERATION_INVARIANT);
    /* A ratio (CPU seconds per wall second), so not a rate: no "/s". */
    cb_gbench_set_counter(state, "cpu_util", t->cpu_s / t->wall_s, 0);
    /* The mode's whole CPU (waiting included), where the mode says it. */
    if (t->all_cpu_s >= 0)
        cb_gbench_set_counter(state, "all_cpu_util", t->all_cpu_s / t->wall_s,
                              0);
    cb_gbench_set_counter(state, "task_cpu_s", t->cpu_s / tasks, 0);
    cb_gbench_set_counter(state, "task_wall_s", t->task_wall_s / tasks, 0);
    cb_gbench_set_counter(state, "faults_per_task", t->minflt / tasks, 0);
    cb_gbench_set_counter(state, "vcsw_per_task", t->nvcsw / tasks, 0);
    cb_gbench_set_counter(state, "ivcsw_per_task", t->nivcsw / tasks, 0);
    cb_gbench_set_counter(state, "start_lag_s", t->start_lag_s / t->batches, 0);
    if (c->mode->per_task)
        cb_gbench_set_counter(state, "end_lag_s", t->end_lag_s / t->batches,
                              0);
    cb_gbench_set_counter(state, "peak_running", t->peak_running / t->batches,
                          0);
    if (c->mode->pool)
        cb_gbench_set_counter(state, "pool_start_s", pool_start_s, 0);
    if (c->job.params.payload) {
        /* What went through pipes (0 where memory was shared), and how
         * long the worker spent moving it. */
        cb_gbench_set_counter(state, "bytes_in_per_task", t->bytes_in / tasks,
                              0);
        cb_gbench_set_counter(state, "bytes_out_per_task",
                              t->bytes_out / tasks, 0);
        cb_gbench_set_counter(state, "move_s_per_task", t->move_s / tasks, 0);
    }
    if (cb_mode_chunked(c->mode))
        cb_gbench_set_counter(state, "chunk",
                              cb_executor_option(ex, &cb_option_chunk), 0);
}

void cb_suite_bench(cb_gbench_state *state, void *arg)
{
    struct cb_suite_case *c = arg;
    struct cb_error err = {{0}};
    struct cb_executor *ex = NULL;
    cb_gbench_set_label(state, c->label);
    if (failed_before(state, c->failed))
        return;

    int64_t t0 = cb_now_ns();
    if (cb_executor_start(c->mode, &c->job, c->opt, &ex, &err) < 0) {
        fail_before_loop(state, c, &err);
        return;
    }
    double pool_start_s = (double)(cb_now_ns() - t0) / 1e9;
    /* Where the workers run, when they may run elsewhere: in the label. */
    const char *hosts = c->mode->worker_hosts ? c->mode->worker_hosts(ex)
                                              : NULL;
    if (hosts) {
        char label[sizeof c->label + 1040];
        snprintf(label, sizeof label, "%s worker_hosts=%s", c->label, hosts);
        cb_gbench_set_label(state, label);
    }

    struct cb_task_result *results = calloc(c->job.tasks, sizeof *results);
    if (!results) {
        cb_error_set(&err, "out of memory");
        fail_before_loop(state, c, &err);
        goto out;
    }
    struct totals t = {0};
    while (cb_gbench_keep_running(state)) {
        struct cb_batch_stats st;
        if (cb_batch_run(ex, results, &st, &err) < 0) {
            fail(state, c->name, c->failed, sizeof c->failed, &err);
            goto out;
        }
        cb_gbench_set_iteration_time(state, st.wall_s);
        t.batches++;
        t.wall_s += st.wall_s;
        t.cpu_s += st.cpu_s;
        t.task_wall_s += st.task_wall_s;
        t.minflt += st.minflt;
        t.nvcsw += st.nvcsw;
        t.nivcsw += st.nivcsw;
        t.start_lag_s += st.start_lag_s;
        t.end_lag_s += st.end_lag_s;
        t.bytes_in += st.bytes_in;
        t.bytes_out += st.bytes_out;
        t.move_s += st.move_s;
        t.peak_running += st.peak_running;
        t.all_cpu_s = st.all_cpu_s < 0 || t.all_cpu_s < 0
                          ? -1
                          : t.all_cpu_s + st.all_cpu_s;
    }
    if (t.batches > 0)
        report(state, c, ex, &t, pool_start_s);
out:
    free(results);
    cb_executor_stop(ex);
}

void cb_suite_baseline_name(struct cb_suite_baseline *c)
{
    snprintf(c->name, sizeof c->name, "baseline/%s/tasks:%u",
             c->baseline->name, c->tasks);
    snprintf(c->label, sizeof c->label, "baseline=%s tasks=%u",
             c->baseline->name, c->tasks);
}

void cb_suite_baseline_bench(cb_gbench_state *state, void *arg)
{
    struct cb_suite_baseline *c = arg;
    struct cb_error err = {{0}};
    cb_gbench_set_label(state, c->label);
    if (failed_before(state, c->failed))
        return;
    while (cb_gbench_keep_running(state)) {
        int64_t t0 = cb_now_ns();
        if (c->baseline->run(c->baseline, c->tasks, &c->params, &err) < 0) {
            fail(state, c->name, c->failed, sizeof c->failed, &err);
            return;
        }
        cb_gbench_set_iteration_time(state, (double)(cb_now_ns() - t0) / 1e9);
    }
    cb_gbench_set_counter(state, "tasks_per_s", c->tasks,
                          CB_GBENCH_COUNTER_RATE |
                              CB_GBENCH_COUNTER_ITERATION_INVARIANT);
    /* Time per switch: the batch time over its switches. */
    if (c->baseline->switches_per_task)
        cb_gbench_set_counter(state, "switch_s",
                              (double)c->tasks *
                                  c->baseline->switches_per_task,
                              CB_GBENCH_COUNTER_RATE |
                                  CB_GBENCH_COUNTER_ITERATION_INVARIANT |
                                  CB_GBENCH_COUNTER_INVERT);
}
