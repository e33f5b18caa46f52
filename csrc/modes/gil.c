/*
 * gil: a new pthread per task, at most W alive (as in thread mode), but a
 * task computes only while it holds one global lock, the way CPython's
 * threads share the GIL. It shows why Python threads speed up I/O-bound
 * tasks and not CPU-bound ones: the same threads, on the same cores, with
 * the computation serialised. A task's wall time includes its waits for the
 * lock (taken inside cb_task_run's measured interval, through the task hooks);
 * its CPU time does not; its voluntary switches count them.
 *
 * The lock follows CPython's "new GIL" (3.2 and later, Python/ceval_gil.h):
 * - a thread takes the lock when its task starts and drops it when the task
 *   ends, and drops it around a blocking wait (io_sleep calls the block
 *   hooks, as time.sleep releases the GIL);
 * - a waiter waits up to the switch interval (the switch_us option, Python's
 *   sys.getswitchinterval, 5 ms by default); if by then no other thread has
 *   taken the lock, it sets the drop request;
 * - the holder looks at the drop request at its next checkpoint (logpow:
 *   every CB_CHECKPOINT_EVERY iterations; gmp_pow has none and keeps the
 *   lock for the whole call, like one long bytecode), drops the lock and
 *   (forced switching) waits until another thread has taken it before it
 *   queues to take it again;
 * - whoever takes the lock clears a pending drop request, so each new holder
 *   gets a full interval.
 * Each hold is recorded (task, start, end) for the tests, with the time each
 * task waited for the lock (gil.h).
 *
 * Timeouts as in thread mode: busy threads are cancelled, which takes
 * effect at a cancellation point: a wait for the lock, a sleep, or a
 * checkpoint (pthread_testcancel). A cleanup handler releases the lock (and
 * the lock's mutex) of a thread cancelled while holding it, so the others
 * can still take it and stop too.
 */
#include "gil.h"
#include "launcher.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gil_thread;

struct gil {
    pthread_mutex_t mutex;
    pthread_cond_t cond;        /* the lock was dropped */
    pthread_cond_t switch_cond; /* the lock was taken */
    bool locked;
    const struct gil_thread *holder; /* the one holding it, or who last did */
    long last_task;                  /* the task that last held it, or -1 */
    uint64_t switch_number;          /* takes so far */
    unsigned waiters;                /* threads waiting in gil_take */
    atomic_int drop_request;         /* read at checkpoints without the mutex */
    int64_t interval_ns;
    int64_t hold_start_ns;
    struct cb_gil_hold *holds;
    size_t n_holds, cap_holds, holds_lost;
    uint64_t drop_requests, switches;
};

/* One worker thread's side of the lock: the hooks' context. */
struct gil_thread {
    struct gil *gil;
    unsigned task;
    /*
     * Whether the thread holds gil->mutex. While it does, its only
     * cancellation points are condition waits, which retake the mutex before
     * the cleanup handler runs: the handler must then not lock it again.
     */
    bool in_mutex;
    bool waiting; /* counted in gil->waiters */
    int64_t wait_ns;
};

struct state {
    struct gil gil;
    int64_t *wait_ns; /* per task */
    /* A thread that would not stop still uses this: stop must not free it. */
    bool abandoned;
};

static void record_hold(struct gil *g, unsigned task, int64_t end_ns)
{
    if (g->n_holds < g->cap_holds)
        g->holds[g->n_holds++] = (struct cb_gil_hold){
            .task = task, .start_ns = g->hold_start_ns, .end_ns = end_ns};
    else
        g->holds_lost++;
}

