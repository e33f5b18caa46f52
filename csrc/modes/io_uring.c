/*
 * io_uring: one thread, the caller's, and one ring (liburing), as a C
 * programmer who reaches past epoll writes an event loop on Linux 5.6 and
 * later: the I/O itself is asked of the kernel as requests, and the loop
 * only submits them and reaps their completions, one system call for both
 * (io_uring_submit_and_wait_timeout). It is async's loop (async.c) with
 * completions in place of readiness, so that the two can be compared for
 * the same batch.
 *
 * As in async, "at most W at once" is W in-flight slots that tasks enter
 * in task order as slots free up, and a result's worker is its slot. What
 * a kernel offers the loop is its cb_kernel_async (kernels.h):
 *   - a pure wait (io_sleep) becomes one timeout request, absolute on
 *     CLOCK_MONOTONIC: the task runs from its submission to the loop's
 *     reaping of its completion, and its value is that interval, at least
 *     io_ms;
 *   - a request to a server (a kernel that describes its exchange:
 *     struct cb_exchange, kernels.h) becomes a socket (made at once: it
 *     waits for nothing) and three linked requests, connect, send and
 *     receive (the answer's bytes, MSG_WAITALL), submitted together; the
 *     task runs from its start to the completion that ended it, and the
 *     kernel makes its value of how it ended;
 *   - any other kernel runs inline, one task after another (loop.h).
 * A short send or receive asks again for the rest; a link broken by a short
 * send (the receive cancelled) asks for the receive again.
 *
 * Measurement as in async: a task's CPU time, faults and switches are the
 * loop's own spent on it, its submission and its completions; the first
 * task a wait completes is charged with the wait.
 *
 * Where io_uring is not to be had (a kernel without it, kernel.io_uring_
 * disabled, a seccomp filter that refuses io_uring_setup, a kernel whose
 * ring lacks an operation a task needs) start fails with one line saying
 * so, "io_uring: not available here: ...", and only that benchmark fails.
 *
 * It runs only when --modes names it (opt_in), as mpi_pool does: the
 * default suite's modes already take most of its 5 minutes, and on the
 * kernels that compute it would only measure async's inline loop again.
 *
 * Timeouts: a batch still in flight at job->timeout_ms fails naming its
 * first task; its requests are cancelled and their completions reaped
 * (within a second) before its sockets are closed, so that the kernel
 * writes into no buffer the executor frees.
 */
#include "loop.h"

#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kinds of request on the ring, each at most once in flight per slot. */
enum kind { TIMER, CONNECT, SEND, RECV, CANCEL };

/*
 * A request's user_data: its slot, its kind, and the generation of the
 * slot's task, so that a completion (or a cancellation) meant for a task
 * the slot ran before can never be taken for the present one's.
 */
static uint64_t tag(unsigned slot, uint32_t gen, enum kind kind)
{
    return (uint64_t)gen << 32 | (uint64_t)slot << 3 | (uint64_t)kind;
}

struct slot {
    bool busy;
    unsigned task;
    uint32_t gen;       /* counts the tasks the slot has run */
    unsigned in_flight; /* 1 << kind for each of its requests on the ring */
    /* A wait's deadline, for its timeout request. */
    struct __kernel_timespec at;
    /* A request's task: what it is, its socket, how far it got. */
    struct concbench_task task_view;
    struct cb_exchange x;
    int fd;
    size_t sent, got;
    bool ended; /* value and end_ns are known; done once nothing is in flight */
    uint64_t value;
    int64_t end_ns;
    unsigned char answer[CB_EXCHANGE_MAX];
};

struct uring {
    struct io_uring ring;
    bool ring_made;
    unsigned n_slots;
    struct slot *slots;
};

