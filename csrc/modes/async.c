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
 * pure wait becomes a timer; a kernel that can run as steps on a
 * non-blocking fd (a request to a server: a socket's connect, send and
 * receive) runs so: each task's socket in the
 * epoll set, stepped when ready, as asyncio runs a coroutine that awaits a
 * socket, and charged with the loop's use while it is stepped.
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
#include "executor.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct slot {
    bool busy;
    unsigned task;
    int64_t deadline_ns;
};

/*
 * The kernel's steps on a non-blocking fd, if it offers them (its
 * cb_kernel_async), else NULL.
 */
static const struct cb_kernel_async *steps_of(const struct cb_kernel *k)
{
    return k->async && k->async->start ? k->async : NULL;
}

/* A slot's task of a kernel that runs as steps: its fd and its state. */
struct step_slot {
    struct concbench_task task;
    int fd; /* in the epoll set, or -1 */
    void *state;
};

struct loop {
    int epfd, tfd;
    int64_t armed_ns; /* deadline the timer is armed for, or 0 */
    unsigned n_slots;
    struct slot slots[CB_MAX_WORKERS];
    struct step_slot *steps; /* n_slots of them, for a kernel with steps */
};

/* The loop thread's usage at one moment, to charge a span of it to a task. */
struct meter {
    int64_t cpu_ns, minflt, nvcsw, nivcsw;
};

static void meter_read(struct meter *m)
{
    struct rusage ru;
    struct timespec ts;
    getrusage(RUSAGE_THREAD, &ru);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    *m = (struct meter){
        .cpu_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
        .minflt = ru.ru_minflt,
        .nvcsw = ru.ru_nvcsw,
        .nivcsw = ru.ru_nivcsw,
    };
}

