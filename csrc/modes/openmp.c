/*
 * openmp: `#pragma omp parallel for` over the batch's tasks with W threads
 * and dynamic scheduling, one task at a time: what a C programmer writes
 * instead of a pool, and the baseline the two pools are measured against.
 *
 * libgomp keeps its threads between parallel regions, so this is a pool
 * too: start runs one empty region of W threads, so that creating them is
 * start-up (pool_start_s), not the first batch's cost. Between regions
 * libgomp's idle threads spin for a while before they sleep (its default
 * wait policy); that is part of what this mode measures. libgomp exits the
 * program if it cannot create a thread, so start makes sure it can.
 *
 * An OpenMP thread cannot be cancelled, and the region ends only when every
 * task has: a hanging task hangs the batch, as in serial. The timeout is
 * checked before each task, and once it has passed the tasks left are
 * skipped and the batch fails, so that tasks that give up at the timeout
 * (a request to a server that went silent) end it then.
 */
#include "executor.h"

#include <omp.h>
#include <pthread.h>
#include <string.h>

/* The probe's threads wait here until all of them exist. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t open_cond;
    bool open;
};

static void *wait_at_gate(void *arg)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->open_cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/*
 * libgomp ends the whole program when it cannot create a thread. So first
 * create the W - 1 threads the team needs ourselves, all alive at once (as
 * the team's will be, against a process limit such as RLIMIT_NPROC), then
 * let them end and join them: a process out of threads is then this
 * benchmark's error, and the team is made at once, and later batches reuse
 * it.
 */
static int probe_threads(unsigned n, struct cb_error *err)
{
    pthread_t tids[CB_MAX_WORKERS];
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                     false};
    unsigned made = 0;
    int e = 0;
    while (made < n &&
           (e = pthread_create(&tids[made], NULL, wait_at_gate, &g)) == 0)
        made++;
    pthread_mutex_lock(&g.lock);
    g.open = true;
    pthread_cond_broadcast(&g.open_cond);
    pthread_mutex_unlock(&g.lock);
    for (unsigned i = 0; i < made; i++)
        pthread_join(tids[i], NULL);
    if (made == n)
        return 0;
    cb_error_set(err, "worker %u: pthread_create: %s", made + 1, strerror(e));
    return -1;
}

/* libgomp holds the threads; nothing of ours to keep. */
static int openmp_start(struct cb_executor *ex, struct cb_error *err)
{
    int workers = (int)ex->job.workers;
    if (probe_threads(ex->job.workers - 1, err) < 0)
        return -1;
#pragma omp parallel num_threads(workers)
    {
        /* Nothing: the team of W threads is what this region makes. */
    }
    return 0;
}

static int openmp_run(struct cb_executor *ex, struct cb_task_result *results,
                      struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    int tasks = (int)job->tasks, workers = (int)job->workers;
    int64_t deadline = cb_job_deadline(job);
    int skipped = 0;
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1) \
    reduction(+ : skipped)
    for (int t = 0; t < tasks; t++) {
        if (cb_now_ns() >= deadline) {
            skipped++;
            continue;
        }
        cb_task_run(job, (unsigned)t,
                    &(const struct cb_worker){.slot = omp_get_thread_num()},
                    NULL, &results[t]);
    }
    if (skipped == 0)
        return 0;
    cb_error_set(err, "%d of %d tasks done after %u ms: timed out",
                 tasks - skipped, tasks, job->timeout_ms);
    return -1;
}

const struct cb_mode cb_mode_openmp = {
    .name = "openmp",
    .summary = "#pragma omp parallel for, W threads, dynamic scheduling "
               "(libgomp's pool)",
    .pool = true,
    .start = openmp_start,
    .run = openmp_run,
};
