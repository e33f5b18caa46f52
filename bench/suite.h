/*
 * The benchmark body, in C over the gbench shim: for each iteration Google
 * Benchmark asks for, run one batch, report its wall time as the iteration's
 * manual time, and turn the per-task measurements into counters.
 */
#ifndef CB_SUITE_H
#define CB_SUITE_H

#include "baseline.h"
#include "executor.h"
#include "gbench.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One registered benchmark: a mode and the batch it runs. */
struct cb_suite_case {
    const struct cb_mode *mode;
    struct cb_job job;
    /* The mode's options as given, in mode->options order. */
    struct cb_option_value opt[CB_MAX_MODE_OPTIONS];
    /*
     * Bytes the measuring process holds while it runs the batches
     * (--parent-rss, csrc/parent_rss.h): a dimension of the workload, as
     * the payload is, not an option of the mode; 0 for none.
     */
    uint64_t parent_rss;
    /*
     * <kernel>/<mode>/tasks:<T>/workers:<W>, then /<option>:<value> for
     * each option shown in names that is not at its default (/chunk:3,
     * /chunk:auto), then /payload:<B> and /parent_rss:<B> when not 0.
     */
    char name[256];
    /*
     * The same as fields, for programs that read the JSON: "kernel=noop
     * mode=thread_pool tasks=16 workers=2 chunk=auto", every option of the
     * mode included, then payload=<bytes> and parent_rss=<bytes> when not
     * 0.
     */
    char label[384];
    char failed[256]; /* the first error, "" while it has not failed */
    /*
     * Its executor, kept from the first call Google Benchmark makes of it
     * in a measuring process to the end of that process's measurement
     * (cb_suite_release), unless its workers are fresh for every batch
     * (options.h: cb_option_pool); how long that start took; the next
     * case with a kept executor.
     */
    struct cb_executor *kept;
    double pool_start_s;
    struct cb_suite_case *next_kept;
};

/* Fill c->name and c->label from its kernel, mode, job and options. */
void cb_suite_case_name(struct cb_suite_case *c);

/*
 * The gbench body; arg is a struct cb_suite_case. Google Benchmark calls
 * it several times a repetition as it grows the iterations to the minimum
 * time; the executor is started in the first call, outside any batch's
 * time, and every call's batches reuse it (a long-lived pool), unless the
 * case's pool option says fresh: then each batch starts its own and ends
 * it, inside its time.
 */
void cb_suite_bench(cb_gbench_state *state, void *arg);

/*
 * Stop the executors kept so far and forget them, then give back the
 * memory held for --parent-rss: the end of a measuring process's
 * measurement (bench/measure.cc), before it answers, so that no worker
 * outlives the repetition that measured it.
 */
void cb_suite_release(void);

/* A baseline (baseline.h) run as a benchmark: T bare operations per batch. */
struct cb_suite_baseline {
    const struct cb_baseline *baseline;
    unsigned tasks;
    struct cb_params params;
    uint64_t parent_rss; /* as a case's */
    char name[128];  /* baseline/<name>/tasks:<T>[/parent_rss:<B>] */
    char label[128]; /* baseline=<name> tasks=<T>[ parent_rss=<bytes>] */
    char failed[256]; /* the first error, "" while it has not failed */
};

void cb_suite_baseline_name(struct cb_suite_baseline *c);

/* The gbench body; arg is a struct cb_suite_baseline. */
void cb_suite_baseline_bench(cb_gbench_state *state, void *arg);

/*
 * A benchmark that fails stays failed: its later repetitions report the same
 * error without running. Google Benchmark 1.7.1 cannot aggregate repetitions
 * whose first one failed and later ones did not (it crashes), and a case that
 * failed once is not one whose figures should be trusted anyway.
 */

/*
 * Benchmark name failed with msg, unless failed (its buffer of failed_len
 * bytes) says it had already: record it in the list below and in failed.
 * The driver calls it for a repetition measured in another process.
 */
void cb_suite_note_failure(const char *name, char *failed, size_t failed_len,
                           const char *msg);

/* How many benchmarks have failed so far, and the i-th one's message. */
unsigned cb_suite_failures(void);
const char *cb_suite_failure(unsigned i);

#ifdef __cplusplus
}
#endif

#endif