static void gil_take(struct gil_thread *t)
{
    struct gil *g = t->gil;
    int64_t asked = cb_now_ns();
    pthread_mutex_lock(&g->mutex);
    t->in_mutex = true;
    if (g->locked) {
        t->waiting = true;
        g->waiters++;
        while (g->locked) {
            uint64_t seen = g->switch_number;
            struct timespec until;
            cb_ns_to_timespec(cb_now_ns() + g->interval_ns, &until);
            int rc = pthread_cond_timedwait(&g->cond, &g->mutex, &until);
            /* A whole interval and the same holder: ask it to drop. */
            if (rc == ETIMEDOUT && g->locked && g->switch_number == seen &&
                !atomic_exchange_explicit(&g->drop_request, 1,
                                          memory_order_relaxed))
                g->drop_requests++;
        }
        g->waiters--;
        t->waiting = false;
    }
    g->locked = true;
    if (g->last_task >= 0 && g->last_task != (long)t->task)
        g->switches++;
    g->last_task = (long)t->task;
    g->holder = t;
    g->switch_number++;
    atomic_store_explicit(&g->drop_request, 0, memory_order_relaxed);
    int64_t now = cb_now_ns();
    g->hold_start_ns = now;
    t->wait_ns += now - asked;
    /* A holder that dropped on request may now take its turn to wait. */
    pthread_cond_broadcast(&g->switch_cond);
    t->in_mutex = false;
    pthread_mutex_unlock(&g->mutex);
}

/*
 * Drop the lock. If may_force and a waiter has asked for it, do not return
 * (and so do not take it back) until another thread has taken it: without
 * this the holder, still on its CPU, would usually win the lock again.
 */
static void gil_drop(struct gil_thread *t, bool may_force)
{
    struct gil *g = t->gil;
    pthread_mutex_lock(&g->mutex);
    t->in_mutex = true;
    record_hold(g, t->task, cb_now_ns());
    g->locked = false;
    pthread_cond_signal(&g->cond);
    if (may_force && atomic_exchange_explicit(&g->drop_request, 0,
                                              memory_order_relaxed)) {
        uint64_t seen = g->switch_number;
        /* waiters > 0: a waiter cancelled on timeout would never take it. */
        while (g->switch_number == seen && g->waiters > 0)
            pthread_cond_wait(&g->switch_cond, &g->mutex);
    }
    t->in_mutex = false;
    pthread_mutex_unlock(&g->mutex);
}

static void hook_task_begin(void *ctx)
{
    gil_take(ctx);
}

static void hook_task_end(void *ctx)
{
    /* A thread that ends hands the lock on without waiting (CPython too). */
    gil_drop(ctx, false);
}

static void hook_block_begin(void *ctx)
{
    gil_drop(ctx, true);
}

static void hook_block_end(void *ctx)
{
    gil_take(ctx);
}

static void hook_checkpoint(void *ctx)
{
    struct gil_thread *t = ctx;
    /* Not in CPython: lets a timed-out batch stop a computing task. */
    pthread_testcancel();
    if (atomic_load_explicit(&t->gil->drop_request, memory_order_relaxed)) {
        gil_drop(t, true);
        gil_take(t);
    }
}

/* Cleanup handler of a cancelled worker: leave the lock usable. */
static void thread_cancelled(void *arg)
{
    struct gil_thread *t = arg;
    struct gil *g = t->gil;
    if (!t->in_mutex)
        pthread_mutex_lock(&g->mutex);
    if (t->waiting) {
        g->waiters--;
        t->waiting = false;
        pthread_cond_broadcast(&g->switch_cond);
    }
    if (g->locked && g->holder == t) {
        record_hold(g, t->task, cb_now_ns());
        g->locked = false;
        pthread_cond_signal(&g->cond);
    }
    t->in_mutex = false;
    pthread_mutex_unlock(&g->mutex);
}

/* One task in the thread cb_threads_run made for it, under the lock. */
static const struct concbench_hooks gil_hooks = {
    .checkpoint = hook_checkpoint,
    .block_begin = hook_block_begin,
    .block_end = hook_block_end,
    .task_begin = hook_task_begin,
    .task_end = hook_task_end,
};

