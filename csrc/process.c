/*
 * process: one fork()ed child per task, at most W alive, each reaped; what
 * Python's multiprocessing.Process per task does with the fork start method.
 * The child runs the task, writes its measured result to a pipe and leaves
 * with _exit, so no atexit handler or stdio buffer of the parent runs twice.
 * The cost measured is fork, exit and wait, paid once per task.
 */
#include "executor.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
    pid_t pid; /* 0 when the slot is free */
    int fd;    /* read end of the child's result pipe */
    unsigned task;
    bool got;  /* the result arrived */
    struct cb_task_result result;
};

static void child_main(const struct cb_job *job, unsigned task, int slot,
                       int fd, pid_t parent)
{
    cb_child_init(parent);
    struct cb_task_result r;
    cb_task_run(job, task, slot, &r);
    _exit(cb_write_full(fd, &r, sizeof r) == 0 ? 0 : 126);
}

static int launch(const struct cb_job *job, struct child *c, int slot,
                  unsigned task, struct cb_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        cb_error_set(err, "task %u: fork: %s", task, strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(job, task, slot, fds[1], parent);
    }
    close(fds[1]);
    *c = (struct child){.pid = pid, .fd = fds[0], .task = task};
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

/*
 * The child in c has sent its result or closed its pipe: reap it and say
 * whether it succeeded.
 */
static int finish(struct child *c, struct cb_task_result *results,
                  struct cb_error *err)
{
    ssize_t n = cb_read_full(c->fd, &c->result, sizeof c->result);
    int read_errno = errno;
    c->got = n == (ssize_t)sizeof c->result;
    close(c->fd);
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    c->pid = 0;
    if (c->got && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        results[c->task] = c->result;
        return 0;
    }
    char how[96];
    cb_describe_status(status, how, sizeof how);
    if (n < 0)
        cb_error_set(err, "task %u: reading its result: %s; worker %s",
                     c->task, strerror(read_errno), how);
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     c->task);
    else
        cb_error_set(err, "task %u: worker %s", c->task, how);
    return -1;
}

static int process_run(struct cb_executor *ex, const struct cb_job *job,
                       struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    unsigned n_slots = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    struct child *kids = calloc(n_slots, sizeof *kids);
    struct pollfd *pfds = calloc(n_slots, sizeof *pfds);
    int *slot_of = calloc(n_slots, sizeof *slot_of);
    int rc = -1;
    if (!kids || !pfds || !slot_of) {
        cb_error_set(err, "out of memory");
        goto out;
    }

    unsigned next = 0;
    for (unsigned s = 0; s < n_slots; s++, next++)
        if (launch(job, &kids[s], (int)s, next, err) < 0)
            goto fail;

    for (;;) {
        nfds_t n = 0;
        for (unsigned s = 0; s < n_slots; s++) {
            if (kids[s].pid > 0) {
                pfds[n] = (struct pollfd){.fd = kids[s].fd, .events = POLLIN};
                slot_of[n++] = (int)s;
            }
        }
        if (n == 0)
            break;
        int ready = poll(pfds, n, cb_poll_ms_until(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            cb_error_set(err, "poll: %s", strerror(errno));
            goto fail;
        }
        if (ready == 0) {
            unsigned first = job->tasks;
            for (nfds_t i = 0; i < n; i++)
                if (kids[slot_of[i]].task < first)
                    first = kids[slot_of[i]].task;
            cb_error_timeout(err, first, (unsigned)n, job->timeout_ms);
            goto fail;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (!pfds[i].revents)
                continue;
            struct child *c = &kids[slot_of[i]];
            if (finish(c, results, err) < 0)
                goto fail;
            if (next < job->tasks &&
                launch(job, c, slot_of[i], next++, err) < 0)
                goto fail;
        }
    }
    rc = 0;
    goto out;
fail:
    kill_all(kids, n_slots);
out:
    free(slot_of);
    free(pfds);
    free(kids);
    return rc;
}

const struct cb_mode cb_mode_process = {
    .name = "process",
    .summary = "a fork()ed child per task, at most W alive, each reaped",
    .run = process_run,
};
