/*
 * thread_pool: W threads started before the timed region take tasks from a
 * shared queue; what multiprocessing.dummy.Pool (ThreadPool) does. The queue
 * is an atomic counter over the batch's task indices, so the cost measured
 * is waking the pool once per batch and handing out tasks, not creating
 * threads. A worker takes the chunk option's number of consecutive tasks at a time, as
 * Pool.map hands out chunks.
 *
 * Waiting (the wait option): passive, the default, is ThreadPool's way:
 * idle workers wait on a condition variable and the caller posts a batch
 * with a broadcast; the caller waits on another for the batch's last task,
 * whose worker signals it. Active first spins (spin.h): an idle worker
 * watches the batch counter, the caller the finished count, each up to the
 * budget, and only then parks, noting it in a count (parked,
 * caller_parked) that the other side reads after its own change: a
 * broadcast or a signal, with its system call, is made only for a thread
 * that parked.
 */
#include "executor.h"
#include "spin.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
    struct pool *pool;
    int index;
    atomic_int current; /* task being run, -1 when none */
};

struct pool {
    struct cb_job job; /* a copy: a worker left running may outlive ex */
    unsigned chunk;
    unsigned n_workers;
    unsigned n_started;
    pthread_t *tids;
    struct worker *workers;
    pthread_mutex_t lock;
    pthread_cond_t go;   /* a batch was posted, or the pool is stopping */
    pthread_cond_t done; /* the batch's last task finished; or a worker is up */
    atomic_uint generation; /* batches posted so far */
    unsigned ready;      /* workers waiting for their first batch */
    atomic_bool stopping;
    bool initialised; /* the mutex and conditions exist */
    unsigned long long spin; /* checks before parking: 0 under passive */
    atomic_uint parked;       /* active: workers parked on go */
    atomic_bool caller_parked; /* active: the caller parked on done */
    atomic_uint next;     /* the next task index to hand out */
    atomic_bool abandoned; /* a batch timed out: take no more tasks */
    atomic_uint finished; /* tasks of this batch finished */
    struct cb_task_result *results; /* the pool's own: a late writer is safe */
};

/* Take chunks of consecutive tasks until the batch has none left. */
static void run_tasks(struct pool *p, struct worker *w)
{
    const struct cb_job *job = &p->job;
    unsigned chunk = p->chunk;
    for (;;) {
        unsigned first = atomic_fetch_add(&p->next, chunk);
        if (first >= job->tasks)
            return;
        unsigned end = job->tasks - first < chunk ? job->tasks : first + chunk;
        for (unsigned t = first; t < end && !atomic_load(&p->abandoned);
             t++) {
            atomic_store(&w->current, (int)t);
            cb_task_run(job, t, &(const struct cb_worker){.slot = w->index},
                        NULL, &p->results[t]);
        }
        atomic_store(&w->current, -1);
        /* Under active, only a caller that parked needs the signal. */
        if (atomic_fetch_add(&p->finished, end - first) + (end - first) ==
                job->tasks &&
            (!p->spin || atomic_load(&p->caller_parked))) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

/*
 * Under active, with the lock held: spin (unlocked) until a batch after seen
 * is posted or the pool stops, up to the budget; then park on go, counted
 * in parked, which the caller reads after posting (both sequentially
 * consistent: either this worker sees the new batch or the caller sees it
 * parked and broadcasts, under the lock this worker holds until it waits).
 */
static void await_batch_active(struct pool *p, unsigned seen)
{
    pthread_mutex_unlock(&p->lock);
    for (unsigned long long i = 0; i < p->spin; i++) {
        if (atomic_load_explicit(&p->generation, memory_order_acquire) !=
                seen ||
            atomic_load_explicit(&p->stopping, memory_order_acquire)) {
            pthread_mutex_lock(&p->lock);
            return;
        }
        cb_spin_pause();
    }
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->parked, 1);
    while (!atomic_load(&p->stopping) && atomic_load(&p->generation) == seen)
        pthread_cond_wait(&p->go, &p->lock);
    atomic_fetch_sub(&p->parked, 1);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    /*
     * Cancellable only while running tasks, where it holds no lock: a worker
     * cancelled in pthread_cond_wait would end holding the pool's mutex.
     */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_mutex_lock(&p->lock);
    unsigned seen = atomic_load_explicit(&p->generation, memory_order_relaxed);
    p->ready++;
    pthread_cond_signal(&p->done);
    for (;;) {
        if (p->spin)
            await_batch_active(p, seen);
        else /* passive: under the lock throughout, as before the option */
            while (!atomic_load_explicit(&p->stopping, memory_order_relaxed) &&
                   atomic_load_explicit(&p->generation,
                                        memory_order_relaxed) == seen)
                pthread_cond_wait(&p->go, &p->lock);
        if (atomic_load(&p->stopping))
            break;
        seen = atomic_load(&p->generation);
        pthread_mutex_unlock(&p->lock);
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        run_tasks(p, w);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/*
 * Join every started worker; cancel those not stopped within a second (all
 * of them together), and detach those still not stopped a second later.
 */
static bool join_all(struct pool *p)
{
    bool joined[CB_MAX_WORKERS] = {false};
    bool all = true;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* pthread_timedjoin_np's clock */
    until.tv_sec += 1;
    for (unsigned i = 0; i < p->n_started; i++)
        joined[i] = pthread_timedjoin_np(p->tids[i], NULL, &until) == 0;
    for (unsigned i = 0; i < p->n_started; i++)
        if (!joined[i])
            pthread_cancel(p->tids[i]);
    until.tv_sec += 1;
    for (unsigned i = 0; i < p->n_started; i++) {
        if (joined[i])
            continue;
        if (pthread_timedjoin_np(p->tids[i], NULL, &until) != 0) {
            pthread_detach(p->tids[i]);
            all = false;
        }
    }
    return all;
}

/* A worker that will not stop still uses the pool: leave it allocated. */
static bool thread_pool_stop(struct cb_executor *ex)
{
    struct pool *p = ex->state;
    if (!p->initialised)
        return true;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stopping, true);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    if (!join_all(p))
        return false;
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->results);
    free(p->workers);
    free(p->tids);
    return true;
}

static int thread_pool_start(struct cb_executor *ex, struct cb_error *err)
{
    struct pool *p = ex->state;
    const struct cb_job *job = &ex->job;
    p->job = *job;
    p->chunk = cb_executor_option(ex, &cb_option_chunk);
    p->spin = cb_spin_budget(ex, job->workers + 1); /* and the caller */
    p->n_workers = job->workers;
    p->tids = calloc(job->workers, sizeof *p->tids);
    p->workers = calloc(job->workers, sizeof *p->workers);
    p->results = calloc(job->tasks, sizeof *p->results);
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->done, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&p->go, NULL);
    p->initialised = true;
    if (!p->tids || !p->workers || !p->results) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < job->workers; i++) {
        struct worker *w = &p->workers[i];
        w->pool = p;
        w->index = (int)i;
        atomic_init(&w->current, -1);
        int e = pthread_create(&p->tids[i], NULL, worker_main, w);
        if (e != 0) {
            cb_error_set(err, "worker %u: pthread_create: %s", i, strerror(e));
            return -1;
        }
        p->n_started++;
    }
    /* Start-up ends when every worker is waiting for work. */
    pthread_mutex_lock(&p->lock);
    while (p->ready < p->n_workers)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/*
 * Post a batch and wait for it under active: a broadcast only if a worker
 * parked; spin on the finished count up to the budget, then park on done,
 * noted in caller_parked, which the last task's worker reads after adding
 * its count (the same pairing as await_batch_active's).
 */
