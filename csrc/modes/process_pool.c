/*
 * process_pool: W processes forked before the timed region take tasks from a
 * shared queue and send results back over pipes; what multiprocessing.Pool
 * does with the fork start method. The queue is one pipe of 4-byte task
 * indices that every worker reads (writes of at most PIPE_BUF bytes are
 * atomic, so each read takes one whole index), each the first of a chunk of
 * consecutive tasks (the chunk option), as Pool.map hands out chunks; each
 * worker has its own result pipe, so the parent learns which worker died
 * when one does, and sends a chunk's results back together. A shared page
 * records the task each worker is running, to name the task that a worker's
 * death or a timeout belongs to.
 *
 * A payload goes as Pool.map's arguments and results go, through the pipes
 * (transport pipe, the default): after a chunk's first index come its
 * tasks' inputs, which a worker reads whole under a lock that the workers
 * share (Python's Pool holds a lock while a worker reads from its queue),
 * and each result comes back after the task's output. Or it stays in the
 * memory shared before the pool was forked (transport shm), and only the
 * indices and results go through the pipes, as without a payload.
 *
 * Waiting (the wait option): passive, the default, is Pool's way: an idle
 * worker blocks reading the queue, and the parent in poll for the result
 * pipes; each write wakes the reader the kernel parked. Active first spins
 * (spin.h) on counts in the shared page instead: the chunks the parent has
 * queued, those the workers have claimed, the results they have sent. A
 * worker claims a chunk in the shared count before it reads it, so that it
 * reads only what is already in the queue and never blocks there; with
 * nothing to claim within the budget it parks on a futex on the queued
 * count, noted in parked, and the parent wakes it (a system call) only if
 * one parked. The parent spins while no result is waiting in any pipe,
 * then polls as under passive: results still come through the pipes, and
 * a worker's death is still seen there (within the budget).
 */
#include "child.h"
#include "spin.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum {
    READY_TASK = UINT32_MAX,
    START_TIMEOUT_MS = 10000,
    INBOX = 64, /* results read at a time */
    /* Results in one write that a pipe delivers whole. */
    RESULTS_PER_WRITE = PIPE_BUF / sizeof(struct cb_task_result),
};

/*
 * The page the workers share: the task each runs, the queue's lock, and
 * under active the counts each side spins on (since the pool started;
 * compared by their difference, so that they may wrap).
 */
struct shared {
    pthread_mutex_t read_lock; /* held while a worker reads one message */
    atomic_uint queued;   /* chunks whose message the queue holds (begun) */
    atomic_uint claimed;  /* chunks a worker has claimed to read */
    atomic_uint sent;     /* tasks whose result a worker has written */
    atomic_uint parked;   /* workers in futex_wait on queued */
    atomic_bool stopping; /* the pool is stopping: parked workers exit */
    atomic_int current[]; /* task each worker runs, -1 when none */
};

struct pool {
    const struct cb_job *job;
    unsigned chunk;
    bool pipes;          /* a payload through the pipes */
    unsigned posting;    /* the chunk whose message is being written */
    uint64_t posted;     /* bytes of that message written so far */
    unsigned long long spin;  /* checks before parking: 0 under passive */
    unsigned received;        /* results read since the pool started */
    bool announced;           /* the message being posted is counted */
    unsigned n_workers;       /* forked so far */
    struct cb_child *workers; /* fd: the read end of its result pipe */
    int task_w;               /* write end of the shared task queue */
    struct shared *shared;
    atomic_int *current; /* shared->current */
    size_t shared_len;
    struct pollfd *pfds;
    struct cb_task_result buf[INBOX];
    bool *seen;
};

/* A futex on a word of the shared page, which other processes use too. */
static void futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, word, FUTEX_WAIT, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word, unsigned n)
{
    syscall(SYS_futex, word, FUTEX_WAKE, n > INT_MAX ? INT_MAX : (int)n, NULL,
            NULL, 0);
}

