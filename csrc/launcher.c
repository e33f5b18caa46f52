/*
 * The per-task runner, and its thread worker (the thread and gil modes').
 *
 * Threads: a thread that outlives the timeout is cancelled; that only takes
 * effect at a cancellation point (io_sleep's sleep is one, a CPU loop is
 * not). A thread that still does not stop is left running with the memory
 * it uses, and the error says so: a thread cannot be killed the way a
 * process can.
 */
#include "launcher.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The lowest task of the busy slots and how many are busy. */
static void timed_out(const struct cb_job *job, const bool *busy,
                      const unsigned *task, unsigned n, struct cb_error *err)
{
    unsigned first = job->tasks, running = 0;
    for (unsigned s = 0; s < n; s++) {
        if (!busy[s])
            continue;
        running++;
        if (task[s] < first)
            first = task[s];
    }
    cb_error_timeout(err, first, running, job->timeout_ms);
}

int cb_launch_tasks(const struct cb_job *job, const struct cb_launcher *l,
                    bool *abandoned, struct cb_error *err)
{
    unsigned n = cb_job_slots(job);
    int64_t deadline = cb_job_deadline(job);
    /*
     * One block, on the heap rather than the stack (a forked worker starts
     * deep in this frame), whose start stays in use to the end: a worker
     * that _exits from a launch still holds it, not a leak.
     */
    unsigned *task = calloc(n, sizeof *task + 2 * sizeof(bool));
    if (!task) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    bool *busy = (bool *)(task + n), *ready = busy + n;
    unsigned next = 0, running = 0;
    int rc = -1;

    for (; next < n; next++, running++) {
        if (l->launch(l->ctx, next, next, err) < 0)
            goto fail;
        busy[next] = true;
        task[next] = next;
    }
    while (running > 0) {
        memset(ready, 0, n * sizeof ready[0]);
        int got = l->wait(l->ctx, n, busy, deadline, ready, err);
        if (got == 0)
            timed_out(job, busy, task, n, err);
        if (got <= 0)
            goto fail;
        for (unsigned s = 0; s < n; s++) {
            if (!ready[s] || !busy[s])
                continue;
            int alive = l->collect(l->ctx, s, task[s], err);
            if (alive > 0)
                continue;
            if (alive == 0)
                l->results[task[s]].collected_ns = cb_now_ns();
            busy[s] = false;
            running--;
            if (alive < 0)
                goto fail;
            if (next < job->tasks) {
                if (l->launch(l->ctx, s, next, err) < 0)
                    goto fail;
                busy[s] = true;
                task[s] = next++;
                running++;
            }
        }
    }
    rc = 0;
    goto out;
fail:
    if (!l->abort(l->ctx, n, busy, err) && abandoned)
        *abandoned = true;
out:
    free(task);
    return rc;
}

/* ---- The thread worker ---- */

struct slot {
    pthread_t tid;
    unsigned task;
    int index;
    struct threads *threads;
    struct cb_task_result result;
};

/* One batch's shared state, on the heap so that an abandoned thread keeps it. */
struct threads {
    /* A copy: a thread left running may outlive the caller's job. */
    struct cb_job job;
    struct cb_task_result *results;
    cb_thread_task_fn *body;
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t done;
    unsigned *finished; /* queue of slots whose thread has finished */
    unsigned n_finished;
    struct slot slots[];
};

