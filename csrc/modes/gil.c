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
 * Each hold is recorded (task, start, end, whether it came by a hand-off,
 * the CPU it ran on) for the tests, with the time each task waited for the
 * lock (gil.h); the JSON gets the hand-offs' counters (gil_counters).
 *
 * The interpreter's shared state (the shared_kib option, 0 by default):
 * CPython's threads share one interpreter, and whichever holds the GIL
 * writes the state they all use (the reference counts of small ints, None,
 * the code, the module's globals, the allocator's pools and free lists,
 * _PyRuntime's eval state). After a hand-off to a thread on another CPU,
 * every such line that the last holder wrote is in that CPU's cache and
 * must come over. Here each new holder walks shared_kib KiB of 64-byte
 * "objects", linked in a random order as a heap's are, incrementing each
 * one's count: what that costs is the machine's own price for moving the
 * lines, as it is for CPython. Its size is measured, not fitted:
 * scripts/gil_study.py trace counts the lines one turn of CPython 3.11
 * wrote that the other thread's next turn touched (docs/gil.md: about 13
 * KiB for the second seed note's task, 3 KiB for a bytecode loop).
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
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gil_thread;

/*
 * One object of the shared state: a cache line, its reference count and the
 * next object in the walk (a random order, as objects lie in a heap).
 */
struct gil_object {
    uint32_t next;
    uint32_t refcnt;
    unsigned char rest[CB_GIL_LINE - 2 * sizeof(uint32_t)];
};

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
    /* The shared state (shared_kib), written by each new holder. */
    struct gil_object *objects;
    size_t n_objects;
    uint32_t refs_base; /* every object's count as the batch began */
    /*
     * The hold under way, set by its holder when it takes the lock (the
     * state's time once it has written it); recorded when it drops it.
     */
    int64_t hold_start_ns, hold_gap_ns, hold_state_ns;
    int hold_cpu;
    bool hold_handoff, hold_cross_cpu;
    int64_t drop_ns; /* when the lock was last dropped */
    int drop_cpu;    /* and on which CPU */
    struct cb_gil_hold *holds;
    size_t n_holds, cap_holds, holds_lost;
    uint64_t drop_requests, switches;
    uint64_t n_hold, handoffs, cross_cpu, lines_written;
    int64_t handoff_ns, state_ns, handoff_state_ns;
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

/* sched_getcpu(), -1 where it fails. */
static int current_cpu(void)
{
    return sched_getcpu();
}

/* Under the mutex, the lock being dropped: the hold that ends. */
static void record_hold(struct gil *g, unsigned task, int64_t end_ns)
{
    if (g->n_holds < g->cap_holds)
        g->holds[g->n_holds++] = (struct cb_gil_hold){
            .task = task,
            .start_ns = g->hold_start_ns,
            .end_ns = end_ns,
            .handoff = g->hold_handoff,
            .cpu = g->hold_cpu,
            .state_ns = g->hold_state_ns};
    else
        g->holds_lost++;
    g->n_hold++;
    g->lines_written += g->n_objects;
    g->state_ns += g->hold_state_ns;
    if (g->hold_handoff) {
        g->handoffs++;
        g->handoff_ns += g->hold_gap_ns;
        g->handoff_state_ns += g->hold_state_ns;
        g->cross_cpu += g->hold_cross_cpu;
    }
    g->drop_ns = end_ns;
    g->drop_cpu = current_cpu();
}

/*
 * What a thread does to the interpreter's state when it takes the lock:
 * walks every object once and increments its reference count, as the
 * resumed eval loop touches the frame, code, globals, builtins, types and
 * allocator pools that all threads share. The walk follows the objects'
 * links, each load waiting for the last, as pointer chasing does. Where the
 * last holder ran on another CPU, each line is in that CPU's cache, written:
 * this CPU misses on every one.
 */
static __attribute__((noinline)) void write_shared_state(struct gil *g)
{
    struct gil_object *o = g->objects;
    uint32_t i = 0;
    for (size_t n = g->n_objects; n > 0; n--) {
        o[i].refcnt++;
        i = o[i].next;
    }
}

static void gil_take(struct gil_thread *t)
{
    struct gil *g = t->gil;
    int64_t asked = cb_now_ns();
    pthread_mutex_lock(&g->mutex);
    t->in_mutex = true;
    bool waited = g->locked;
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
    g->hold_cpu = current_cpu();
    g->hold_handoff = waited;
    g->hold_gap_ns = waited ? now - g->drop_ns : 0;
    g->hold_cross_cpu = waited && g->hold_cpu != g->drop_cpu;
    g->hold_state_ns = 0;
    t->wait_ns += now - asked;
    /* A holder that dropped on request may now take its turn to wait. */
    pthread_cond_broadcast(&g->switch_cond);
    t->in_mutex = false;
    pthread_mutex_unlock(&g->mutex);
    /* Holding the lock: only this thread touches the state now. */
    if (g->n_objects) {
        write_shared_state(g);
        g->hold_state_ns = cb_now_ns() - now;
    }
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
    free(st->gil.objects);
    free(st->wait_ns);
    return true;
}

/*
 * The shared state of n objects, each linked to the next of one cycle
 * through all of them in a random order (Sattolo's shuffle, a fixed seed:
 * the same walk in every run); NULL where out of memory.
 */
static struct gil_object *make_shared_state(size_t n)
{
    struct gil_object *o = aligned_alloc(CB_GIL_LINE, n * sizeof *o);
    uint32_t *order = malloc(n * sizeof *order);
    if (!o || !order) {
        free(o);
        free(order);
        return NULL;
    }
    memset(o, 0, n * sizeof *o);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        size_t j = (size_t)(x % i);
        uint32_t tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (size_t i = 0; i < n; i++)
        o[order[i]].next = order[(i + 1) % n];
    free(order);
    return o;
}

static int gil_start(struct cb_executor *ex, struct cb_error *err)
{
    struct state *st = ex->state;
    unsigned tasks = ex->job.tasks;
    /* Two holds a task, and room for many switches. */
    st->gil.cap_holds = 1024 + 64 * (size_t)tasks;
    st->gil.holds = calloc(st->gil.cap_holds, sizeof *st->gil.holds);
    st->wait_ns = calloc(tasks ? tasks : 1, sizeof *st->wait_ns);
    size_t kib = cb_executor_option(ex, &cb_option_shared_kib);
    st->gil.n_objects = kib * 1024 / CB_GIL_LINE;
    if (st->gil.n_objects)
        st->gil.objects = make_shared_state(st->gil.n_objects);
    if (!st->gil.holds || !st->wait_ns ||
        (st->gil.n_objects && !st->gil.objects)) {
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
    g->n_hold = g->handoffs = g->cross_cpu = g->lines_written = 0;
    g->handoff_ns = g->state_ns = g->handoff_state_ns = 0;
    g->drop_ns = 0;
    g->drop_cpu = -1;
    /*
     * Every hold writes every object once, so all carry one count: the
     * batch's holds are the counts less this (not reset here: that would
     * write the whole state inside the batch's time, from this thread).
     */
    g->refs_base = g->n_objects ? g->objects[0].refcnt : 0;
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
    uint64_t refs_min = 0, refs_max = 0;
    for (size_t i = 0; i < st->gil.n_objects; i++) {
        uint64_t r = (uint32_t)(st->gil.objects[i].refcnt - st->gil.refs_base);
        refs_min = i == 0 || r < refs_min ? r : refs_min;
        refs_max = r > refs_max ? r : refs_max;
    }
    *out = (struct cb_gil_stats){
        .drop_requests = st->gil.drop_requests,
        .switches = st->gil.switches,
        .holds_lost = st->gil.holds_lost,
        .wait_ns = st->wait_ns,
        .holds = st->gil.n_hold,
        .handoffs = st->gil.handoffs,
        .cross_cpu = st->gil.cross_cpu,
        .handoff_ns = st->gil.handoff_ns,
        .lines_written = st->gil.lines_written,
        .state_ns = st->gil.state_ns,
        .handoff_state_ns = st->gil.handoff_state_ns,
        .state_refs_min = refs_min,
        .state_refs_max = refs_max,
    };
}

/*
 * The JSON's counters of the lock (docs/json.md): hand-offs per task; per
 * hand-off, the time from the drop to the take, the share that went to
 * another CPU, and the time the new holder spent writing the shared state.
 */
static size_t gil_counters(const struct cb_executor *ex,
                           struct cb_mode_counter *out)
{
    const struct state *st = ex->state;
    const struct gil *g = &st->gil;
    double handoffs = (double)g->handoffs;
    out[0] = (struct cb_mode_counter){"gil_handoffs_per_task", handoffs,
                                      ex->job.tasks};
    out[1] = (struct cb_mode_counter){"gil_handoff_s",
                                      (double)g->handoff_ns / 1e9, handoffs};
    out[2] = (struct cb_mode_counter){"gil_cross_cpu", (double)g->cross_cpu,
                                      handoffs};
    out[3] = (struct cb_mode_counter){
        "gil_state_s", (double)g->handoff_state_ns / 1e9,
        g->n_objects ? handoffs : 0};
    return 4;
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

const struct cb_option cb_option_shared_kib = {
    .name = "shared_kib",
    .metavar = "N",
    .help = "KiB of the interpreter's state that each new holder of "
            "gil's lock writes when it takes it (refcounts of the objects "
            "every thread uses: 13 for the second seed note's task, 3 for "
            "a bytecode loop, docs/gil.md); named /shared_kib:N when not 0",
    .min = 0,
    .max = 65536,
    .def = 0,
    .in_name = true,
};

const struct cb_mode cb_mode_gil = {
    .name = "gil",
    .summary = "a new pthread per task, at most W alive, computing only while "
               "holding one global lock (CPython's GIL)",
    .per_task = true,
    .options = (const struct cb_option *const[]){&cb_option_switch_us,
                                                 &cb_option_shared_kib, NULL},
    .state_size = sizeof(struct state),
    .start = gil_start,
    .run = gil_run,
    .stop = gil_stop,
    .cpu_ns = cb_cpu_ns_this_process,
    .counters = gil_counters,
};
