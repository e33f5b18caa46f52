/*
 * spawn: one new process per task, started with posix_spawn of concbench's
 * own executable in its worker role (role.h), at most W alive, each reaped;
 * what Python's multiprocessing.Process per task does with the spawn start
 * method, which starts a fresh interpreter for every process. The cost
 * measured is a whole program start per task: the clone and execve of
 * posix_spawn, the dynamic linker binding every symbol (-z now), the
 * executable's C and C++ start-up, the worker's cb_kernels_init, exit and
 * wait. What fork shares copy-on-write is loaded and set up again here.
 *
 * The worker writes its measured result to a pipe of its own (its fd
 * CB_ROLE_FD) and exits, which closes the pipe: poll on the read ends sees
 * each result and then each exit, one fd per running task, and keeps the
 * timeout. The worker holds the only write end (the parent's copy is
 * closed, every other process gets it close-on-exec), so the hang-up means
 * that it has ended.
 *
 * A payload goes as a spawned Process's arguments and results go: the
 * input through a socket to the worker (its fd CB_ROLE_FD + 1), written by
 * the parent right after the spawn, and the output back through the result
 * pipe, before the result (transport pipe); or both in the memfd area made
 * before the batch, which the worker maps from that fd (transport shm).
 */
#include "child.h"
#include "fresh.h"
#include "launcher.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { ARG_TASK, ARG_SLOT, RESULT_FD = CB_ROLE_FD, DATA_FD };

static atomic_ulong spawned;

unsigned long cb_spawn_processes(void)
{
    return atomic_load(&spawned);
}

/* With a payload through pipes: read the input, run, send the output. */
__attribute__((noreturn)) static void
worker_pipes(const struct cb_job *job, unsigned task,
             const struct cb_worker *w)
{
    uint64_t bytes = job->params.payload;
    unsigned char *in = malloc(bytes), *out = malloc(bytes);
    if (!in || !out)
        _exit(CB_EXIT_SETUP);
    int64_t t0 = cb_now_ns();
    if (cb_read_full(DATA_FD, in, bytes) != (ssize_t)bytes)
        _exit(CB_EXIT_PROTOCOL);
    int64_t moving = cb_now_ns() - t0;
    struct cb_task_result r;
    const struct cb_task_io io = {in, out};
    cb_task_run(job, task, w, &io, &r);
    t0 = cb_now_ns();
    if (cb_write_full(RESULT_FD, out, bytes) < 0)
        _exit(CB_EXIT_SEND);
    r.bytes_in = r.bytes_out = bytes;
    r.move_ns = moving + (cb_now_ns() - t0);
    _exit(cb_write_full(RESULT_FD, &r, sizeof r) < 0 ? CB_EXIT_SEND : 0);
}

/* The worker role: one task, its result to RESULT_FD, exit. */
__attribute__((noreturn)) static void worker_main(const struct cb_role_call *c)
{
    cb_child_init(c->parent);
    /* What the driver does before any worker starts, so do the same here. */
    if (cb_kernels_init() < 0)
        _exit(CB_EXIT_SETUP);
    struct cb_job job = c->ex.job;
    unsigned task = c->args[ARG_TASK];
    const struct cb_worker w = {.slot = (int)c->args[ARG_SLOT]};
    struct cb_payload area = {.fd = -1};
    if (job.params.payload) {
        if (c->ex.opt[0] == CB_TRANSPORT_PIPE)
            worker_pipes(&job, task, &w);
        /* The area the parent made, from its memfd. */
        if (cb_payload_map(&area, DATA_FD, job.tasks, job.params.payload) < 0)
            _exit(CB_EXIT_SETUP);
        job.data = &area;
    }
    struct cb_task_result r;
    cb_task_run(&job, task, &w, NULL, &r);
    _exit(cb_write_full(RESULT_FD, &r, sizeof r) < 0 ? CB_EXIT_SEND : 0);
}

