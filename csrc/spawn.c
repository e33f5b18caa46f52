/*
 * spawn: one new process per task, started with posix_spawn of concbench's
 * own executable in its worker role (role.c), at most W alive, each reaped;
 * what Python's multiprocessing.Process per task does with the spawn start
 * method, which starts a fresh interpreter for every process. The cost
 * measured is a whole program start per task: the clone and execve of
 * posix_spawn, the dynamic linker binding every symbol (-z now), the
 * executable's C and C++ start-up, the worker's cb_kernels_init, exit and
 * wait. What fork shares copy-on-write is loaded and set up again here.
 *
 * The worker writes its measured result to a pipe of its own (its fd 3)
 * and exits, which closes the pipe: poll on the read ends sees each result
 * and then each exit, one fd per running task, and keeps the timeout. The
 * worker holds the only write end (the parent's copy is closed, every other
 * process gets it close-on-exec), so the hang-up means that it has ended.
 */
#include "executor.h"
#include "proc.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
    pid_t pid; /* 0 when the slot is free */
    int fd;    /* read end of the worker's result pipe */
    unsigned task;
    bool sent; /* its result has come */
};

static atomic_ulong spawned;

unsigned long cb_spawn_processes(void)
{
    return atomic_load(&spawned);
}

void cb_spawn_worker_main(const struct cb_job *job, unsigned task, int worker,
                          pid_t parent)
{
    cb_child_init(parent);
    /* What the driver does before any worker starts, so do the same here. */
    if (cb_kernels_init() < 0)
        _exit(124);
    struct cb_task_result r;
    cb_task_run(job, task, worker, &r);
    _exit(cb_write_full(CB_SPAWN_RESULT_FD, &r, sizeof r) < 0 ? 126 : 0);
}

static int launch(const struct cb_job *job, struct child *c, int slot,
                  unsigned task, struct cb_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    pid_t pid;
    int rc = cb_role_spawn_worker(job, task, slot, p[1], &pid, err);
    close(p[1]);
    if (rc < 0) {
        close(p[0]);
        return -1;
    }
    atomic_fetch_add(&spawned, 1);
    *c = (struct child){.pid = pid, .fd = p[0], .task = task};
    return 0;
}

/* Kill and reap every child still alive. */
static void kill_all(struct child *kids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (kids[i].pid > 0) {
            cb_kill_reap(kids[i].pid);
            close(kids[i].fd);
            kids[i].pid = 0;
        }
    }
}

/* The child in c has closed its pipe: reap it, check that it sent a result. */
static int finish(struct child *c, struct cb_error *err)
{
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(c->fd);
    c->pid = 0;
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (c->sent && clean)
        return 0;
    char how[96];
    cb_describe_status(status, how, sizeof how);
    if (clean)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     c->task);
    else
        cb_error_set(err, "task %u: worker %s", c->task, how);
    return -1;
}

/*
 * Handle poll's revents for the child in c. Returns 1 while it runs, 0 once
 * it has ended with its result (the slot is free), -1 with err set.
 */
static int on_event(struct child *c, short revents,
                    struct cb_task_result *results, struct cb_error *err)
{
    if (c->sent && !(revents & (POLLHUP | POLLERR))) {
        cb_error_set(err, "task %u: worker sent more than one result",
                     c->task);
        return -1;
    }
    if (!c->sent && (revents & POLLIN)) {
        struct cb_task_result r;
        ssize_t n = cb_read_full(c->fd, &r, sizeof r);
        if (n < 0) {
            cb_error_set(err, "task %u: reading its result: %s", c->task,
                         strerror(errno));
            return -1;
        }
        if (n > 0) {
            if (r.task != c->task) {
                cb_error_set(err, "task %u: worker sent a result for task %u",
                             c->task, r.task);
                return -1;
            }
            results[c->task] = r;
            c->sent = true;
            /* Usually the worker has exited by now: then finish at once. */
            if (!(revents & (POLLHUP | POLLERR)))
                return 1;
        }
    }
    return finish(c, err);
}

/* Wait until a worker's pipe has news or the deadline passes; -1: err set. */
static int wait_any(const struct cb_job *job, const struct child *kids,
                    unsigned n_slots, struct pollfd *pfds, int64_t deadline,
                    struct cb_error *err)
{
    unsigned tasks[CB_MAX_WORKERS];
    for (unsigned s = 0; s < n_slots; s++) {
        pfds[s] = (struct pollfd){.fd = kids[s].pid > 0 ? kids[s].fd : -1,
                                  .events = POLLIN};
        tasks[s] = kids[s].task;
    }
    return cb_poll_slots(pfds, tasks, n_slots, deadline, job->timeout_ms, err);
}

static int spawn_run(struct cb_executor *ex, const struct cb_job *job,
                     struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    if (cb_role_check_kernel(job->kernel, err) < 0)
        return -1;
    unsigned n_slots = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    struct child *kids = calloc(n_slots, sizeof *kids);
    struct pollfd *pfds = calloc(n_slots, sizeof *pfds);
    int rc = -1;
    if (!kids || !pfds) {
        cb_error_set(err, "out of memory");
        goto out;
    }

    unsigned next = 0, running = 0;
    for (; next < n_slots; next++, running++)
        if (launch(job, &kids[next], (int)next, next, err) < 0)
            goto fail;
    while (running > 0) {
        if (wait_any(job, kids, n_slots, pfds, deadline, err) < 0)
            goto fail;
        for (unsigned s = 0; s < n_slots; s++) {
            if (!pfds[s].revents)
                continue;
            int alive = on_event(&kids[s], pfds[s].revents, results, err);
            if (alive < 0)
                goto fail;
            if (alive)
                continue;
            running--;
            if (next < job->tasks) {
                if (launch(job, &kids[s], (int)s, next++, err) < 0)
                    goto fail;
                running++;
            }
        }
    }
    rc = 0;
    goto out;
fail:
    kill_all(kids, n_slots);
out:
    free(pfds);
    free(kids);
    return rc;
}

const struct cb_mode cb_mode_spawn = {
    .name = "spawn",
    .summary = "a new process per task, posix_spawn of concbench itself in a "
               "worker role, at most W alive, each reaped",
    .fresh_image = true,
    .run = spawn_run,
};
