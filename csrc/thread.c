/*
 * thread: one new pthread per task, at most W alive, each joined; what
 * Python's threading.Thread per task does. The cost measured is thread
 * creation, scheduling and join, paid once per task.
 *
 * A thread that outlives the timeout is cancelled; that only takes effect at
 * a cancellation point (io_sleep's sleep is one, a CPU loop is not). A thread
 * that still does not stop is left running with the memory it uses, and the
 * error says so: a thread cannot be killed the way a process can.
 */
#include "threads.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
    pthread_t tid;
    bool busy;
    unsigned task;
    int index;
    struct batch *batch;
    struct cb_task_result result;
};

/* One batch's shared state, on the heap so that an abandoned thread keeps it. */
struct batch {
    const struct cb_job *job;
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
    struct batch *b = s->batch;
    b->body(b->arg, b->job, s->task, s->index, &s->result);
    pthread_mutex_lock(&b->lock);
    b->finished[b->n_finished++] = (unsigned)s->index;
    pthread_cond_signal(&b->done);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static struct batch *batch_new(const struct cb_job *job, unsigned n_slots)
{
    struct batch *b = calloc(1, sizeof *b + n_slots * sizeof b->slots[0]);
    if (!b)
        return NULL;
    b->finished = calloc(n_slots, sizeof *b->finished);
    if (!b->finished) {
        free(b);
        return NULL;
    }
    b->job = job;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&b->done, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&b->lock, NULL);
    for (unsigned i = 0; i < n_slots; i++) {
        b->slots[i].index = (int)i;
        b->slots[i].batch = b;
    }
    return b;
}

static void batch_free(struct batch *b)
{
    pthread_cond_destroy(&b->done);
    pthread_mutex_destroy(&b->lock);
    free(b->finished);
    free(b);
}

/* Wait for a finished slot until deadline; returns its index or -1. */
static int wait_finished(struct batch *b, int64_t deadline_ns)
{
    struct timespec until;
    cb_ns_to_timespec(deadline_ns, &until);
    int idx = -1;
    pthread_mutex_lock(&b->lock);
    while (b->n_finished == 0)
        if (pthread_cond_timedwait(&b->done, &b->lock, &until) == ETIMEDOUT)
            break;
    if (b->n_finished > 0)
        idx = (int)b->finished[--b->n_finished];
    pthread_mutex_unlock(&b->lock);
    return idx;
}

/*
 * Cancel the threads still busy and join them; returns false (and leaks the
 * batch, which they may still touch) if one will not stop within a second.
 */
static bool cancel_busy(struct batch *b, unsigned n_slots)
{
    bool all_stopped = true;
    int64_t deadline = cb_now_ns() + 1000000000;
    struct timespec until;
    cb_ns_to_timespec(deadline, &until);
    for (unsigned i = 0; i < n_slots; i++)
        if (b->slots[i].busy)
            pthread_cancel(b->slots[i].tid);
    for (unsigned i = 0; i < n_slots; i++) {
        if (!b->slots[i].busy)
            continue;
        /* pthread_timedjoin_np waits on CLOCK_REALTIME. */
        struct timespec now_rt;
        clock_gettime(CLOCK_REALTIME, &now_rt);
        int64_t left = deadline - cb_now_ns();
        if (left < 0)
            left = 0;
        int64_t rt = (int64_t)now_rt.tv_sec * 1000000000 + now_rt.tv_nsec + left;
        cb_ns_to_timespec(rt, &until);
        if (pthread_timedjoin_np(b->slots[i].tid, NULL, &until) != 0) {
            pthread_detach(b->slots[i].tid);
            all_stopped = false;
        }
    }
    return all_stopped;
}

int cb_threads_run(const struct cb_job *job, struct cb_task_result *results,
                   cb_thread_task_fn *body, void *arg, bool *abandoned,
                   struct cb_error *err)
{
    unsigned n_slots = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    struct batch *b = batch_new(job, n_slots);
    if (!b) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    b->body = body;
    b->arg = arg;

    unsigned next = 0, running = 0;
    int rc = 0;
    for (unsigned i = 0; i < n_slots; i++) {
        struct slot *s = &b->slots[i];
        s->task = next;
        int e = pthread_create(&s->tid, NULL, slot_main, s);
        if (e != 0) {
            cb_error_set(err, "task %u: pthread_create: %s", next, strerror(e));
            rc = -1;
            break;
        }
        s->busy = true;
        next++;
        running++;
    }

    while (running > 0) {
        int idx = wait_finished(b, deadline);
        if (idx < 0) {
            unsigned first = job->tasks;
            for (unsigned i = 0; i < n_slots; i++)
                if (b->slots[i].busy && b->slots[i].task < first)
                    first = b->slots[i].task;
            cb_error_timeout(err, first, running, job->timeout_ms);
            if (!cancel_busy(b, n_slots)) {
                size_t len = strlen(err->msg);
                snprintf(err->msg + len, sizeof err->msg - len,
                         " (a thread did not stop and is left running)");
                if (abandoned)
                    *abandoned = true;
                return -1; /* b stays allocated for that thread */
            }
            batch_free(b);
            return -1;
        }
        struct slot *s = &b->slots[idx];
        pthread_join(s->tid, NULL);
        s->busy = false;
        running--;
        results[s->task] = s->result;
        if (rc == 0 && next < job->tasks) {
            s->task = next;
            int e = pthread_create(&s->tid, NULL, slot_main, s);
            if (e != 0) {
                cb_error_set(err, "task %u: pthread_create: %s", next,
                             strerror(e));
                rc = -1;
                continue;
            }
            s->busy = true;
            next++;
            running++;
        }
    }
    batch_free(b);
    return rc;
}

static void run_task(void *arg, const struct cb_job *job, unsigned task,
                     int worker, struct cb_task_result *out)
{
    (void)arg;
    cb_task_run(job, task, worker, out);
}

static int thread_run(struct cb_executor *ex, const struct cb_job *job,
                      struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    return cb_threads_run(job, results, run_task, NULL, NULL, err);
}

const struct cb_mode cb_mode_thread = {
    .name = "thread",
    .summary = "a new pthread per task, at most W alive, each joined",
    .run = thread_run,
};