/* Charge what the loop used since *since to r; *since becomes now. */
static void charge(struct cb_task_result *r, struct meter *since)
{
    struct meter now;
    meter_read(&now);
    r->cpu_ns += now.cpu_ns - since->cpu_ns;
    r->minflt += now.minflt - since->minflt;
    r->nvcsw += now.nvcsw - since->nvcsw;
    r->nivcsw += now.nivcsw - since->nivcsw;
    *since = now;
}

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
    if (lp->steps) {
        for (unsigned i = 0; i < lp->n_slots; i++)
            free(lp->steps[i].state);
        free(lp->steps);
    }
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
    const struct cb_kernel_async *k = steps_of(ex->job.kernel);
    if (k) {
        lp->steps = calloc(lp->n_slots, sizeof *lp->steps);
        for (unsigned i = 0; lp->steps && i < lp->n_slots; i++)
            if (!(lp->steps[i].state = calloc(1, k->state_size))) {
                cb_error_set(err, "out of memory");
                return -1;
            }
        if (!lp->steps) {
            cb_error_set(err, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* Tasks that compute: one after another in the loop, in slot 0. */
static int run_inline(const struct cb_job *job, struct cb_task_result *results,
                      int64_t deadline, struct cb_error *err)
{
    for (unsigned i = 0; i < job->tasks; i++) {
        if (i > 0 && cb_now_ns() >= deadline) {
            int none = -1;
            cb_error_pool_timeout(err, &none, 1, i, job->tasks,
                                  job->timeout_ms);
            return -1;
        }
        cb_task_run(job, i, &(const struct cb_worker){.slot = 0}, NULL,
                    &results[i]);
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
    struct meter since;
    while (done < job->tasks) {
        meter_read(&since);
        for (unsigned i = 0; i < lp->n_slots && next < job->tasks; i++) {
            struct slot *s = &lp->slots[i];
            if (s->busy)
                continue;
            int64_t now = cb_now_ns();
            *s = (struct slot){.busy = true, .task = next,
                               .deadline_ns = now + wait_ns};
            results[next] = (struct cb_task_result){
                .task = next, .worker = (int32_t)i, .start_ns = now};
            charge(&results[next], &since);
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
            charge(r, &since);
        }
    }
    return 0;
}

/* A stepping task's fd goes into the set, or changes what it waits for. */
static int watch(struct loop *lp, unsigned slot, int fd, uint32_t events)
{
    struct step_slot *ss = &lp->steps[slot];
    struct epoll_event ev = {.events = events, .data.u32 = slot};
    int op = ss->fd == fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    ss->fd = fd;
    return epoll_ctl(lp->epfd, op, fd, &ev);
}

/* After a failure: every task in flight lets go of its fd. */
static void abandon_all(struct loop *lp, const struct cb_kernel_async *k)
{
    for (unsigned i = 0; i < lp->n_slots; i++)
        if (lp->slots[i].busy) {
            k->abandon(lp->steps[i].state);
            lp->slots[i].busy = false;
        }
}

/*
 * Tasks of a kernel that runs as steps: each a non-blocking
 * socket in the loop's epoll set, stepped when it is ready, at most W in
 * flight; a task runs from its start to the step that finished it.
 */
static int run_steps(struct loop *lp, const struct cb_job *job,
                     struct cb_task_result *results, int64_t deadline,
                     struct cb_error *err)
{
    const struct cb_kernel_async *k = steps_of(job->kernel);
    for (unsigned i = 0; i < lp->n_slots; i++)
        lp->slots[i].busy = false;
    unsigned next = 0, done = 0, in_flight = 0;
    struct meter since;
    meter_read(&since);
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
            ss->task = cb_kernel_task(task, &job->params,
                                      &(const struct cb_worker){.slot =
                                                                    (int)i});
            memset(ss->state, 0, k->state_size);
            ss->fd = -1;
            results[task] = (struct cb_task_result){
                .task = task, .worker = (int32_t)i, .start_ns = cb_now_ns()};
            int fd;
            uint32_t events;
            uint64_t value;
            int rc = k->start(ss->state, &ss->task, &fd, &events, &value);
            struct cb_task_result *r = &results[task];
            if (rc == 1) {
                r->end_ns = cb_now_ns();
                r->digest = cb_kernel_value_digest(task, value);
                r->filled = 1;
                charge(r, &since);
                done++;
                continue; /* the slot is free again */
            }
            *s = (struct slot){.busy = true, .task = task};
            in_flight++;
            charge(r, &since);
            if (watch(lp, i, fd, events) < 0) {
                cb_error_set(err, "task %u: epoll_ctl: %s", task,
                             strerror(errno));
                abandon_all(lp, k);
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
            abandon_all(lp, k);
            return -1;
        }
        int64_t left_ms = (deadline - now + 999999) / 1000000;
        struct epoll_event evs[64];
        int n = epoll_wait(lp->epfd, evs, 64,
                           left_ms > INT_MAX ? INT_MAX : (int)left_ms);
        if (n < 0 && errno != EINTR) {
            cb_error_set(err, "epoll_wait: %s", strerror(errno));
            abandon_all(lp, k);
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
            int fd;
            uint32_t events;
            uint64_t value;
            int rc = k->step(ss->state, &ss->task, &fd, &events, &value);
            if (rc == 1) {
                r->end_ns = cb_now_ns();
                r->digest = cb_kernel_value_digest(task, value);
                r->filled = 1;
                lp->slots[i].busy = false;
                ss->fd = -1; /* closed, and so out of the set */
                in_flight--;
                done++;
            } else if (watch(lp, i, fd, events) < 0) {
                cb_error_set(err, "task %u: epoll_ctl: %s", task,
                             strerror(errno));
                abandon_all(lp, k);
                return -1;
            }
            charge(r, &since);
        }
    }
    return 0;
}

static int async_run(struct cb_executor *ex, struct cb_task_result *results,
                     struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    int64_t deadline = cb_job_deadline(job);
    if (steps_of(job->kernel))
        return run_steps(ex->state, job, results, deadline, err);
    int64_t wait_ns = cb_kernel_wait_ns(job->kernel, &job->params);
    if (wait_ns < 0)
        return run_inline(job, results, deadline, err);
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