static const struct cb_role worker_role = {
    .flag = "--cb-spawn-worker",
    .n_fds = 2, /* the result pipe; the payload's socket or memfd */
    .n_args = 2,
    .args = {[ARG_TASK] = {"task", CB_MAX_TASKS - 1},
             [ARG_SLOT] = {"worker", CB_MAX_WORKERS - 1}},
    .main = worker_main,
};

struct batch {
    struct cb_children children; /* first: the launcher's wait and abort */
    const struct cb_executor *ex;
    struct cb_task_result *results;
    bool pipes;                /* a payload through pipes */
    bool sent[CB_MAX_WORKERS]; /* the slot's result has come */
    /*
     * The result pipe of a slot whose result has come while its worker
     * still ran: the slot then waits on the worker's pidfd instead, as a
     * process the task started may hold the pipe open long after (-1:
     * none).
     */
    int result_fd[CB_MAX_WORKERS];
};

/* Send task's input down the worker's socket (blocking: it reads it all). */
static int send_input(const struct batch *b, int fd, unsigned task,
                      struct cb_error *err)
{
    const unsigned char *in = cb_payload_input(b->ex->job.data, task);
    uint64_t bytes = b->ex->job.params.payload, put = 0;
    while (put < bytes) {
        ssize_t n = send(fd, in + put, bytes - put, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            /* A worker that died before it read it all: its exit says why. */
            if (errno == EPIPE || errno == ECONNRESET)
                return 0;
            cb_error_set(err, "task %u: sending its input: %s", task,
                         strerror(errno));
            return -1;
        }
        put += (uint64_t)n;
    }
    return 0;
}

