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
 */
#include "child.h"
#include "fresh.h"
#include "launcher.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

enum { ARG_TASK, ARG_SLOT, RESULT_FD = CB_ROLE_FD };

static atomic_ulong spawned;

unsigned long cb_spawn_processes(void)
{
    return atomic_load(&spawned);
}

/* The worker role: one task, its result to RESULT_FD, exit. */
__attribute__((noreturn)) static void worker_main(const struct cb_role_call *c)
{
    cb_child_init(c->parent);
    /* What the driver does before any worker starts, so do the same here. */
    if (cb_kernels_init() < 0)
        _exit(CB_EXIT_SETUP);
    struct cb_task_result r;
    cb_task_run(&c->ex.job, c->args[ARG_TASK],
                &(const struct cb_worker){.slot = (int)c->args[ARG_SLOT]}, &r);
    _exit(cb_write_full(RESULT_FD, &r, sizeof r) < 0 ? CB_EXIT_SEND : 0);
}

static const struct cb_role worker_role = {
    .flag = "--cb-spawn-worker",
    .n_fds = 1,
    .n_args = 2,
    .args = {[ARG_TASK] = {"task", CB_MAX_TASKS - 1},
             [ARG_SLOT] = {"worker", CB_MAX_WORKERS - 1}},
    .main = worker_main,
};

struct batch {
    struct cb_children children; /* first: the launcher's wait and abort */
    const struct cb_executor *ex;
    struct cb_task_result *results;
    bool sent[CB_MAX_WORKERS]; /* the slot's result has come */
};

static int launch(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    struct batch *b = ctx;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    pid_t pid;
    int rc = cb_role_spawn(b->ex, (const unsigned[]){task, slot}, &p[1],
                           &pid);
    close(p[1]);
    if (rc) {
        close(p[0]);
        cb_error_set(err, "task %u: posix_spawn: %s", task, strerror(rc));
        return -1;
    }
    atomic_fetch_add(&spawned, 1);
    b->children.kids[slot] = (struct cb_child){.pid = pid, .fd = p[0]};
    b->sent[slot] = false;
    return 0;
}

/* The worker in slot has closed its pipe: reap it, check its result came. */
static int finish(struct batch *b, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    int status = cb_child_reap(&b->children.kids[slot]);
    return cb_task_outcome(task, status, b->sent[slot], err);
}

/* A result, then the hang-up: 1 while the worker runs, 0 once it ended. */
static int collect(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err)
{
    struct batch *b = ctx;
    short revents = b->children.pfds[slot].revents;
    bool hung_up = revents & (POLLHUP | POLLERR);
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
    return hung_up ? finish(b, slot, task, err) : 1;
}

static int spawn_run(struct cb_executor *ex, struct cb_task_result *results,
                     struct cb_error *err)
{
    if (cb_role_check_kernel(ex, err) < 0)
        return -1;
    struct batch b = {.ex = ex, .results = results};
    if (cb_children_alloc(&b.children, cb_job_slots(&ex->job)) < 0) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    const struct cb_launcher l = {
        .ctx = &b,
        .results = results,
        .launch = launch,
        .wait = cb_children_wait,
        .collect = collect,
        .abort = cb_children_abort,
    };
    int rc = cb_launch_tasks(&ex->job, &l, NULL, err);
    cb_children_free(&b.children);
    return rc;
}

const struct cb_mode cb_mode_spawn = {
    .name = "spawn",
    .summary = "a new process per task, posix_spawn of concbench itself in a "
               "worker role, at most W alive, each reaped",
    .per_task = true,
    .role = &worker_role,
    .run = spawn_run,
};
