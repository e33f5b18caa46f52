/*
 * async: one thread, the caller's, runs an event loop over the batch, as
 * asyncio runs coroutines: a task that waits (a pure-wait kernel, io_sleep)
 * becomes a timer and waits concurrently with the others; a task that
 * computes runs inline and holds up the loop until it is done. It shows
 * that I/O-bound tasks need no threads to overlap: one thread matches a
 * thread per task on io_sleep, and gains nothing on CPU-bound tasks.
 *
 * "At most W at once" is an asyncio.Semaphore(W): W in-flight slots, tasks
 * enter them in task order as slots free up, and a result's worker is its
 * slot. The loop is an epoll set holding one timerfd, armed (absolute,
 * CLOCK_MONOTONIC) for the earliest deadline in flight, as asyncio's
 * selector sleeps until its earliest scheduled callback.
 *
 * What a kernel offers the loop is its cb_kernel_async (kernels.h): a
 * pure wait becomes a timer; a task that is one request to a server (a
 * socket's connect, send and receive, as the kernel describes it) runs as
 * steps on a non-blocking socket: each task's socket in the epoll set,
 * stepped when ready, as asyncio runs a coroutine that awaits a socket, and
 * charged with the loop's use while it is stepped.
 *
 * Measurement, per task as in every mode: a timer task runs from arming
 * to the loop's noticing that its deadline passed, and its value (the time
 * waited) is that interval, at least io_ms. Its CPU time, faults and
 * switches are the loop's own spent on it: arming it, completing it, and,
 * for the first task a wake-up completes, the wait in epoll_wait that ended
 * with it. So the loop's switches are counted once, not once per task in
 * flight, and the tasks' sums are the loop's total.
 *
 * Timeouts: a timer task cannot hang, its deadline is fixed; a batch whose
 * timers outlast job->timeout_ms fails naming them. A task that computes
 * inline cannot be interrupted (as in serial, the worker is the caller's
 * thread); the deadline is checked between such tasks.
 */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct slot {
    bool busy;
    unsigned task;
    int64_t deadline_ns;
};

/*
 * A slot's task of a kernel whose task is a request (cb_kernel_exchange):
 * the request, its socket, and how far it got.
 */
struct step_slot {
    struct concbench_task task;
    struct cb_exchange x;
    int fd;       /* open, or -1 */
    bool watched; /* fd is in the epoll set */
    enum { CONNECTING, SENDING, READING } at;
    size_t done; /* bytes of the request sent, or of the answer read */
    unsigned char answer[CB_EXCHANGE_MAX];
};

struct loop {
    int epfd, tfd;
    int64_t armed_ns; /* deadline the timer is armed for, or 0 */
    unsigned n_slots;
    struct slot slots[CB_MAX_WORKERS];
    struct step_slot *steps; /* n_slots of them, for a request kernel */
};

