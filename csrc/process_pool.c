/*
 * process_pool: W processes forked before the timed region take tasks from a
 * shared queue and send results back over pipes; what multiprocessing.Pool
 * does with the fork start method. The queue is one pipe of 4-byte task
 * indices that every worker reads (writes of at most PIPE_BUF bytes are
 * atomic, so each read takes one whole index), each the first of a chunk of
 * job->chunk consecutive tasks, as Pool.map hands out chunks; each worker
 * has its own result pipe, so the parent learns which worker died when one
 * does, and sends a chunk's results back together. A shared page records
 * the task each worker is running, to name the task that a worker's death
 * or a timeout belongs to.
 */
#include "executor.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    READY_TASK = UINT32_MAX,
    START_TIMEOUT_MS = 10000,
    /* Results in one write that a pipe delivers whole. */
    RESULTS_PER_WRITE = PIPE_BUF / sizeof(struct cb_task_result),
};

struct cb_executor {
    const struct cb_job *job;
    unsigned n_workers; /* forked so far */
    pid_t *pids;
    int task_w;    /* write end of the shared task queue */
    int *result_r; /* read end of each worker's result pipe */
    atomic_int *current; /* shared: task each worker runs, -1 when none */
    size_t current_len;
    struct pollfd *pfds;
    struct cb_task_result *buf;
    bool *seen;
};

static void worker_main(struct cb_executor *p, unsigned me, int task_r,
                        int result_w, pid_t parent)
{
    cb_child_init(parent);
    /* Drop the parent's ends, so that only the parent holds the queue open. */
    close(p->task_w);
    for (unsigned i = 0; i < me; i++)
        close(p->result_r[i]);

    struct cb_task_result r[RESULTS_PER_WRITE] = {
        {.task = READY_TASK, .worker = (int)me}};
    if (cb_write_full(result_w, r, sizeof r[0]) < 0)
        _exit(126);
    const struct cb_job *job = p->job;
    unsigned chunk = job->chunk ? job->chunk : 1;
    for (;;) {
        uint32_t first;
        ssize_t n = cb_read_full(task_r, &first, sizeof first);
        if (n == 0)
            _exit(0); /* the parent closed the queue: the pool is stopping */
        if (n < 0)
            _exit(125);
        /* A chunk's results go back together, whole writes of <= PIPE_BUF. */
        unsigned end = job->tasks - first < chunk ? job->tasks : first + chunk;
        unsigned held = 0;
        for (unsigned t = first; t < end; t++) {
            atomic_store(&p->current[me], (int)t);
            cb_task_run(job, t, (int)me, &r[held++]);
            if (held == RESULTS_PER_WRITE || t + 1 == end) {
                atomic_store(&p->current[me], -1);
                if (cb_write_full(result_w, r, held * sizeof r[0]) < 0)
                    _exit(126);
                held = 0;
            }
        }
    }
}

static void kill_workers(struct cb_executor *p)
{
    for (unsigned i = 0; i < p->n_workers; i++) {
        if (p->pids[i] > 0) {
            cb_kill_reap(p->pids[i]);
            p->pids[i] = 0;
        }
    }
}

static void process_pool_stop(struct cb_executor *p)
{
    if (p->task_w >= 0)
        close(p->task_w); /* idle workers read end of file and exit */
    int64_t deadline = cb_now_ns() + 1000000000;
    for (unsigned i = 0; i < p->n_workers; i++) {
        while (p->pids[i] > 0 && cb_now_ns() < deadline) {
            pid_t r = waitpid(p->pids[i], NULL, WNOHANG);
            if (r == p->pids[i] || (r < 0 && errno != EINTR))
                p->pids[i] = 0;
            else
                usleep(1000);
        }
    }
    kill_workers(p); /* whoever did not leave in time */
    for (unsigned i = 0; i < p->n_workers; i++)
        close(p->result_r[i]);
    if (p->current)
        munmap(p->current, p->current_len);
    free(p->seen);
    free(p->buf);
    free(p->pfds);
    free(p->result_r);
    free(p->pids);
    free(p);
}

/* Read one worker's ready message, so that start-up ends with all of them up. */
static int await_ready(struct cb_executor *p, unsigned i, int64_t deadline,
                       struct cb_error *err)
{
    struct pollfd pfd = {.fd = p->result_r[i], .events = POLLIN};
    int ready;
    while ((ready = poll(&pfd, 1, cb_poll_ms_until(deadline))) < 0 &&
           errno == EINTR)
        ;
    struct cb_task_result r;
    if (ready == 1 && cb_read_full(p->result_r[i], &r, sizeof r) ==
                          (ssize_t)sizeof r && r.task == READY_TASK)
        return 0;
    cb_error_set(err, "worker %u did not start within %d ms", i,
                 START_TIMEOUT_MS);
    return -1;
}