/*
 * Under active, a worker's wait for work: claim the next chunk in the
 * queue (its message is there, or begun), spinning up to the budget while
 * there is none, then parked on queued. Either it sees the parent's new
 * count, or the parent sees it parked and wakes it: both sides change
 * their count before they read the other's (sequentially consistent).
 * Returns false when the pool is stopping.
 */
static bool claim_chunk(struct pool *p)
{
    struct shared *sh = p->shared;
    unsigned long long spun = 0;
    for (;;) {
        if (atomic_load(&sh->stopping))
            return false;
        unsigned queued = atomic_load(&sh->queued);
        unsigned claimed = atomic_load(&sh->claimed);
        if ((int)(queued - claimed) > 0) {
            if (atomic_compare_exchange_weak(&sh->claimed, &claimed,
                                             claimed + 1))
                return true;
            continue;
        }
        if (spun++ < p->spin) {
            cb_spin_pause();
            continue;
        }
        atomic_fetch_add(&sh->parked, 1);
        if (!atomic_load(&sh->stopping) &&
            (int)(atomic_load(&sh->queued) - atomic_load(&sh->claimed)) <= 0)
            futex_wait(&sh->queued, queued);
        atomic_fetch_sub(&sh->parked, 1);
        spun = 0; /* woken: spin again before parking (libgomp's do_wait) */
    }
}

/* Under active, the parent: n more chunks are in the queue (or begun). */
static void announce(struct pool *p, unsigned n)
{
    struct shared *sh = p->shared;
    atomic_fetch_add(&sh->queued, n);
    if (atomic_load(&sh->parked) > 0)
        futex_wake(&sh->queued, n);
}

/*
 * Under active, a worker: n more results are in its pipe, or on their way
 * in (a payload's output can be more than the pipe holds: the parent must
 * be reading while it is written, not spinning).
 */
static void note_sent(struct pool *p, unsigned n)
{
    if (p->spin)
        atomic_fetch_add(&p->shared->sent, n);
}

/*
 * Under active, the parent before it polls, once every task is in the
 * queue (while some are not, it polls to write them: a worker may be
 * waiting for the rest of a message bigger than the pipe): spin up to the
 * budget while every result sent has been read.
 */
static void await_results(struct pool *p)
{
    for (unsigned long long i = 0; i < p->spin; i++) {
        if ((int)(atomic_load_explicit(&p->shared->sent,
                                       memory_order_acquire) -
                  p->received) > 0)
            return;
        cb_spin_pause();
    }
}

/* The tasks of the chunk that starts at first: first to the end. */
static unsigned chunk_end(const struct pool *p, unsigned first)
{
    unsigned tasks = p->job->tasks;
    return tasks - first < p->chunk ? tasks : first + p->chunk;
}

/*
 * A worker with a payload through the pipes: take a chunk's message whole
 * under the queue's lock (its first index, then its inputs), run its
 * tasks, and send each back as its index, its output, its result.
 */
__attribute__((noreturn)) static void worker_pipes(struct pool *p,
                                                   unsigned me, int task_r,
                                                   int result_w)
{
    const struct cb_job *job = p->job;
    const struct cb_worker w = {.slot = (int)me};
    uint64_t bytes = job->params.payload;
    unsigned char *in = malloc(p->chunk * bytes), *out = malloc(bytes);
    if (!in || !out)
        _exit(CB_EXIT_SETUP);
    for (;;) {
        uint32_t first;
        if (p->spin && !claim_chunk(p))
            _exit(0); /* the pool is stopping */
        /* Its owner died half-way through a message: the queue is lost. */
        if (pthread_mutex_lock(&p->shared->read_lock) == EOWNERDEAD)
            _exit(CB_EXIT_PROTOCOL);
        int64_t t0 = cb_now_ns();
        ssize_t n = cb_read_full(task_r, &first, sizeof first);
        if (n == 0) {
            pthread_mutex_unlock(&p->shared->read_lock);
            _exit(0); /* the pool is stopping */
        }
        unsigned end = n > 0 && first < job->tasks ? chunk_end(p, first) : 0;
        if (n < 0 || end == 0 ||
            cb_read_full(task_r, in, (end - first) * bytes) !=
                (ssize_t)((end - first) * bytes))
            _exit(CB_EXIT_PROTOCOL);
        pthread_mutex_unlock(&p->shared->read_lock);
        int64_t reading = (cb_now_ns() - t0) / (end - first);
        for (unsigned t = first; t < end; t++) {
            atomic_store(&p->current[me], (int)t);
            const struct cb_task_io io = {in + (t - first) * bytes, out};
            struct cb_task_result r;
            cb_task_run(job, t, &w, &io, &r);
            atomic_store(&p->current[me], -1);
            int64_t t1 = cb_now_ns();
            uint32_t index = t;
            note_sent(p, 1);
            if (cb_write_full(result_w, &index, sizeof index) < 0 ||
                cb_write_full(result_w, out, bytes) < 0)
                _exit(CB_EXIT_SEND);
            r.bytes_in = r.bytes_out = bytes;
            r.move_ns = reading + (cb_now_ns() - t1);
            if (cb_write_full(result_w, &r, sizeof r) < 0)
                _exit(CB_EXIT_SEND);
        }
    }
}

