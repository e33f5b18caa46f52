/*
 * The benchmark body. Google Benchmark decides how many iterations to run;
 * each iteration is one whole batch, and its wall time (only the mode's run,
 * not the checks) is the iteration's manual time. A pool is started before
 * the first call's loop, its start-up time a counter, not part of any
 * batch, and serves every call of the repetition (Google Benchmark makes
 * several as it grows the iterations); with pool:fresh each batch starts
 * its own workers and ends them, inside its time. With --parent-rss the
 * measuring process holds that memory from its first call, before the
 * executor starts, to its end (cb_suite_release): the pool's workers,
 * kept or fresh, and every task a mode forks are forked from a parent of
 * that size.
 */
#include "suite.h"

#include "batch.h"
#include "parent_rss.h"
#include "parse.h"
#include "sysinfo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * /parent_rss:<B> after the name and parent_rss=<bytes> after the label,
 * only when not 0, so that names and labels without stay.
 */
static void append_parent_rss(char *name, size_t name_size, size_t *n,
                              char *label, size_t label_size, size_t *l,
                              uint64_t parent_rss)
{
    if (!parent_rss)
        return;
    char size[32], bytes[32];
    cb_format_size(parent_rss, size, sizeof size);
    snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)parent_rss);
    append(name, name_size, n, CB_NAME_PART, "parent_rss", size);
    append(label, label_size, l, CB_LABEL_PART, "parent_rss", bytes);
}

void cb_suite_case_name(struct cb_suite_case *c)
{
    const struct cb_job *j = &c->job;
    size_t n = 0, l = 0;
    c->name[0] = c->label[0] = '\0';
    append(c->name, sizeof c->name, &n, CB_NAME_HEAD, j->kernel->name,
           c->mode->name, j->tasks, j->workers);
    append(c->label, sizeof c->label, &l, CB_LABEL_HEAD, j->kernel->name,
           c->mode->name, j->tasks, j->workers);
    for (size_t i = 0; c->mode->options && c->mode->options[i]; i++) {
        const struct cb_option *o = c->mode->options[i];
        char value[16];
        cb_option_format(o, &c->opt[i], value, sizeof value);
        append(c->label, sizeof c->label, &l, CB_LABEL_PART, o->name, value);
        if (o->in_name && (c->opt[i].is_auto || c->opt[i].value != o->def))
            append(c->name, sizeof c->name, &n, CB_NAME_PART, o->name, value);
    }
    /* A payload only when there is one, so that names without stay. */
    if (j->params.payload) {
        char size[32], bytes[32];
        cb_payload_format(j->params.payload, size, sizeof size);
        snprintf(bytes, sizeof bytes, "%llu",
                 (unsigned long long)j->params.payload);
        append(c->name, sizeof c->name, &n, CB_NAME_PART, "payload", size);
        append(c->label, sizeof c->label, &l, CB_LABEL_PART, "payload", bytes);
    }
    append_parent_rss(c->name, sizeof c->name, &n, c->label, sizeof c->label,
                      &l, c->parent_rss);
}

/* The value of option for c's job (its default if c's mode has none). */
static unsigned option(const struct cb_suite_case *c,
                       const struct cb_option *option)
{
    for (size_t i = 0; c->mode->options && c->mode->options[i]; i++)
        if (c->mode->options[i] == option)
            return cb_option_resolve(option, &c->opt[i], &c->job);
    return option->def;
}

/* Batch times kept for a run's median batch (the last ones, at most). */
enum { BATCH_TIMES = 1024 };

