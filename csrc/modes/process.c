/*
 * process: one fork()ed child per task, at most W alive, each reaped; what
 * Python's multiprocessing.Process per task does with the fork start method.
 * The cost measured is fork, exit and wait, paid once per task.
 *
 * The child runs the task, writes its measured result into its own slot of a
 * shared anonymous mapping and leaves with _exit, so no atexit handler or
 * stdio buffer of the parent runs twice. The parent waits on a pidfd per
 * child, which becomes readable when the child has exited: one wake-up per
 * task, as in a bare fork + waitpid loop, and a timeout that poll can keep
 * (cb_child_fork; without pidfds, an exit pipe). (A pipe per child for the
 * result was tried first: pipe2, the child's write and the extra wake-up
 * cost about 10% more per task than the bare loop.)
 *
 * A payload's input the child inherits with the fork, as a Process's
 * arguments are; its output comes back through a pipe of the child's
 * (transport pipe, the default, as a Process sends through a Queue), which
 * the parent then watches instead of the pidfd, or is written into memory
 * shared before the fork (transport shm).
 */
#include "child.h"
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct batch {
    struct cb_children children; /* first: the launcher's wait and abort */
    const struct cb_job *job;
    struct cb_task_result *shared; /* one per task, shared with the children */
    bool pipe_out;                 /* outputs come back through pipes */
};

/* In the child: run the task, send its output down fd, then exit. */
__attribute__((noreturn)) static void run_child(struct batch *b,
                                                unsigned slot, unsigned task,
                                                int fd)
{
    const struct cb_job *job = b->job;
    const struct cb_worker w = {.slot = (int)slot};
    struct cb_task_result *r = &b->shared[task];
    if (!b->pipe_out) {
        cb_task_run(job, task, &w, NULL, r);
        _exit(0);
    }
    uint64_t bytes = job->params.payload;
    unsigned char *out = malloc(bytes);
    if (!out)
        _exit(CB_EXIT_SETUP);
    const struct cb_task_io io = {cb_payload_input(job->data, task), out};
    struct cb_task_result mine;
    cb_task_run(job, task, &w, &io, &mine);
    int64_t t0 = cb_now_ns();
    if (cb_write_full(fd, out, bytes) < 0)
        _exit(CB_EXIT_SEND);
    mine.bytes_out = bytes;
    mine.move_ns = cb_now_ns() - t0;
    *r = mine; /* last: the parent takes a filled result as the whole */
    _exit(0);
}

static int launch(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    struct batch *b = ctx;
    struct cb_child *c = &b->children.kids[slot];
    int p[2] = {-1, -1};
    if (b->pipe_out && pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    const char *call;
    int rc = cb_child_fork(c, !b->pipe_out, &call);
    if (rc < 0) {
        int e = errno;
        if (p[0] >= 0) {
            close(p[0]);
            close(p[1]);
        }
        cb_error_set(err, "task %u: %s: %s", task, call, strerror(e));
        return -1;
    }
    if (rc == 0)
        run_child(b, slot, task, p[1]);
    if (b->pipe_out) {
        close(p[1]);
        c->fd = p[0]; /* its output, then the hang-up of its exit */
    }
    return 0;
}

/* The output of the child in slot, through its pipe: all of it, and no more. */
static int read_output(struct batch *b, unsigned slot, unsigned task,
                       struct cb_error *err)
{
    int fd = b->children.kids[slot].fd;
    uint64_t bytes = b->job->params.payload;
    ssize_t n = cb_read_full(fd, cb_payload_output(b->job->data, task),
                             bytes);
    if (n == (ssize_t)bytes) {
        /*
         * Only what is there now, not up to the end of file: a process the
         * task started without exec may hold the pipe open for ever.
         */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char extra;
        if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLIN) ||
            read(fd, &extra, 1) == 0)
            return 0;
        cb_error_set(err, "task %u: worker sent more than its output", task);
        return -1;
    }
    if (n < 0 && errno == EPROTO)
        cb_error_set(err, "task %u: worker's output cut short", task);
    else if (n < 0)
        cb_error_set(err, "task %u: reading its output: %s", task,
                     strerror(errno));
    return n == 0 ? 1 : -1; /* 1: nothing yet but the hang-up: reap it */
}

/* The child in slot has exited: reap it and check that it sent its result. */
static int collect(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err)
{
    struct batch *b = ctx;
    if (b->pipe_out) {
        int rc = read_output(b, slot, task, err);
        if (rc < 0) {
            /* Its exit status says more than a short read, if it failed. */
            int status = cb_child_reap(&b->children.kids[slot]);
            if (!cb_exited_cleanly(status))
                cb_task_outcome(task, status, false, err);
            return -1;
        }
    }
    int status = cb_child_reap(&b->children.kids[slot]);
    return cb_task_outcome(task, status, b->shared[task].filled, err);
}

static int process_run(struct cb_executor *ex, struct cb_task_result *results,
                       struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    size_t shared_len = job->tasks * sizeof(struct cb_task_result);
    struct batch b = {
        .job = job,
        .pipe_out = job->data && cb_executor_option(
                                     ex, &cb_option_transport) ==
                                     CB_TRANSPORT_PIPE};
    b.shared = mmap(NULL, shared_len, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (b.shared == MAP_FAILED ||
        cb_children_alloc(&b.children, cb_job_slots(job)) < 0) {
        cb_error_set(err, "out of memory");
        if (b.shared != MAP_FAILED)
            munmap(b.shared, shared_len);
        return -1;
    }
    const struct cb_launcher l = {
        .ctx = &b,
        .results = b.shared,
        .launch = launch,
        .wait = cb_children_wait,
        .collect = collect,
        .abort = cb_children_abort,
    };
    int rc = cb_launch_tasks(job, &l, NULL, err);
    /*
     * Copied only now: every page the parent writes between forks is a
     * copy-on-write fault after the next fork.
     */
    if (rc == 0)
        memcpy(results, b.shared, shared_len);
    cb_children_free(&b.children);
    munmap(b.shared, shared_len);
    return rc;
}

const struct cb_mode cb_mode_process = {
    .name = "process",
    .summary = "a fork()ed child per task, at most W alive, each reaped",
    .per_task = true,
    .options = (const struct cb_option *const[]){&cb_option_transport, NULL},
    .run = process_run,
};