static void to_kernel_timespec(int64_t ns, struct __kernel_timespec *ts)
{
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

/* kernel.io_uring_disabled (Linux 6.6), or -1 where there is none. */
static int io_uring_disabled(void)
{
    FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* The one line of a ring that could not be made: why, as far as known. */
static void not_available(struct cb_error *err, int e)
{
    char why[96] = "";
    int disabled = io_uring_disabled();
    if (disabled > 0)
        snprintf(why, sizeof why, " (kernel.io_uring_disabled is %d)",
                 disabled);
    else if (e == ENOSYS)
        snprintf(why, sizeof why, " (a kernel without io_uring, or a "
                 "seccomp filter that hides it)");
    else if (e == EPERM || e == EACCES)
        snprintf(why, sizeof why, " (refused: a seccomp filter or a "
                 "security module)");
    else if (e == ENOMEM)
        snprintf(why, sizeof why, " (before Linux 5.12 a ring counts "
                 "against RLIMIT_MEMLOCK)");
    cb_error_set(err, "io_uring: not available here: io_uring_setup: %s%s",
                 strerror(e), why);
}

/* The requests a job's tasks make, as a probe names them. */
static const struct {
    int op;
    const char *name;
} timer_ops[] = {{IORING_OP_TIMEOUT, "TIMEOUT"},
                 {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}},
  request_ops[] = {{IORING_OP_CONNECT, "CONNECT"},
                   {IORING_OP_SEND, "SEND"},
                   {IORING_OP_RECV, "RECV"},
                   {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"}};

/*
 * Whether this kernel's ring has every operation the job's tasks need
 * (kernels from 5.1 to 5.5 have io_uring but not all of them): 0, or -1
 * with err set.
 */
static int check_ops(struct uring *u, const struct cb_job *job,
                     struct cb_error *err)
{
    bool timers = cb_kernel_wait_ns(job->kernel, &job->params) >= 0;
    bool requests = cb_kernel_exchange(job->kernel) != NULL;
    if (!timers && !requests)
        return 0;
    struct io_uring_probe *p = io_uring_get_probe_ring(&u->ring);
    if (!p) {
        cb_error_set(err, "io_uring: not available here: the kernel does "
                     "not list its ring's operations (IORING_REGISTER_PROBE, "
                     "Linux 5.6)");
        return -1;
    }
    size_t n = requests ? sizeof request_ops / sizeof request_ops[0]
                        : sizeof timer_ops / sizeof timer_ops[0];
    for (size_t i = 0; i < n; i++) {
        int op = requests ? request_ops[i].op : timer_ops[i].op;
        if (!io_uring_opcode_supported(p, op)) {
            cb_error_set(err, "io_uring: not available here: this kernel's "
                         "ring has no %s operation",
                         requests ? request_ops[i].name : timer_ops[i].name);
            io_uring_free_probe(p);
            return -1;
        }
    }
    io_uring_free_probe(p);
    return 0;
}

static bool uring_stop(struct cb_executor *ex)
{
    struct uring *u = ex->state;
    /* The ring first: its requests are cancelled before their buffers go. */
    if (u->ring_made)
        io_uring_queue_exit(&u->ring);
    for (unsigned i = 0; u->slots && i < u->n_slots; i++)
        if (u->slots[i].fd >= 0)
            close(u->slots[i].fd);
    free(u->slots);
    return true;
}

/*
 * The ring exists before the timed region, as the loop would in a program:
 * room for every slot's three requests at once, and some to spare (a full
 * queue is submitted to make room, get_sqe).
 */
static int uring_start(struct cb_executor *ex, struct cb_error *err)
{
    struct uring *u = ex->state;
    u->n_slots = cb_job_slots(&ex->job);
    u->slots = calloc(u->n_slots, sizeof *u->slots);
    if (!u->slots) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < u->n_slots; i++)
        u->slots[i].fd = -1;
    int rc = io_uring_queue_init(4 * u->n_slots, &u->ring, 0);
    if (rc < 0) {
        not_available(err, -rc);
        return -1;
    }
    u->ring_made = true;
    return check_ops(u, &ex->job, err);
}

/* A free entry of the submission queue, submitting what fills it first. */
static struct io_uring_sqe *get_sqe(struct uring *u, struct cb_error *err)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        int rc = io_uring_submit(&u->ring);
        sqe = rc < 0 ? NULL : io_uring_get_sqe(&u->ring);
        if (!sqe)
            cb_error_set(err, "io_uring_submit: %s",
                         strerror(rc < 0 ? -rc : EBUSY));
    }
    return sqe;
}

/* Ask for the cancellation of every request slot i has in flight. */
static int cancel_slot(struct uring *u, unsigned i, struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    for (unsigned kind = TIMER; kind < CANCEL; kind++) {
        if (!(s->in_flight & 1u << kind))
            continue;
        struct io_uring_sqe *sqe = get_sqe(u, err);
        if (!sqe)
            return -1;
        io_uring_prep_cancel64(sqe, tag(i, s->gen, kind), 0);
        io_uring_sqe_set_data64(sqe, tag(i, s->gen, CANCEL));
    }
    return 0;
}

/*
 * After a failure: every request in flight is cancelled and its completion
 * reaped, for a second at most, then every socket is closed. What is still
 * in flight after that second is the ring's to cancel as it is torn down.
 */
static void abandon_all(struct uring *u)
{
    struct cb_error ignored;
    for (unsigned i = 0; i < u->n_slots; i++)
        if (u->slots[i].busy)
            cancel_slot(u, i, &ignored);
    int64_t until = cb_now_ns() + 1000000000;
    for (;;) {
        bool left = false;
        for (unsigned i = 0; i < u->n_slots; i++)
            left |= u->slots[i].busy && u->slots[i].in_flight;
        int64_t now = cb_now_ns();
        if (!left || now >= until)
            break;
        struct __kernel_timespec ts;
        to_kernel_timespec(until - now, &ts);
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts,
                                                  NULL);
        if (rc < 0 && rc != -EINTR)
            break;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&u->ring, head, cqe)
        {
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            unsigned i = (unsigned)(ud >> 3 & 0x1fffffff);
            enum kind kind = (enum kind)(ud & 7);
            n++;
            if (i < u->n_slots && kind != CANCEL &&
                (uint32_t)(ud >> 32) == u->slots[i].gen)
                u->slots[i].in_flight &= ~(1u << kind);
        }
        io_uring_cq_advance(&u->ring, n);
    }
    for (unsigned i = 0; i < u->n_slots; i++) {
        struct slot *s = &u->slots[i];
        if (s->fd >= 0)
            close(s->fd);
        s->fd = -1;
        s->busy = false;
    }
}