/* Sums over the iterations of one run. */
struct totals {
    double batches, wall_s, cpu_s, task_wall_s, minflt, nvcsw, nivcsw,
        start_lag_s, end_lag_s, peak_running, bytes_in, bytes_out, move_s;
    /*
     * The repetition's fastest and median batch, which the slow spells a
     * VM has inside a repetition move less than the mean (its time); the
     * median over its last BATCH_TIMES batches.
     */
    double batch_min_s;
    double batch_s[BATCH_TIMES];
    /*
     * The mode's whole CPU over its batches' runs (< 0 once a batch's was
     * not known) and those runs' time: a fresh pool's start and stop are
     * in wall_s but not in all_cpu_s (batch.c reads it around the run).
     */
    double all_cpu_s, run_wall_s;
    /* The mode's own counters, their parts summed (cb_mode.counters). */
    struct cb_mode_counter mode[CB_MAX_MODE_COUNTERS];
    size_t n_mode;
};

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of the batch times kept (the mean of the middle two). */
static double median_batch(const struct totals *t)
{
    size_t n = t->batches < BATCH_TIMES ? (size_t)t->batches : BATCH_TIMES;
    double sorted[BATCH_TIMES];
    memcpy(sorted, t->batch_s, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, by_value);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static void report(cb_gbench_state *state, const struct cb_suite_case *c,
                   const struct totals *t, double pool_start_s)
{
    double tasks = t->batches * c->job.tasks;
    cb_gbench_set_counter(state, "tasks_per_s", c->job.tasks,
                          CB_GBENCH_COUNTER_RATE |
                              CB_GBENCH_COUNTER_ITERATION_INVARIANT);
    /* A ratio (CPU seconds per wall second), so not a rate: no "/s". */
    cb_gbench_set_counter(state, "cpu_util", t->cpu_s / t->wall_s, 0);
    /* The mode's whole CPU (waiting included), where the mode says it. */
    if (t->all_cpu_s >= 0)
        cb_gbench_set_counter(state, "all_cpu_util",
                              t->all_cpu_s / t->run_wall_s, 0);
    cb_gbench_set_counter(state, "task_cpu_s", t->cpu_s / tasks, 0);
    cb_gbench_set_counter(state, "batch_min_s", t->batch_min_s, 0);
    cb_gbench_set_counter(state, "batch_median_s", median_batch(t), 0);
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
        cb_gbench_set_counter(state, "chunk", option(c, &cb_option_chunk), 0);
    for (size_t i = 0; i < t->n_mode; i++)
        if (t->mode[i].den > 0)
            cb_gbench_set_counter(state, t->mode[i].name,
                                  t->mode[i].num / t->mode[i].den, 0);
}

/* The cases whose executors are kept, newest first. */
static struct cb_suite_case *kept_cases;

/*
 * The memory this measuring process holds for --parent-rss (one size at a
 * time: a process measures one benchmark), and its resident size once it
 * held it.
 */
static struct cb_parent_rss held;
static double held_rss_bytes;

/*
 * Hold bytes for --parent-rss, unless held already: before the executor
 * starts, so that its workers are forked from a parent of that size.
 * Returns 0, or -1 with err set.
 */
static int hold_parent_rss(uint64_t bytes, struct cb_error *err)
{
    if (held.bytes == bytes && (held.addr || !bytes))
        return 0;
    cb_parent_rss_release(&held);
    if (cb_parent_rss_hold(&held, bytes, err) < 0)
        return -1;
    unsigned long long rss = 0, mapped = 0;
    cb_self_memory(&rss, &mapped);
    held_rss_bytes = (double)rss;
    return 0;
}

/* With --parent-rss, the measuring process's resident size as it held
 * that memory (before any executor started). */
static void report_parent_rss(cb_gbench_state *state, uint64_t parent_rss)
{
    if (parent_rss && held_rss_bytes > 0)
        cb_gbench_set_counter(state, "parent_rss_held_bytes", held_rss_bytes,
                              0);
}

/* c's kept executor, stopped and forgotten. */
static void release(struct cb_suite_case *c)
{
    for (struct cb_suite_case **p = &kept_cases; *p; p = &(*p)->next_kept) {
        if (*p == c) {
            *p = c->next_kept;
            break;
        }
    }
    cb_executor_stop(c->kept);
    c->kept = NULL;
    c->next_kept = NULL;
}

void cb_suite_release(void)
{
    while (kept_cases)
        release(kept_cases);
    cb_parent_rss_release(&held);
    held_rss_bytes = 0;
}

/* Start an executor for c, timed; 0, or -1 with err set. */
static int start(struct cb_suite_case *c, struct cb_executor **ex,
                 double *start_s, struct cb_error *err)
{
    int64_t t0 = cb_now_ns();
    if (cb_executor_start(c->mode, &c->job, c->opt, ex, err) < 0)
        return -1;
    *start_s = (double)(cb_now_ns() - t0) / 1e9;
    return 0;
}

/* Where the workers run, when they may run elsewhere: in the label. */
static void label_hosts(cb_gbench_state *state, const struct cb_suite_case *c,
                        const struct cb_executor *ex)
{
    const char *hosts = c->mode->worker_hosts ? c->mode->worker_hosts(ex)
                                              : NULL;
    if (hosts) {
        char label[sizeof c->label + 1040];
        snprintf(label, sizeof label, "%s worker_hosts=%s", c->label, hosts);
        cb_gbench_set_label(state, label);
    }
}

/* Whether c's workers are started and ended by every batch. */
static bool fresh(const struct cb_suite_case *c)
{
    return option(c, &cb_option_pool) == CB_POOL_FRESH;
}

static void add(struct totals *t, const struct cb_batch_stats *st, double wall_s)
{
    if (t->batches == 0 || wall_s < t->batch_min_s)
        t->batch_min_s = wall_s;
    t->batch_s[(size_t)t->batches % BATCH_TIMES] = wall_s;
    t->batches++;
    t->wall_s += wall_s;
    t->cpu_s += st->cpu_s;
    t->task_wall_s += st->task_wall_s;
    t->minflt += st->minflt;
    t->nvcsw += st->nvcsw;
    t->nivcsw += st->nivcsw;
    t->start_lag_s += st->start_lag_s;
    t->end_lag_s += st->end_lag_s;
    t->bytes_in += st->bytes_in;
    t->bytes_out += st->bytes_out;
    t->move_s += st->move_s;
    t->peak_running += st->peak_running;
    t->all_cpu_s = st->all_cpu_s < 0 || t->all_cpu_s < 0
                       ? -1
                       : t->all_cpu_s + st->all_cpu_s;
    t->run_wall_s += st->wall_s;
    /* The same names in the same order every batch (executor.h). */
    for (size_t i = 0; i < st->n_mode_counters; i++) {
        t->mode[i].name = st->mode_counters[i].name;
        t->mode[i].num += st->mode_counters[i].num;
        t->mode[i].den += st->mode_counters[i].den;
    }
    if (st->n_mode_counters > t->n_mode)
        t->n_mode = st->n_mode_counters;
}

/*
 * One batch on workers of its own: start, run and stop, all in its time
 * (the checks of its results are not). Returns 0, or -1 with err set.
 */
static int fresh_batch(cb_gbench_state *state, struct cb_suite_case *c,
                       struct cb_task_result *results, struct totals *t,
                       double *start_total_s, struct cb_error *err)
{
    struct cb_executor *ex = NULL;
    double start_s = 0;
    if (start(c, &ex, &start_s, err) < 0)
        return -1;
    if (t->batches == 0)
        label_hosts(state, c, ex);
    struct cb_batch_stats st;
    int rc = cb_batch_run(ex, results, &st, err);
    int64_t t0 = cb_now_ns();
    cb_executor_stop(ex);
    double stop_s = (double)(cb_now_ns() - t0) / 1e9;
    if (rc < 0)
        return -1;
    double wall_s = start_s + st.wall_s + stop_s;
    cb_gbench_set_iteration_time(state, wall_s);
    add(t, &st, wall_s);
    *start_total_s += start_s;
    return 0;
}

void cb_suite_bench(cb_gbench_state *state, void *arg)
{
    struct cb_suite_case *c = arg;
    struct cb_error err = {{0}};
    cb_gbench_set_label(state, c->label);
    if (failed_before(state, c->failed))
        return;
    if (hold_parent_rss(c->parent_rss, &err) < 0) {
        fail_before_loop(state, c, &err);
        return;
    }
    bool per_batch = fresh(c);
    if (!per_batch && !c->kept) {
        if (start(c, &c->kept, &c->pool_start_s, &err) < 0) {
            fail_before_loop(state, c, &err);
            return;
        }
        c->next_kept = kept_cases;
        kept_cases = c;
    }
    if (!per_batch)
        label_hosts(state, c, c->kept);

    struct cb_task_result *results = calloc(c->job.tasks, sizeof *results);
    if (!results) {
        cb_error_set(&err, "out of memory");
        fail_before_loop(state, c, &err);
        return;
    }
    struct totals t = {0};
    double start_total_s = 0;
    while (cb_gbench_keep_running(state)) {
        if (per_batch) {
            if (fresh_batch(state, c, results, &t, &start_total_s, &err) < 0)
                goto failed;
            continue;
        }
        struct cb_batch_stats st;
        if (cb_batch_run(c->kept, results, &st, &err) < 0)
            goto failed;
        cb_gbench_set_iteration_time(state, st.wall_s);
        add(&t, &st, st.wall_s);
    }
    if (t.batches > 0) {
        report(state, c, &t,
               per_batch ? start_total_s / t.batches : c->pool_start_s);
        report_parent_rss(state, c->parent_rss);
    }
    free(results);
    return;
failed:
    fail(state, c->name, c->failed, sizeof c->failed, &err);
    /* After a failed batch an executor may only be stopped. */
    if (c->kept)
        release(c);
    free(results);
}

void cb_suite_baseline_name(struct cb_suite_baseline *c)
{
    size_t n = 0, l = 0;
    c->name[0] = c->label[0] = '\0';
    append(c->name, sizeof c->name, &n, "baseline/%s/tasks:%u",
           c->baseline->name, c->tasks);
    append(c->label, sizeof c->label, &l, "baseline=%s tasks=%u",
           c->baseline->name, c->tasks);
    append_parent_rss(c->name, sizeof c->name, &n, c->label, sizeof c->label,
                      &l, c->parent_rss);
}

void cb_suite_baseline_bench(cb_gbench_state *state, void *arg)
{
    struct cb_suite_baseline *c = arg;
    struct cb_error err = {{0}};
    cb_gbench_set_label(state, c->label);
    if (failed_before(state, c->failed))
        return;
    if (hold_parent_rss(c->parent_rss, &err) < 0) {
        (void)cb_gbench_keep_running(state);
        fail(state, c->name, c->failed, sizeof c->failed, &err);
        return;
    }
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
    report_parent_rss(state, c->parent_rss);
}