static void run_active(struct pool *p, const struct timespec *until)
{
    unsigned tasks = p->job.tasks;
    atomic_store(&p->finished, 0); /* first: as in the passive case */
    atomic_store(&p->next, 0);
    atomic_fetch_add(&p->generation, 1);
    if (atomic_load(&p->parked) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->lock);
    }
    for (unsigned long long i = 0; i < p->spin; i++) {
        if (atomic_load_explicit(&p->finished, memory_order_acquire) >= tasks)
            return;
        cb_spin_pause();
    }
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->caller_parked, true);
    while (atomic_load(&p->finished) < tasks)
        if (pthread_cond_timedwait(&p->done, &p->lock, until) == ETIMEDOUT)
            break;
    atomic_store(&p->caller_parked, false);
    pthread_mutex_unlock(&p->lock);
}

static int thread_pool_run(struct cb_executor *ex,
                           struct cb_task_result *results,
                           struct cb_error *err)
{
    struct pool *p = ex->state;
    const struct cb_job *job = &p->job;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    struct timespec until;
    cb_ns_to_timespec(deadline, &until);

    if (p->spin)
        run_active(p, &until);
    else {
        pthread_mutex_lock(&p->lock);
        /*
         * finished first: a worker still leaving the last batch may claim a
         * task as soon as next is 0, and its count must not be reset away.
         */
        atomic_store(&p->finished, 0);
        atomic_store(&p->next, 0);
        atomic_fetch_add_explicit(&p->generation, 1, memory_order_relaxed);
        pthread_cond_broadcast(&p->go);
        while (atomic_load(&p->finished) < job->tasks)
            if (pthread_cond_timedwait(&p->done, &p->lock, &until) ==
                ETIMEDOUT)
                break;
        pthread_mutex_unlock(&p->lock);
    }

    unsigned finished = atomic_load(&p->finished);
    if (finished < job->tasks) {
        /* The workers finish the task they run and take no other. */
        atomic_store(&p->abandoned, true);
        int current[CB_MAX_WORKERS];
        for (unsigned i = 0; i < p->n_workers; i++)
            current[i] = atomic_load(&p->workers[i].current);
        cb_error_pool_timeout(err, current, p->n_workers, finished,
                              job->tasks, job->timeout_ms);
        return -1;
    }
    memcpy(results, p->results, job->tasks * sizeof *results);
    return 0;
}

const struct cb_mode cb_mode_thread_pool = {
    .name = "thread_pool",
    .summary = "W threads started beforehand take tasks from a shared queue",
    .pool = true,
    .options = (const struct cb_option *const[]){&cb_option_chunk,
                                                 &cb_option_wait,
                                                 &cb_option_pool, NULL},
    .state_size = sizeof(struct pool),
    .start = thread_pool_start,
    .run = thread_pool_run,
    .stop = thread_pool_stop,
    .cpu_ns = cb_cpu_ns_this_process,
};