/* The lowest task in flight, for a timeout's error. */
static unsigned first_in_flight(const struct uring *u, unsigned tasks)
{
    unsigned first = tasks;
    for (unsigned i = 0; i < u->n_slots; i++)
        if (u->slots[i].busy && u->slots[i].task < first)
            first = u->slots[i].task;
    return first;
}

/*
 * Submit what is queued and wait for a completion, until the batch's
 * deadline at the latest: 0 (a completion, or the deadline, or a signal:
 * the caller looks), or -1 with err set.
 */
static int submit_and_wait(struct uring *u, int64_t deadline, unsigned first,
                           struct cb_error *err)
{
    int64_t left = deadline - cb_now_ns();
    struct __kernel_timespec ts;
    to_kernel_timespec(left > 0 ? left : 0, &ts);
    struct io_uring_cqe *cqe;
    int rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR) {
        cb_error_set(err, "task %u: io_uring_submit_and_wait_timeout: %s",
                     first, strerror(-rc));
        return -1;
    }
    return 0;
}

/*
 * Past the deadline, the batch's timeout error; else submit and wait (as
 * submit_and_wait). On -1 every request still in flight is abandoned.
 */
static int next_completion(struct uring *u, const struct cb_job *job,
                           int64_t deadline, struct cb_error *err)
{
    unsigned first = first_in_flight(u, job->tasks);
    if (cb_now_ns() >= deadline) {
        unsigned running = 0;
        for (unsigned i = 0; i < u->n_slots; i++)
            running += u->slots[i].busy;
        cb_error_timeout(err, first, running, job->timeout_ms);
        abandon_all(u);
        return -1;
    }
    if (submit_and_wait(u, deadline, first, err) < 0) {
        abandon_all(u);
        return -1;
    }
    return 0;
}