static void gil_task(void *arg, const struct cb_job *job, unsigned task,
                     int slot, struct cb_task_result *out)
{
    struct state *st = arg;
    struct gil_thread gt = {.gil = &st->gil, .task = task};
    const struct cb_worker w = {.slot = slot, .hooks = &gil_hooks,
                                .ctx = &gt};
    pthread_cleanup_push(thread_cancelled, &gt);
    cb_task_run(job, task, &w, NULL, out);
    pthread_cleanup_pop(0);
    st->wait_ns[task] = gt.wait_ns;
}

static pthread_cond_t *cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return c;
}

static bool gil_stop(struct cb_executor *ex)
{
    struct state *st = ex->state;
    if (st->abandoned)
        return false;
    if (st->gil.holds) {
        pthread_mutex_destroy(&st->gil.mutex);
        pthread_cond_destroy(&st->gil.cond);
        pthread_cond_destroy(&st->gil.switch_cond);
    }
    free(st->gil.holds);
    free(st->wait_ns);
    return true;
}

static int gil_start(struct cb_executor *ex, struct cb_error *err)
{
    struct state *st = ex->state;
    unsigned tasks = ex->job.tasks;
    /* Two holds a task, and room for many switches. */
    st->gil.cap_holds = 1024 + 64 * (size_t)tasks;
    st->gil.holds = calloc(st->gil.cap_holds, sizeof *st->gil.holds);
    st->wait_ns = calloc(tasks ? tasks : 1, sizeof *st->wait_ns);
    if (!st->gil.holds || !st->wait_ns) {
        free(st->gil.holds);
        st->gil.holds = NULL;
        cb_error_set(err, "out of memory");
        return -1;
    }
    pthread_mutex_init(&st->gil.mutex, NULL);
    cond_init_monotonic(&st->gil.cond);
    pthread_cond_init(&st->gil.switch_cond, NULL);
    return 0;
}

static int gil_run(struct cb_executor *ex, struct cb_task_result *results,
                   struct cb_error *err)
{
    struct state *st = ex->state;
    struct gil *g = &st->gil;
    g->locked = false;
    g->holder = NULL;
    g->last_task = -1;
    g->switch_number = 0;
    g->waiters = 0;
    atomic_store(&g->drop_request, 0);
    g->interval_ns = (int64_t)cb_executor_option(ex, &cb_option_switch_us) *
                     1000;
    g->n_holds = g->holds_lost = 0;
    g->drop_requests = g->switches = 0;
    memset(st->wait_ns, 0, ex->job.tasks * sizeof *st->wait_ns);

    bool abandoned = false;
    int rc = cb_threads_run(&ex->job, results, gil_task, st, &abandoned, err);
    if (abandoned)
        st->abandoned = true;
    return rc;
}

size_t cb_gil_holds(const struct cb_executor *ex,
                    const struct cb_gil_hold **holds)
{
    const struct state *st = ex->state;
    *holds = st->gil.holds;
    return st->gil.n_holds;
}

void cb_gil_stats(const struct cb_executor *ex, struct cb_gil_stats *out)
{
    const struct state *st = ex->state;
    *out = (struct cb_gil_stats){
        .drop_requests = st->gil.drop_requests,
        .switches = st->gil.switches,
        .holds_lost = st->gil.holds_lost,
        .wait_ns = st->wait_ns,
    };
}

const struct cb_option cb_option_switch_us = {
    .name = "switch_us",
    .metavar = "N",
    .help = "gil's switch interval in microseconds (Python's "
            "sys.getswitchinterval())",
    .min = 1,
    .max = 1000000,
    .def = 5000,
};

const struct cb_mode cb_mode_gil = {
    .name = "gil",
    .summary = "a new pthread per task, at most W alive, computing only while "
               "holding one global lock (CPython's GIL)",
    .per_task = true,
    .options = (const struct cb_option *const[]){&cb_option_switch_us, NULL},
    .state_size = sizeof(struct state),
    .start = gil_start,
    .run = gil_run,
    .stop = gil_stop,
    .cpu_ns = cb_cpu_ns_this_process,
};