static int process_pool_start(const struct cb_job *job,
                              struct cb_executor **out, struct cb_error *err)
{
    struct cb_executor *p = calloc(1, sizeof *p);
    if (!p) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    p->job = job;
    p->task_w = -1;
    p->pids = calloc(job->workers, sizeof *p->pids);
    p->result_r = calloc(job->workers, sizeof *p->result_r);
    p->pfds = calloc(job->workers + 1, sizeof *p->pfds); /* + the queue */
    p->buf = calloc(64, sizeof *p->buf);
    p->seen = calloc(job->tasks, sizeof *p->seen);
    p->current_len = job->workers * sizeof *p->current;
    p->current = mmap(NULL, p->current_len, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->current == MAP_FAILED)
        p->current = NULL;
    if (!p->pids || !p->result_r || !p->pfds || !p->buf || !p->seen ||
        !p->current) {
        cb_error_set(err, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < job->workers; i++)
        atomic_init(&p->current[i], -1);

    int queue[2];
    if (pipe2(queue, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        goto fail;
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
        goto fail;
    }
    pid_t parent = getpid();
    int64_t deadline = cb_now_ns() + (int64_t)START_TIMEOUT_MS * 1000000;
    for (unsigned i = 0; i < job->workers; i++) {
        int res[2];
        if (pipe2(res, O_CLOEXEC) < 0) {
            cb_error_set(err, "worker %u: pipe: %s", i, strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            cb_error_set(err, "worker %u: fork: %s", i, strerror(errno));
            close(res[0]);
            close(res[1]);
            break;
        }
        if (pid == 0) {
            close(res[0]);
            worker_main(p, i, queue[0], res[1], parent);
        }
        close(res[1]);
        p->pids[i] = pid;
        p->result_r[i] = res[0];
        p->n_workers++;
    }
    close(queue[0]);
    if (p->n_workers < job->workers)
        goto fail;
    for (unsigned i = 0; i < job->workers; i++)
        if (await_ready(p, i, deadline, err) < 0)
            goto fail;
    *out = p;
    return 0;
fail:
    process_pool_stop(p);
    return -1;
}

/*
 * Hand out the chunks of the batch from *next on, each as its first task's
 * index, until the queue is full or all are out: writes of at most PIPE_BUF
 * bytes, which a non-blocking pipe takes whole or not at all.
 */
static int post_tasks(struct cb_executor *p, const struct cb_job *job,
                      unsigned *next, struct cb_error *err)
{
    enum { PER_WRITE = PIPE_BUF / sizeof(uint32_t) };
    uint32_t firsts[PER_WRITE];
    unsigned chunk = job->chunk ? job->chunk : 1;
    while (*next < job->tasks) {
        unsigned n = 0, t = *next;
        for (; n < PER_WRITE && t < job->tasks; t += chunk)
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
static void worker_died(struct cb_executor *p, unsigned i,
                        struct cb_error *err)
{
    int status = 0;
    while (waitpid(p->pids[i], &status, 0) < 0 && errno == EINTR)
        ;
    p->pids[i] = 0;
    char how[96];
    cb_describe_status(status, how, sizeof how);
    int task = atomic_load(&p->current[i]);
    if (task >= 0)
        cb_error_set(err, "task %d: worker %u %s", task, i, how);
    else
        cb_error_set(err, "worker %u %s between tasks", i, how);
}

/* Take the whole results waiting in worker i's pipe. */
static int collect(struct cb_executor *p, unsigned i,
                   struct cb_task_result *results, unsigned *received,
                   struct cb_error *err)
{
    ssize_t n;
    while ((n = read(p->result_r[i], p->buf, 64 * sizeof *p->buf)) < 0 &&
           errno == EINTR)
        ;
    if (n == 0) {
        worker_died(p, i, err);
        return -1;
    }
    if (n < 0 || n % (ssize_t)sizeof *p->buf != 0) {
        cb_error_set(err, "worker %u: bad result message (%zd bytes)", i, n);
        return -1;
    }
    for (size_t k = 0; k < (size_t)n / sizeof *p->buf; k++) {
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

static int process_pool_run(struct cb_executor *p, const struct cb_job *job,
                            struct cb_task_result *results,
                            struct cb_error *err)
{
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    memset(p->seen, 0, job->tasks * sizeof *p->seen);
    unsigned posted = 0; /* the first task not yet in the queue */
    if (post_tasks(p, job, &posted, err) < 0)
        goto fail;

    unsigned received = 0;
    unsigned n = p->n_workers;
    for (unsigned i = 0; i < n; i++)
        p->pfds[i] = (struct pollfd){.fd = p->result_r[i], .events = POLLIN};
    while (received < job->tasks) {
        p->pfds[n] = (struct pollfd){
            .fd = posted < job->tasks ? p->task_w : -1, .events = POLLOUT};
        int ready = poll(p->pfds, n + 1, cb_poll_ms_until(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            cb_error_set(err, "poll: %s", strerror(errno));
            goto fail;
        }
        if (ready == 0) {
            int current[CB_MAX_WORKERS];
            for (unsigned i = 0; i < p->n_workers; i++)
                current[i] = atomic_load(&p->current[i]);
            cb_error_pool_timeout(err, current, p->n_workers, received,
                                  job->tasks, job->timeout_ms);
            goto fail;
        }
        for (unsigned i = 0; i < n; i++)
            if (p->pfds[i].revents &&
                collect(p, i, results, &received, err) < 0)
                goto fail;
        if (p->pfds[n].revents && post_tasks(p, job, &posted, err) < 0)
            goto fail;
    }
    return 0;
fail:
    kill_workers(p);
    return -1;
}

const struct cb_mode cb_mode_process_pool = {
    .name = "process_pool",
    .summary = "W processes forked beforehand take tasks from a shared pipe "
               "and send results back over pipes",
    .pool = true,
    .chunked = true,
    .start = process_pool_start,
    .run = process_pool_run,
    .stop = process_pool_stop,
};