__attribute__((noreturn)) static void
worker_main(struct pool *p, unsigned me, int task_r, int result_w)
{
    /* Drop the parent's ends, so that only the parent holds the queue open. */
    close(p->task_w);
    for (unsigned i = 0; i < me; i++)
        close(p->workers[i].fd);

    struct cb_task_result r[RESULTS_PER_WRITE] = {
        {.task = READY_TASK, .worker = (int)me}};
    if (cb_write_full(result_w, r, sizeof r[0]) < 0)
        _exit(CB_EXIT_SEND);
    const struct cb_job *job = p->job;
    const struct cb_worker w = {.slot = (int)me};
    if (p->pipes)
        worker_pipes(p, me, task_r, result_w);
    for (;;) {
        uint32_t first;
        if (p->spin && !claim_chunk(p))
            _exit(0); /* the pool is stopping */
        ssize_t n = cb_read_full(task_r, &first, sizeof first);
        if (n == 0)
            _exit(0); /* the parent closed the queue: the pool is stopping */
        if (n < 0)
            _exit(CB_EXIT_PROTOCOL);
        /* A chunk's results go back together, whole writes of <= PIPE_BUF. */
        unsigned end = job->tasks - first < p->chunk ? job->tasks
                                                     : first + p->chunk;
        unsigned held = 0;
        for (unsigned t = first; t < end; t++) {
            atomic_store(&p->current[me], (int)t);
            cb_task_run(job, t, &w, NULL, &r[held++]);
            if (held == RESULTS_PER_WRITE || t + 1 == end) {
                atomic_store(&p->current[me], -1);
                if (cb_write_full(result_w, r, held * sizeof r[0]) < 0)
                    _exit(CB_EXIT_SEND);
                note_sent(p, held);
                held = 0;
            }
        }
    }
}

static bool process_pool_stop(struct cb_executor *ex)
{
    struct pool *p = ex->state;
    if (p->shared && p->spin) {
        /*
         * Spinning or parked workers exit. The count moves too, so that a
         * worker about to park (it saw stopping false) finds it changed
         * (futex_wait returns at once) or is woken.
         */
        atomic_store(&p->shared->stopping, true);
        atomic_fetch_add(&p->shared->queued, 1);
        futex_wake(&p->shared->queued, INT_MAX);
    }
    if (p->task_w >= 0)
        close(p->task_w); /* idle workers read end of file and exit */
    int64_t deadline = cb_now_ns() + CB_STOP_TIMEOUT_MS * 1000000LL;
    for (unsigned i = 0; i < p->n_workers; i++)
        if (p->workers[i].pid > 0)
            cb_child_end(&p->workers[i], deadline);
    if (p->shared)
        munmap(p->shared, p->shared_len);
    free(p->seen);
    free(p->pfds);
    free(p->workers);
    return true;
}