static void *slot_main(void *arg)
{
    struct slot *s = arg;
    struct threads *t = s->threads;
    t->body(t->arg, &t->job, s->task, s->index, &s->result);
    pthread_mutex_lock(&t->lock);
    t->finished[t->n_finished++] = (unsigned)s->index;
    pthread_cond_signal(&t->done);
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static int thread_launch(void *ctx, unsigned slot, unsigned task,
                         struct cb_error *err)
{
    struct threads *t = ctx;
    struct slot *s = &t->slots[slot];
    s->task = task;
    int e = pthread_create(&s->tid, NULL, slot_main, s);
    if (e != 0) {
        cb_error_set(err, "task %u: pthread_create: %s", task, strerror(e));
        return -1;
    }
    return 0;
}

/* Wait for finished threads until the deadline; mark their slots ready. */
static int thread_wait(void *ctx, unsigned n, const bool *busy,
                       int64_t deadline_ns, bool *ready, struct cb_error *err)
{
    (void)n;
    (void)busy;
    (void)err;
    struct threads *t = ctx;
    struct timespec until;
    cb_ns_to_timespec(deadline_ns, &until);
    pthread_mutex_lock(&t->lock);
    while (t->n_finished == 0)
        if (pthread_cond_timedwait(&t->done, &t->lock, &until) == ETIMEDOUT)
            break;
    int got = (int)t->n_finished;
    while (t->n_finished > 0)
        ready[t->finished[--t->n_finished]] = true;
    pthread_mutex_unlock(&t->lock);
    return got;
}

static int thread_collect(void *ctx, unsigned slot, unsigned task,
                          struct cb_error *err)
{
    (void)err;
    struct threads *t = ctx;
    pthread_join(t->slots[slot].tid, NULL);
    t->results[task] = t->slots[slot].result;
    return 0;
}

/*
 * Cancel the threads still busy and join them; returns false (and leaves
 * the batch to them) if one will not stop within a second.
 */
static bool thread_abort(void *ctx, unsigned n, const bool *busy,
                         struct cb_error *err)
{
    struct threads *t = ctx;
    bool all_stopped = true;
    int64_t deadline = cb_now_ns() + 1000000000;
    for (unsigned i = 0; i < n; i++)
        if (busy[i])
            pthread_cancel(t->slots[i].tid);
    for (unsigned i = 0; i < n; i++) {
        if (!busy[i])
            continue;
        /* pthread_timedjoin_np waits on CLOCK_REALTIME. */
        struct timespec now_rt, until;
        clock_gettime(CLOCK_REALTIME, &now_rt);
        int64_t left = deadline - cb_now_ns();
        if (left < 0)
            left = 0;
        cb_ns_to_timespec((int64_t)now_rt.tv_sec * 1000000000 +
                              now_rt.tv_nsec + left,
                          &until);
        if (pthread_timedjoin_np(t->slots[i].tid, NULL, &until) != 0) {
            pthread_detach(t->slots[i].tid);
            all_stopped = false;
        }
    }
    if (!all_stopped) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len,
                 " (a thread did not stop and is left running)");
    }
    return all_stopped;
}

static struct threads *threads_new(const struct cb_job *job, unsigned n)
{
    struct threads *t = calloc(1, sizeof *t + n * sizeof t->slots[0]);
    if (!t)
        return NULL;
    t->finished = calloc(n ? n : 1, sizeof *t->finished);
    if (!t->finished) {
        free(t);
        return NULL;
    }
    t->job = *job;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->done, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&t->lock, NULL);
    for (unsigned i = 0; i < n; i++) {
        t->slots[i].index = (int)i;
        t->slots[i].threads = t;
    }
    return t;
}

static void threads_free(struct threads *t)
{
    pthread_cond_destroy(&t->done);
    pthread_mutex_destroy(&t->lock);
    free(t->finished);
    free(t);
}

int cb_threads_run(const struct cb_job *job, struct cb_task_result *results,
                   cb_thread_task_fn *body, void *arg, bool *abandoned,
                   struct cb_error *err)
{
    struct threads *t = threads_new(job, cb_job_slots(job));
    if (!t) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    t->results = results;
    t->body = body;
    t->arg = arg;
    const struct cb_launcher l = {
        .ctx = t,
        .results = results,
        .launch = thread_launch,
        .wait = thread_wait,
        .collect = thread_collect,
        .abort = thread_abort,
    };
    bool left = false;
    int rc = cb_launch_tasks(job, &l, &left, err);
    if (left) {
        if (abandoned)
            *abandoned = true;
        return rc; /* t stays allocated for the thread left running */
    }
    threads_free(t);
    return rc;
}
