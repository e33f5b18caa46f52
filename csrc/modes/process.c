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
 */
#include "child.h"
#include "launcher.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct batch {
    struct cb_children children; /* first: the launcher's wait and abort */
    const struct cb_job *job;
    struct cb_task_result *shared; /* one per task, shared with the children */
};

static int launch(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    struct batch *b = ctx;
    int rc = cb_child_fork(&b->children.kids[slot], true);
    if (rc < 0) {
        cb_error_set(err, "task %u: fork: %s", task, strerror(errno));
        return -1;
    }
    if (rc == 0) {
        cb_task_run(b->job, task, &(const struct cb_worker){.slot = (int)slot},
                    &b->shared[task]);
        _exit(0);
    }
    return 0;
}

/* The child in slot has exited: reap it and check that it sent its result. */
static int collect(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err)
{
    struct batch *b = ctx;
    int status = cb_child_reap(&b->children.kids[slot]);
    return cb_task_outcome(task, status, b->shared[task].filled, err);
}

static int process_run(struct cb_executor *ex, struct cb_task_result *results,
                       struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    size_t shared_len = job->tasks * sizeof(struct cb_task_result);
    struct batch b = {.job = job};
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
    .run = process_run,
};