/* A completion's slot, if it is of the slot's present task's requests. */
static struct slot *slot_of(struct uring *u, uint64_t ud, enum kind *kind)
{
    unsigned i = (unsigned)(ud >> 3 & 0x1fffffff);
    *kind = (enum kind)(ud & 7);
    if (i >= u->n_slots || *kind == CANCEL)
        return NULL;
    struct slot *s = &u->slots[i];
    if (!s->busy || (uint32_t)(ud >> 32) != s->gen ||
        !(s->in_flight & 1u << *kind))
        return NULL;
    s->in_flight &= ~(1u << *kind);
    return s;
}

/* ---- Pure waits: a timeout request each ---- */

static int run_timers(struct uring *u, const struct cb_job *job,
                      int64_t wait_ns, struct cb_task_result *results,
                      int64_t deadline, struct cb_error *err)
{
    unsigned next = 0, done = 0;
    struct cb_meter since;
    while (done < job->tasks) {
        cb_meter_read(&since);
        for (unsigned i = 0; i < u->n_slots && next < job->tasks; i++) {
            struct slot *s = &u->slots[i];
            if (s->busy)
                continue;
            struct io_uring_sqe *sqe = get_sqe(u, err);
            if (!sqe) {
                abandon_all(u);
                return -1;
            }
            int64_t now = cb_now_ns();
            s->busy = true;
            s->task = next;
            s->gen++;
            s->in_flight = 1u << TIMER;
            to_kernel_timespec(now + wait_ns, &s->at);
            io_uring_prep_timeout(sqe, &s->at, 0, IORING_TIMEOUT_ABS);
            io_uring_sqe_set_data64(sqe, tag(i, s->gen, TIMER));
            results[next] = (struct cb_task_result){
                .task = next, .worker = (int32_t)i, .start_ns = now};
            cb_meter_charge(&results[next], &since);
            next++;
        }

        if (next_completion(u, job, deadline, err) < 0)
            return -1;

        /*
         * Every timeout that expired is a task done, in the order they
         * expired: the first is the one the wait was for, and is charged
         * with it. The clock is read after the completions are taken, a
         * batch of them at a time: one that came while others were reaped
         * is in the next batch, not timed before it expired.
         */
        int failed = 0;
        for (;;) {
            struct io_uring_cqe *cqes[64];
            unsigned n = io_uring_peek_batch_cqe(&u->ring, cqes, 64);
            if (n == 0)
                break;
            int64_t now = cb_now_ns();
            for (unsigned c = 0; c < n && !failed; c++) {
                enum kind kind;
                struct slot *s =
                    slot_of(u, io_uring_cqe_get_data64(cqes[c]), &kind);
                if (!s || kind != TIMER)
                    continue;
                if (cqes[c]->res != -ETIME) {
                    /* Not expired: cancelled, or refused (a bad timespec). */
                    failed = cqes[c]->res < 0 ? -cqes[c]->res : EINVAL;
                    cb_error_set(err, "task %u: io_uring timeout: %s",
                                 s->task, strerror(failed));
                    break;
                }
                struct cb_task_result *r = &results[s->task];
                r->end_ns = now;
                r->digest = cb_kernel_value_digest(
                    s->task, (uint64_t)(now - r->start_ns));
                r->filled = 1;
                s->busy = false;
                done++;
                cb_meter_charge(r, &since);
            }
            io_uring_cq_advance(&u->ring, n);
            if (failed) {
                abandon_all(u);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- Requests to a server: connect, send and receive on the ring ---- */

static int prep_send(struct uring *u, unsigned i, unsigned flags,
                     struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    struct io_uring_sqe *sqe = get_sqe(u, err);
    if (!sqe)
        return -1;
    io_uring_prep_send(sqe, s->fd, s->x.request + s->sent,
                       s->x.request_bytes - s->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_flags(sqe, flags);
    io_uring_sqe_set_data64(sqe, tag(i, s->gen, SEND));
    s->in_flight |= 1u << SEND;
    return 0;
}

static int prep_recv(struct uring *u, unsigned i, struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    struct io_uring_sqe *sqe = get_sqe(u, err);
    if (!sqe)
        return -1;
    io_uring_prep_recv(sqe, s->fd, s->answer + s->got,
                       s->x.answer_bytes - s->got, MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, tag(i, s->gen, RECV));
    s->in_flight |= 1u << RECV;
    return 0;
}

/* The whole request as one chain: connect, then send, then receive. */
static int prep_request(struct uring *u, unsigned i, struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    struct io_uring_sqe *sqe = get_sqe(u, err);
    if (!sqe)
        return -1;
    io_uring_prep_connect(sqe, s->fd, (const struct sockaddr *)&s->x.addr,
                          s->x.addr_len);
    io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
    io_uring_sqe_set_data64(sqe, tag(i, s->gen, CONNECT));
    s->in_flight |= 1u << CONNECT;
    if (prep_send(u, i, IOSQE_IO_LINK, err) < 0)
        return -1;
    return prep_recv(u, i, err);
}

/*
 * The slot's request ended so: its value made, its time noted; what it
 * still has in flight (the rest of a chain) is cancelled.
 */
static int end(struct uring *u, unsigned i, const struct cb_kernel_async *k,
               enum cb_exchange_end how, int e, struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    s->ended = true;
    s->end_ns = cb_now_ns();
    s->value = k->exchange_value(&s->task_view, &s->x, how, e,
                                 how == CB_EXCHANGE_ANSWERED ? s->answer
                                                             : NULL);
    return cancel_slot(u, i, err);
}

/* What a completion of one of slot i's requests means for it. */
static int completed(struct uring *u, unsigned i, enum kind kind, int res,
                     const struct cb_kernel_async *k, struct cb_error *err)
{
    struct slot *s = &u->slots[i];
    if (s->ended)
        return 0; /* the rest of a chain, cancelled */
    switch (kind) {
    case CONNECT:
        /* A failed connect cancels the send and receive linked to it. */
        return res < 0 ? end(u, i, k, CB_EXCHANGE_CONNECT, -res, err) : 0;
    case SEND:
        if (res < 0)
            return end(u, i, k, CB_EXCHANGE_SEND, -res, err);
        s->sent += (size_t)res;
        return s->sent < s->x.request_bytes ? prep_send(u, i, 0, err) : 0;
    case RECV:
        /* Cancelled, not ended: a short send broke the chain. */
        if (res == -ECANCELED)
            return prep_recv(u, i, err);
        if (res < 0)
            return end(u, i, k, CB_EXCHANGE_RECV, -res, err);
        if (res == 0)
            return end(u, i, k, CB_EXCHANGE_CLOSED, 0, err);
        s->got += (size_t)res;
        if (s->got < s->x.answer_bytes)
            return prep_recv(u, i, err);
        return end(u, i, k, CB_EXCHANGE_ANSWERED, 0, err);
    case TIMER:
    case CANCEL:
        break;
    }
    return 0;
}

/* A task that ended: its result filled, its slot free. */
static void finish(struct slot *s, struct cb_task_result *r)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->busy = false;
    r->end_ns = s->end_ns;
    r->digest = cb_kernel_value_digest(s->task, s->value);
    r->filled = 1;
}

static int run_requests(struct uring *u, const struct cb_job *job,
                        struct cb_task_result *results, int64_t deadline,
                        struct cb_error *err)
{
    const struct cb_kernel_async *k = cb_kernel_exchange(job->kernel);
    unsigned next = 0, done = 0;
    struct cb_meter since;
    cb_meter_read(&since);
    while (done < job->tasks) {
        /* Start tasks in the free slots; one that ends at once frees its. */
        for (unsigned i = 0; i < u->n_slots && next < job->tasks;) {
            struct slot *s = &u->slots[i];
            if (s->busy) {
                i++;
                continue;
            }
            unsigned task = next++;
            *s = (struct slot){
                .task = task,
                .gen = s->gen + 1,
                .task_view = cb_kernel_task(task, &job->params,
                                            &(const struct cb_worker){
                                                .slot = (int)i}),
                .fd = -1};
            struct cb_task_result *r = &results[task];
            *r = (struct cb_task_result){
                .task = task, .worker = (int32_t)i, .start_ns = cb_now_ns()};
            uint64_t value;
            if (k->exchange(&s->task_view, &s->x, &value) == 0) {
                s->fd = socket(s->x.addr.ss_family,
                               SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (s->fd < 0)
                    value = k->exchange_value(&s->task_view, &s->x,
                                              CB_EXCHANGE_SOCKET, errno,
                                              NULL);
            }
            if (s->fd < 0) {
                s->end_ns = cb_now_ns();
                s->value = value;
                finish(s, r);
                cb_meter_charge(r, &since);
                done++;
                continue; /* the slot is free again */
            }
            s->busy = true;
            if (prep_request(u, i, err) < 0) {
                abandon_all(u);
                return -1;
            }
            cb_meter_charge(r, &since);
            i++;
        }
        if (done == job->tasks)
            break;

        if (next_completion(u, job, deadline, err) < 0)
            return -1;

        /* The first task a completion is for is charged with the wait. */
        unsigned head, n = 0;
        struct io_uring_cqe *cqe;
        int rc = 0;
        io_uring_for_each_cqe(&u->ring, head, cqe)
        {
            n++;
            enum kind kind;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            struct slot *s = rc < 0 ? NULL : slot_of(u, ud, &kind);
            if (!s)
                continue;
            unsigned i = (unsigned)(s - u->slots);
            struct cb_task_result *r = &results[s->task];
            rc = completed(u, i, kind, cqe->res, k, err);
            if (rc == 0 && s->ended && !s->in_flight) {
                finish(s, r);
                done++;
            }
            cb_meter_charge(r, &since);
        }
        io_uring_cq_advance(&u->ring, n);
        if (rc < 0) {
            abandon_all(u);
            return -1;
        }
    }
    return 0;
}

static int uring_run(struct cb_executor *ex, struct cb_task_result *results,
                     struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    int64_t deadline = cb_job_deadline(job);
    if (cb_kernel_exchange(job->kernel))
        return run_requests(ex->state, job, results, deadline, err);
    int64_t wait_ns = cb_kernel_wait_ns(job->kernel, &job->params);
    if (wait_ns < 0)
        return cb_loop_run_inline(job, results, deadline, err);
    return run_timers(ex->state, job, wait_ns, results, deadline, err);
}

const struct cb_mode cb_mode_io_uring = {
    .name = "io_uring",
    .summary = "one thread and one io_uring: waits overlap as timeout "
               "requests, requests to a server as connect, send and "
               "receive requests, computing tasks run inline",
    .opt_in = true,
    .state_size = sizeof(struct uring),
    .start = uring_start,
    .run = uring_run,
    .stop = uring_stop,
    /* Its thread, and the ring's io-wq workers: threads of this process. */
    .cpu_ns = cb_cpu_ns_this_process,
};