/* Read one worker's ready message, so that start-up ends with all of them up. */
static int await_ready(struct pool *p, unsigned i, int64_t deadline,
                       struct cb_error *err)
{
    struct pollfd pfd = {.fd = p->workers[i].fd, .events = POLLIN};
    struct cb_task_result r;
    if (cb_poll_until(&pfd, 1, deadline, err) == 1 &&
        cb_read_records(p->workers[i].fd, &r, sizeof r, 1) == 1 &&
        r.task == READY_TASK)
        return 0;
    cb_error_set(err, "worker %u did not start within %d ms", i,
                 START_TIMEOUT_MS);
    return -1;
}

static int process_pool_start(struct cb_executor *ex, struct cb_error *err)
{
    struct pool *p = ex->state;
    const struct cb_job *job = &ex->job;
    p->task_w = -1;
    p->job = job;
    p->chunk = cb_executor_option(ex, &cb_option_chunk);
    p->spin = cb_spin_budget(ex, job->workers + 1); /* and the parent */
    p->pipes = job->data && cb_executor_option(ex, &cb_option_transport) ==
                                CB_TRANSPORT_PIPE;
    p->workers = calloc(job->workers, sizeof *p->workers);
    p->pfds = calloc(job->workers + 1, sizeof *p->pfds); /* + the queue */
    p->seen = calloc(job->tasks, sizeof *p->seen);
    p->shared_len = sizeof *p->shared + job->workers * sizeof *p->current;
    p->shared = mmap(NULL, p->shared_len, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->shared == MAP_FAILED)
        p->shared = NULL;
    if (!p->workers || !p->pfds || !p->seen || !p->shared) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    p->current = p->shared->current;
    /*
     * Robust: a worker killed while it holds the lock must not leave the
     * others waiting; they are all killed then anyway (the batch fails).
     */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&p->shared->read_lock, &attr);
    pthread_mutexattr_destroy(&attr);
    for (unsigned i = 0; i < job->workers; i++)
        atomic_init(&p->current[i], -1);
    atomic_init(&p->shared->queued, 0);
    atomic_init(&p->shared->claimed, 0);
    atomic_init(&p->shared->sent, 0);
    atomic_init(&p->shared->parked, 0);
    atomic_init(&p->shared->stopping, false);

    int queue[2];
    if (pipe2(queue, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
    p->task_w = queue[1];
    /*
     * The parent writes the queue without blocking and goes on reading
     * results: a queue pipe too small for a batch (pipes shrink when a user
     * holds many) must not wait on workers that wait on the parent.
     */
    if (fcntl(p->task_w, F_SETFL, O_NONBLOCK) < 0) {
        cb_error_set(err, "fcntl: %s", strerror(errno));
        close(queue[0]);
        return -1;
    }
    int64_t deadline = cb_now_ns() + START_TIMEOUT_MS * 1000000LL;
    for (unsigned i = 0; i < job->workers; i++) {
        int res[2];
        if (pipe2(res, O_CLOEXEC) < 0) {
            cb_error_set(err, "worker %u: pipe: %s", i, strerror(errno));
            break;
        }
        const char *call;
        int rc = cb_child_fork(&p->workers[i], false, &call);
        if (rc < 0) {
            cb_error_set(err, "worker %u: %s: %s", i, call, strerror(errno));
            close(res[0]);
            close(res[1]);
            break;
        }
        if (rc == 0) {
            close(res[0]);
            worker_main(p, i, queue[0], res[1]);
        }
        close(res[1]);
        p->workers[i].fd = res[0];
        p->n_workers++;
    }
    close(queue[0]);
    if (p->n_workers < job->workers)
        return -1;
    for (unsigned i = 0; i < job->workers; i++)
        if (await_ready(p, i, deadline, err) < 0)
            return -1;
    return 0;
}

/*
 * The queue with a payload through the pipes: each chunk's message, its
 * first index and its inputs, written as far as the pipe takes it, and
 * resumed where it stopped when poll says there is room.
 */
static int post_inputs(struct pool *p, unsigned *next, struct cb_error *err)
{
    uint64_t bytes = p->job->params.payload;
    while (*next < p->job->tasks) {
        unsigned first = *next, end = chunk_end(p, first);
        uint32_t header = first;
        uint64_t total = sizeof header + (end - first) * bytes;
        const unsigned char *in = cb_payload_input(p->job->data, first);
        struct iovec v[2];
        int nv = 0;
        if (p->posted < sizeof header)
            v[nv++] = (struct iovec){(char *)&header + p->posted,
                                     sizeof header - p->posted};
        uint64_t data_off = p->posted > sizeof header
                                ? p->posted - sizeof header : 0;
        v[nv++] = (struct iovec){(void *)(in + data_off),
                                 (end - first) * bytes - data_off};
        ssize_t w = writev(p->task_w, v, nv);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0;
        if (w < 0) {
            cb_error_set(err, "writing to the task queue: %s",
                         strerror(errno));
            return -1;
        }
        p->posted += (uint64_t)w;
        /* A worker may claim it once its first index is in the queue. */
        if (p->spin && !p->announced && p->posted >= sizeof header) {
            p->announced = true;
            announce(p, 1);
        }
        if (p->posted == total) {
            *next = end;
            p->posted = 0;
            p->announced = false;
        }
    }
    return 0;
}

/*
 * Hand out the chunks of the batch from *next on, each as its first task's
 * index, until the queue is full or all are out: writes of at most PIPE_BUF
 * bytes, which a non-blocking pipe takes whole or not at all.
 */
static int post_tasks(struct pool *p, unsigned *next, struct cb_error *err)
{
    if (p->pipes)
        return post_inputs(p, next, err);
    enum { PER_WRITE = PIPE_BUF / sizeof(uint32_t) };
    uint32_t firsts[PER_WRITE];
    unsigned tasks = p->job->tasks;
    while (*next < tasks) {
        unsigned n = 0, t = *next;
        for (; n < PER_WRITE && t < tasks; t += p->chunk)
            firsts[n++] = t;
        ssize_t w = write(p->task_w, firsts, n * sizeof firsts[0]);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return 0; /* full: poll says when there is room */
        if (w != (ssize_t)(n * sizeof firsts[0])) {
            cb_error_set(err, "writing to the task queue: %s",
                         w < 0 ? strerror(errno) : "short write");
            return -1;
        }
        if (p->spin)
            announce(p, n);
        *next = t;
    }
    return 0;
}

/* Worker i closed its pipe: it died. Name the task it was running. */
static void worker_died(struct pool *p, unsigned i, struct cb_error *err)
{
    int status = cb_child_reap(&p->workers[i]);
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    int task = atomic_load(&p->current[i]);
    if (task >= 0)
        cb_error_set(err, "task %d: worker %u %s", task, i, how);
    else
        cb_error_set(err, "worker %u %s between tasks", i, how);
}

/* With a payload through the pipes: one task's index, output, result. */
static int collect_output(struct pool *p, unsigned i,
                          struct cb_task_result *results, unsigned *received,
                          struct cb_error *err)
{
    int fd = p->workers[i].fd;
    uint32_t task;
    ssize_t n = cb_read_full(fd, &task, sizeof task);
    if (n == 0) {
        worker_died(p, i, err);
        return -1;
    }
    if (n < 0 || task >= p->job->tasks || p->seen[task]) {
        cb_error_set(err, "worker %u: a message for task %u unexpected", i,
                     n < 0 ? 0 : task);
        return -1;
    }
    uint64_t bytes = p->job->params.payload;
    struct cb_task_result r;
    if (cb_read_full(fd, cb_payload_output(p->job->data, task), bytes) !=
            (ssize_t)bytes ||
        cb_read_full(fd, &r, sizeof r) != (ssize_t)sizeof r) {
        /* A worker that died sending: its exit says more, if it failed. */
        worker_died(p, i, err);
        if (strstr(err->msg, "exited with status 0"))
            cb_error_set(err, "task %u: worker %u's output cut short", task,
                         i);
        return -1;
    }
    if (r.task != task) {
        cb_error_set(err, "worker %u: result for task %u after task %u's "
                     "output", i, r.task, task);
        return -1;
    }
    p->seen[task] = true;
    results[task] = r;
    (*received)++;
    p->received++;
    return 0;
}

/* Take the whole results waiting in worker i's pipe. */
static int collect(struct pool *p, unsigned i, struct cb_task_result *results,
                   unsigned *received, struct cb_error *err)
{
    if (p->pipes)
        return collect_output(p, i, results, received, err);
    ssize_t n = cb_read_records(p->workers[i].fd, p->buf, sizeof p->buf[0],
                                INBOX);
    if (n == 0) {
        worker_died(p, i, err);
        return -1;
    }
    if (n < 0) {
        cb_error_set(err, "worker %u: bad result message: %s", i,
                     strerror(errno));
        return -1;
    }
    for (ssize_t k = 0; k < n; k++) {
        const struct cb_task_result *r = &p->buf[k];
        if (r->task >= p->job->tasks || p->seen[r->task]) {
            cb_error_set(err, "worker %u: result for task %u unexpected", i,
                         r->task);
            return -1;
        }
        p->seen[r->task] = true;
        results[r->task] = *r;
        (*received)++;
        p->received++;
    }
    return 0;
}

static int process_pool_run(struct cb_executor *ex,
                            struct cb_task_result *results,
                            struct cb_error *err)
{
    struct pool *p = ex->state;
    const struct cb_job *job = p->job;
    int64_t deadline = cb_job_deadline(job);
    memset(p->seen, 0, job->tasks * sizeof *p->seen);
    unsigned posted = 0; /* the first task not yet in the queue */
    p->posted = 0;
    p->announced = false;
    if (post_tasks(p, &posted, err) < 0)
        goto fail;

    unsigned received = 0;
    unsigned n = p->n_workers;
    for (unsigned i = 0; i < n; i++)
        p->pfds[i] = (struct pollfd){.fd = p->workers[i].fd, .events = POLLIN};
    while (received < job->tasks) {
        p->pfds[n] = (struct pollfd){
            .fd = posted < job->tasks ? p->task_w : -1, .events = POLLOUT};
        if (p->spin && posted >= job->tasks)
            await_results(p);
        int ready = cb_poll_until(p->pfds, n + 1, deadline, err);
        if (ready < 0)
            goto fail;
        if (ready == 0) {
            int current[CB_MAX_WORKERS];
            for (unsigned i = 0; i < n; i++)
                current[i] = atomic_load(&p->current[i]);
            cb_error_pool_timeout(err, current, n, received, job->tasks,
                                  job->timeout_ms);
            goto fail;
        }
        for (unsigned i = 0; i < n; i++)
            if (p->pfds[i].revents &&
                collect(p, i, results, &received, err) < 0)
                goto fail;
        if (p->pfds[n].revents && post_tasks(p, &posted, err) < 0)
            goto fail;
    }
    return 0;
fail:
    cb_children_kill(p->workers, p->n_workers);
    return -1;
}

/* This process's CPU time and its workers'. */
static int64_t process_pool_cpu_ns(const struct cb_executor *ex)
{
    const struct pool *p = ex->state;
    int64_t sum = cb_cpu_ns_this_process(ex);
    for (unsigned i = 0; i < p->n_workers && sum >= 0; i++) {
        clockid_t clock;
        struct timespec ts;
        if (p->workers[i].pid <= 0 ||
            clock_getcpuclockid(p->workers[i].pid, &clock) != 0 ||
            clock_gettime(clock, &ts) != 0)
            return -1;
        sum += (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return sum;
}

const struct cb_mode cb_mode_process_pool = {
    .name = "process_pool",
    .summary = "W processes forked beforehand take tasks from a shared pipe "
               "and send results back over pipes",
    .pool = true,
    .options = (const struct cb_option *const[]){&cb_option_chunk,
                                                 &cb_option_transport,
                                                 &cb_option_wait,
                                                 &cb_option_pool, NULL},
    .state_size = sizeof(struct pool),
    .start = process_pool_start,
    .run = process_pool_run,
    .stop = process_pool_stop,
    .cpu_ns = process_pool_cpu_ns,
};
