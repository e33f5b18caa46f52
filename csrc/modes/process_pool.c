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
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
    READY_TASK = UINT32_MAX,
    START_TIMEOUT_MS = 10000,
    STOP_TIMEOUT_MS = 1000,
    INBOX = 64, /* results read at a time */
    /* Results in one write that a pipe delivers whole. */
    RESULTS_PER_WRITE = PIPE_BUF / sizeof(struct cb_task_result),
};

struct pool {
    const struct cb_job *job;
    unsigned chunk;
    unsigned n_workers;       /* forked so far */
    struct cb_child *workers; /* fd: the read end of its result pipe */
    int task_w;               /* write end of the shared task queue */
    atomic_int *current; /* shared: task each worker runs, -1 when none */
    size_t current_len;
    struct pollfd *pfds;
    struct cb_task_result buf[INBOX];
    bool *seen;
};

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
    for (;;) {
        uint32_t first;
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
                held = 0;
            }
        }
    }
}

static bool process_pool_stop(struct cb_executor *ex)
{
    struct pool *p = ex->state;
    if (p->task_w >= 0)
        close(p->task_w); /* idle workers read end of file and exit */
    int64_t deadline = cb_now_ns() + STOP_TIMEOUT_MS * 1000000LL;
    for (unsigned i = 0; i < p->n_workers; i++)
        if (p->workers[i].pid > 0)
            cb_child_end(&p->workers[i], deadline);
    if (p->current)
        munmap(p->current, p->current_len);
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
    p->workers = calloc(job->workers, sizeof *p->workers);
    p->pfds = calloc(job->workers + 1, sizeof *p->pfds); /* + the queue */
    p->seen = calloc(job->tasks, sizeof *p->seen);
    p->current_len = job->workers * sizeof *p->current;
    p->current = mmap(NULL, p->current_len, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->current == MAP_FAILED)
        p->current = NULL;
    if (!p->workers || !p->pfds || !p->seen || !p->current) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < job->workers; i++)
        atomic_init(&p->current[i], -1);

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
        int rc = cb_child_fork(&p->workers[i], false);
        if (rc < 0) {
            cb_error_set(err, "worker %u: fork: %s", i, strerror(errno));
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
 * Hand out the chunks of the batch from *next on, each as its first task's
 * index, until the queue is full or all are out: writes of at most PIPE_BUF
 * bytes, which a non-blocking pipe takes whole or not at all.
 */
static int post_tasks(struct pool *p, unsigned *next, struct cb_error *err)
{
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

/* Take the whole results waiting in worker i's pipe. */
static int collect(struct pool *p, unsigned i, struct cb_task_result *results,
                   unsigned *received, struct cb_error *err)
{
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
    if (post_tasks(p, &posted, err) < 0)
        goto fail;

    unsigned received = 0;
    unsigned n = p->n_workers;
    for (unsigned i = 0; i < n; i++)
        p->pfds[i] = (struct pollfd){.fd = p->workers[i].fd, .events = POLLIN};
    while (received < job->tasks) {
        p->pfds[n] = (struct pollfd){
            .fd = posted < job->tasks ? p->task_w : -1, .events = POLLOUT};
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

const struct cb_mode cb_mode_process_pool = {
    .name = "process_pool",
    .summary = "W processes forked beforehand take tasks from a shared pipe "
               "and send results back over pipes",
    .pool = true,
    .options = (const struct cb_option *const[]){&cb_option_chunk, NULL},
    .state_size = sizeof(struct pool),
    .start = process_pool_start,
    .run = process_pool_run,
    .stop = process_pool_stop,
};