static int launch(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    struct batch *b = ctx;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    int data[2] = {-1, -1}; /* the input's socket: ours, the worker's */
    if (b->pipes &&
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, data) < 0) {
        cb_error_set(err, "task %u: socketpair: %s", task, strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    int fds[2] = {p[1], b->pipes ? data[1] : b->ex->job.data ?
                                              b->ex->job.data->fd : -1};
    pid_t pid;
    const char *call;
    int rc = cb_role_spawn(b->ex, (const unsigned[]){task, slot}, fds,
                           fds[1] >= 0 ? 2 : 1, &pid, &call);
    close(p[1]);
    if (data[1] >= 0)
        close(data[1]);
    if (rc) {
        close(p[0]);
        if (data[0] >= 0)
            close(data[0]);
        cb_error_set(err, "task %u: %s: %s", task, call, strerror(rc));
        return -1;
    }
    atomic_fetch_add(&spawned, 1);
    b->children.kids[slot] = (struct cb_child){.pid = pid, .fd = p[0]};
    b->sent[slot] = false;
    if (b->pipes) {
        rc = send_input(b, data[0], task, err);
        close(data[0]);
        if (rc < 0)
            return -1; /* the launcher kills what runs */
    }
    return 0;
}

/*
 * The worker in slot has closed its pipe, or exited with the result in:
 * reap it, check its result came, and no more than it.
 */
static int finish(struct batch *b, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    int status = cb_child_reap(&b->children.kids[slot]);
    int fd = b->result_fd[slot];
    b->result_fd[slot] = -1;
    bool more = false;
    if (fd >= 0) {
        /* Only what is there now: a process it left may hold the pipe. */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        struct cb_task_result r;
        more = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
               cb_read_records(fd, &r, sizeof r, 1) != 0;
        close(fd);
    }
    if (cb_task_outcome(task, status, b->sent[slot], err) < 0)
        return -1;
    if (more) {
        cb_error_set(err, "task %u: worker sent more than one result", task);
        return -1;
    }
    return 0;
}

/*
 * The result of slot is in and its worker has not hung up: wait for its
 * exit on a pidfd, not for the pipe's hang-up, which a process the task
 * started and left holding the pipe would put off (without pidfds, the
 * hang-up still).
 */
static void await_exit(struct batch *b, unsigned slot)
{
    struct cb_child *c = &b->children.kids[slot];
    int pidfd = cb_pidfd_open(c->pid);
    if (pidfd < 0)
        return;
    b->result_fd[slot] = c->fd;
    c->fd = pidfd;
}

/* A result, then the hang-up: 1 while the worker runs, 0 once it ended. */
static int collect(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err)
{
    struct batch *b = ctx;
    short revents = b->children.pfds[slot].revents;
    if (b->result_fd[slot] >= 0)
        return finish(b, slot, task, err); /* its pidfd: it has exited */
    bool hung_up = revents & (POLLHUP | POLLERR);
    if ((revents & POLLIN) && b->pipes && !b->sent[slot]) {
        /* Its output comes first, all of it, then its result. */
        uint64_t bytes = b->ex->job.params.payload;
        ssize_t n = cb_read_full(b->children.kids[slot].fd,
                                 cb_payload_output(b->ex->job.data, task),
                                 bytes);
        if (n == 0)
            return finish(b, slot, task, err);
        if (n != (ssize_t)bytes) {
            if (cb_task_outcome(task, cb_child_reap(&b->children.kids[slot]),
                                false, err) == 0 || errno == EPROTO)
                cb_error_set(err, "task %u: worker's output cut short",
                             task);
            return -1;
        }
    }
    if (revents & POLLIN) {
        struct cb_task_result r;
        ssize_t n = cb_read_records(b->children.kids[slot].fd, &r, sizeof r,
                                    1);
        if (n < 0) {
            cb_error_set(err, "task %u: reading its result: %s", task,
                         strerror(errno));
            return -1;
        }
        if (n > 0 && b->sent[slot]) {
            cb_error_set(err, "task %u: worker sent more than one result",
                         task);
            return -1;
        }
        if (n > 0) {
            if (r.task != task) {
                cb_error_set(err, "task %u: worker sent a result for task %u",
                             task, r.task);
                return -1;
            }
            b->results[task] = r;
            b->sent[slot] = true;
            /* More after its one result, with the hang-up: refuse that too. */
            if (hung_up && cb_read_records(b->children.kids[slot].fd, &r,
                                           sizeof r, 1) != 0) {
                cb_error_set(err, "task %u: worker sent more than one result",
                             task);
                return -1;
            }
        } else {
            hung_up = true; /* end of file */
        }
    }
    if (hung_up)
        return finish(b, slot, task, err);
    if (b->sent[slot])
        await_exit(b, slot);
    return 1;
}

static int spawn_run(struct cb_executor *ex, struct cb_task_result *results,
                     struct cb_error *err)
{
    if (cb_role_check_kernel(ex, err) < 0)
        return -1;
    struct batch b = {
        .ex = ex,
        .results = results,
        .pipes = ex->job.data &&
                 cb_executor_option(ex, &cb_option_transport) ==
                     CB_TRANSPORT_PIPE};
    if (cb_children_alloc(&b.children, cb_job_slots(&ex->job)) < 0) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    for (unsigned s = 0; s < CB_MAX_WORKERS; s++)
        b.result_fd[s] = -1;
    const struct cb_launcher l = {
        .ctx = &b,
        .results = results,
        .launch = launch,
        .wait = cb_children_wait,
        .collect = collect,
        .abort = cb_children_abort,
    };
    int rc = cb_launch_tasks(&ex->job, &l, NULL, err);
    for (unsigned s = 0; s < CB_MAX_WORKERS; s++)
        if (b.result_fd[s] >= 0)
            close(b.result_fd[s]); /* a batch that failed */
    cb_children_free(&b.children);
    return rc;
}

const struct cb_mode cb_mode_spawn = {
    .name = "spawn",
    .summary = "a new process per task, posix_spawn of concbench itself in a "
               "worker role, at most W alive, each reaped",
    .per_task = true,
    .role = &worker_role,
    .options = (const struct cb_option *const[]){&cb_option_transport, NULL},
    .run = spawn_run,
};