static int set_timer(struct loop *lp, int64_t at_ns)
{
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (at_ns > 0)
        cb_ns_to_timespec(at_ns, &its.it_value);
    if (timerfd_settime(lp->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -1;
    lp->armed_ns = at_ns;
    return 0;
}

static bool async_stop(struct cb_executor *ex)
{
    struct loop *lp = ex->state;
    free(lp->steps);
    if (lp->tfd >= 0)
        close(lp->tfd);
    if (lp->epfd >= 0)
        close(lp->epfd);
    return true;
}

/* The loop exists before the timed region, as an asyncio loop would. */
static int async_start(struct cb_executor *ex, struct cb_error *err)
{
    struct loop *lp = ex->state;
    lp->n_slots = cb_job_slots(&ex->job);
    lp->tfd = -1;
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0) {
        cb_error_set(err, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    lp->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (lp->tfd < 0) {
        cb_error_set(err, "timerfd_create: %s", strerror(errno));
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lp->tfd};
    if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, lp->tfd, &ev) < 0) {
        cb_error_set(err, "epoll_ctl: %s", strerror(errno));
        return -1;
    }
    if (cb_kernel_exchange(ex->job.kernel)) {
        lp->steps = calloc(lp->n_slots, sizeof *lp->steps);
        if (!lp->steps) {
            cb_error_set(err, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int run_timers(struct loop *lp, const struct cb_job *job,
                      int64_t wait_ns, struct cb_task_result *results,
                      int64_t deadline, struct cb_error *err)
{
    for (unsigned i = 0; i < lp->n_slots; i++)
        lp->slots[i].busy = false;
    /* Disarming also drops an expiry a failed batch left unread. */
    if (set_timer(lp, 0) < 0) {
        cb_error_set(err, "timerfd_settime: %s", strerror(errno));
        return -1;
    }
    unsigned next = 0, done = 0, in_flight = 0;
    struct cb_meter since;
    while (done < job->tasks) {
        cb_meter_read(&since);
        for (unsigned i = 0; i < lp->n_slots && next < job->tasks; i++) {
            struct slot *s = &lp->slots[i];
            if (s->busy)
                continue;
            int64_t now = cb_now_ns();
            *s = (struct slot){.busy = true, .task = next,
                               .deadline_ns = now + wait_ns};
            results[next] = (struct cb_task_result){
                .task = next, .worker = (int32_t)i, .start_ns = now};
            cb_meter_charge(&results[next], &since);
            next++;
            in_flight++;
        }

        int64_t earliest = INT64_MAX;
        unsigned first = job->tasks;
        for (unsigned i = 0; i < lp->n_slots; i++)
            if (lp->slots[i].busy) {
                if (lp->slots[i].deadline_ns < earliest)
                    earliest = lp->slots[i].deadline_ns;
                if (lp->slots[i].task < first)
                    first = lp->slots[i].task;
            }
        int64_t now = cb_now_ns();
        if (now >= deadline) {
            cb_error_timeout(err, first, in_flight, job->timeout_ms);
            return -1;
        }
        if (earliest != lp->armed_ns && set_timer(lp, earliest) < 0) {
            cb_error_set(err, "task %u: timerfd_settime: %s", first,
                         strerror(errno));
            return -1;
        }
        int64_t left_ms = (deadline - now + 999999) / 1000000;
        struct epoll_event ev;
        int n = epoll_wait(lp->epfd, &ev, 1,
                           left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (n < 0 && errno != EINTR) {
            cb_error_set(err, "task %u: epoll_wait: %s", first,
                          strerror(errno));
            return -1;
        }
        if (n > 0) {
            uint64_t expiries;
            if (read(lp->tfd, &expiries, sizeof expiries) ==
                (ssize_t)sizeof expiries)
                lp->armed_ns = 0;
        }

        /*
         * Complete every task whose deadline has passed, the earliest first:
         * it is the one the wait was for, and is charged with the wait.
         */
        now = cb_now_ns();
        for (;;) {
            struct slot *due = NULL;
            for (unsigned i = 0; i < lp->n_slots; i++) {
                struct slot *s = &lp->slots[i];
                if (s->busy && s->deadline_ns <= now &&
                    (!due || s->deadline_ns < due->deadline_ns))
                    due = s;
            }
            if (!due)
                break;
            struct cb_task_result *r = &results[due->task];
            r->end_ns = now;
            r->digest = cb_kernel_value_digest(
                due->task, (uint64_t)(now - r->start_ns));
            r->filled = 1;
            due->busy = false;
            in_flight--;
            done++;
            cb_meter_charge(r, &since);
        }
    }
    return 0;
}

/* ---- A request as steps on a non-blocking socket ---- */

/* End the slot's request as end: its socket closed, the kernel's value. */
static int finish(const struct cb_kernel_async *k, struct step_slot *ss,
                  enum cb_exchange_end end, int e, uint64_t *value)
{
    close(ss->fd); /* and so out of the set */
    ss->fd = -1;
    ss->watched = false;
    *value = k->exchange_value(&ss->task, &ss->x, end, e,
                               end == CB_EXCHANGE_ANSWERED ? ss->answer
                                                           : NULL);
    return 1;
}

/*
 * Go as far as the socket lets the request go: 0 to wait until it is
 * ready for *events, or 1 when it ended, with the task's value in *value.
 */
static int advance(const struct cb_kernel_async *k, struct step_slot *ss,
                   uint32_t *events, uint64_t *value)
{
    if (ss->at == CONNECTING) {
        int e = 0;
        socklen_t len = sizeof e;
        if (getsockopt(ss->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
            e = errno;
        if (e)
            return finish(k, ss, CB_EXCHANGE_CONNECT, e, value);
        ss->at = SENDING;
    }
    while (ss->at == SENDING) {
        ssize_t n = send(ss->fd, ss->x.request + ss->done,
                         ss->x.request_bytes - ss->done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            *events = EPOLLOUT;
            return 0;
        }
        if (n < 0)
            return finish(k, ss, CB_EXCHANGE_SEND, errno, value);
        if ((ss->done += (size_t)n) == ss->x.request_bytes) {
            ss->at = READING;
            ss->done = 0;
        }
    }
    for (;;) {
        ssize_t n = recv(ss->fd, ss->answer + ss->done,
                         ss->x.answer_bytes - ss->done, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            *events = EPOLLIN;
            return 0;
        }
        if (n < 0)
            return finish(k, ss, CB_EXCHANGE_RECV, errno, value);
        if (n == 0)
            return finish(k, ss, CB_EXCHANGE_CLOSED, 0, value);
        if ((ss->done += (size_t)n) == ss->x.answer_bytes)
            return finish(k, ss, CB_EXCHANGE_ANSWERED, 0, value);
    }
}

/* Begin the slot's request (its task set): as advance. */
static int begin(const struct cb_kernel_async *k, struct step_slot *ss,
                 uint32_t *events, uint64_t *value)
{
    if (k->exchange(&ss->task, &ss->x, value))
        return 1;
    ss->fd = socket(ss->x.addr.ss_family,
                    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ss->fd < 0) {
        *value = k->exchange_value(&ss->task, &ss->x, CB_EXCHANGE_SOCKET,
                                   errno, NULL);
        return 1;
    }
    if (connect(ss->fd, (const struct sockaddr *)&ss->x.addr,
                ss->x.addr_len) < 0) {
        if (errno != EINPROGRESS)
            return finish(k, ss, CB_EXCHANGE_CONNECT, errno, value);
        *events = EPOLLOUT;
        return 0;
    }
    ss->at = SENDING;
    return advance(k, ss, events, value);
}

/* A request's socket goes into the set, or changes what it waits for. */
static int watch(struct loop *lp, unsigned slot, uint32_t events)
{
    struct step_slot *ss = &lp->steps[slot];
    struct epoll_event ev = {.events = events, .data.u32 = slot};
    int op = ss->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    ss->watched = true;
    return epoll_ctl(lp->epfd, op, ss->fd, &ev);
}

/* After a failure: every request in flight closes its socket. */
static void abandon_all(struct loop *lp)
{
    for (unsigned i = 0; i < lp->n_slots; i++)
        if (lp->slots[i].busy) {
            if (lp->steps[i].fd >= 0)
                close(lp->steps[i].fd);
            lp->steps[i].fd = -1;
            lp->slots[i].busy = false;
        }
}

/*
 * Tasks that are requests: each a non-blocking socket in the loop's epoll
 * set, stepped when it is ready, at most W in flight; a task runs from its
 * start to the step that finished it.
 */
static int run_steps(struct loop *lp, const struct cb_job *job,
                     struct cb_task_result *results, int64_t deadline,
                     struct cb_error *err)
{
    const struct cb_kernel_async *k = cb_kernel_exchange(job->kernel);
    for (unsigned i = 0; i < lp->n_slots; i++)
        lp->slots[i].busy = false;
    unsigned next = 0, done = 0, in_flight = 0;
    struct cb_meter since;
    cb_meter_read(&since);
    while (done < job->tasks) {
        /* Start tasks in the free slots; one that ends at once frees its. */
        for (unsigned i = 0; i < lp->n_slots && next < job->tasks;) {
            struct slot *s = &lp->slots[i];
            if (s->busy) {
                i++;
                continue;
            }
            struct step_slot *ss = &lp->steps[i];
            unsigned task = next++;
            *ss = (struct step_slot){
                .task = cb_kernel_task(task, &job->params,
                                       &(const struct cb_worker){.slot =
                                                                     (int)i}),
                .fd = -1};
            results[task] = (struct cb_task_result){
                .task = task, .worker = (int32_t)i, .start_ns = cb_now_ns()};
            uint32_t events;
            uint64_t value;
            int rc = begin(k, ss, &events, &value);
            struct cb_task_result *r = &results[task];
            if (rc == 1) {
                r->end_ns = cb_now_ns();
                r->digest = cb_kernel_value_digest(task, value);
                r->filled = 1;
                cb_meter_charge(r, &since);
                done++;
                continue; /* the slot is free again */
            }
            *s = (struct slot){.busy = true, .task = task};
            in_flight++;
            cb_meter_charge(r, &since);
            if (watch(lp, i, events) < 0) {
                cb_error_set(err, "task %u: epoll_ctl: %s", task,
                             strerror(errno));
                abandon_all(lp);
                return -1;
            }
            i++;
        }
        if (done == job->tasks)
            break;

        int64_t now = cb_now_ns();
        if (now >= deadline) {
            unsigned first = job->tasks;
            for (unsigned i = 0; i < lp->n_slots; i++)
                if (lp->slots[i].busy && lp->slots[i].task < first)
                    first = lp->slots[i].task;
            cb_error_timeout(err, first, in_flight, job->timeout_ms);
            abandon_all(lp);
            return -1;
        }
        int64_t left_ms = (deadline - now + 999999) / 1000000;
        struct epoll_event evs[64];
        int n = epoll_wait(lp->epfd, evs, 64,
                           left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (n < 0 && errno != EINTR) {
            cb_error_set(err, "epoll_wait: %s", strerror(errno));
            abandon_all(lp);
            return -1;
        }
        /* The first task stepped is charged with the wait. */
        for (int e = 0; e < n; e++) {
            unsigned i = evs[e].data.u32;
            /* (The timer is never armed in a batch of steps.) */
            if (i >= lp->n_slots || !lp->slots[i].busy)
                continue;
            struct step_slot *ss = &lp->steps[i];
            unsigned task = lp->slots[i].task;
            struct cb_task_result *r = &results[task];
            uint32_t events;
            uint64_t value;
            int rc = advance(k, ss, &events, &value);
            if (rc == 1) {
                r->end_ns = cb_now_ns();
                r->digest = cb_kernel_value_digest(task, value);
                r->filled = 1;
                lp->slots[i].busy = false;
                in_flight--;
                done++;
            } else if (watch(lp, i, events) < 0) {
                cb_error_set(err, "task %u: epoll_ctl: %s", task,
                             strerror(errno));
                abandon_all(lp);
                return -1;
            }
            cb_meter_charge(r, &since);
        }
    }
    return 0;
}

static int async_run(struct cb_executor *ex, struct cb_task_result *results,
                     struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    int64_t deadline = cb_job_deadline(job);
    if (cb_kernel_exchange(job->kernel))
        return run_steps(ex->state, job, results, deadline, err);
    int64_t wait_ns = cb_kernel_wait_ns(job->kernel, &job->params);
    if (wait_ns < 0)
        return cb_loop_run_inline(job, results, deadline, err);
    return run_timers(ex->state, job, wait_ns, results, deadline, err);
}

const struct cb_mode cb_mode_async = {
    .name = "async",
    .summary = "one thread's event loop (epoll, timerfd): waits overlap as "
               "timers, computing tasks run inline (asyncio)",
    .state_size = sizeof(struct loop),
    .start = async_start,
    .run = async_run,
    .stop = async_stop,
    .cpu_ns = cb_cpu_ns_this_process,
};
