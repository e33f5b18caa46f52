/*
 * process: one fork()ed child per task, at most W alive, each reaped; what
 * Python's multiprocessing.Process per task does with the fork start method.
 * The cost measured is fork, exit and wait, paid once per task.
 *
 * The child runs the task, writes its measured result into its own slot of a
 * shared anonymous mapping and leaves with _exit, so no atexit handler or
 * stdio buffer of the parent runs twice. The parent waits on a pidfd per
 * child, which becomes readable when the child has exited: one wake-up per
 * task, as in a bare fork + waitpid loop, and a timeout that poll can keep.
 * Where pidfds are missing (Linux before 5.3, valgrind) each child holds the
 * write end of a pipe instead, and its exit closes it: poll sees a hang-up.
 * (A pipe per child was tried first: pipe2, the child's write and the extra
 * wake-up cost about 10% more per task than the bare loop.)
 */
#include "executor.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
    pid_t pid;   /* 0 when the slot is free */
    int exit_fd; /* readable (or hung up) once the child has exited */
    unsigned task;
};

/* Whether this kernel has pidfd_open; found out once. */
static bool have_pidfds(void)
{
    static int have = -1;
    if (have < 0) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        have = fd >= 0 || errno != ENOSYS;
        if (fd >= 0)
            close(fd);
    }
    return have;
}

static int launch(const struct cb_job *job, struct cb_task_result *shared,
                  struct child *c, int slot, unsigned task,
                  struct cb_error *err)
{
    bool pidfds = have_pidfds();
    int hup[2] = {-1, -1};
    if (!pidfds && pipe2(hup, O_CLOEXEC) < 0) {
        cb_error_set(err, "task %u: pipe: %s", task, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        cb_error_set(err, "task %u: fork: %s", task, strerror(errno));
        if (!pidfds) {
            close(hup[0]);
            close(hup[1]);
        }
        return -1;
    }
    if (pid == 0) {
        cb_child_init(parent);
        cb_task_run(job, task, slot, &shared[task]);
        _exit(0);
    }
    int exit_fd = hup[0];
    if (pidfds) {
        exit_fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (exit_fd < 0) {
            cb_error_set(err, "task %u: pidfd_open: %s", task,
                         strerror(errno));
            cb_kill_reap(pid);
            return -1;
        }
    } else {
        close(hup[1]);
    }
    *c = (struct child){.pid = pid, .exit_fd = exit_fd, .task = task};
    return 0;
}

/* Kill and reap every child still alive. */
static void kill_all(struct child *kids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (kids[i].pid > 0) {
            cb_kill_reap(kids[i].pid);
            close(kids[i].exit_fd);
            kids[i].pid = 0;
        }
    }
}

/* The child in c has exited: reap it and check that it sent its result. */
static int finish(struct child *c, const struct cb_task_result *shared,
                  struct cb_error *err)
{
    int status = 0;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(c->exit_fd);
    c->pid = 0;
    bool sent = shared[c->task].filled != 0;
    if (sent && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char how[96];
    cb_describe_status(status, how, sizeof how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     c->task);
    else
        cb_error_set(err, "task %u: worker %s", c->task, how);
    return -1;
}

/* Wait until a child exits or the deadline passes; -1 with err set. */
static int wait_any(const struct cb_job *job, struct child *kids,
                    unsigned n_slots, struct pollfd *pfds, int64_t deadline,
                    struct cb_error *err)
{
    unsigned tasks[CB_MAX_WORKERS];
    for (unsigned s = 0; s < n_slots; s++) {
        pfds[s] = (struct pollfd){.fd = kids[s].pid > 0 ? kids[s].exit_fd : -1,
                                  .events = POLLIN};
        tasks[s] = kids[s].task;
    }
    return cb_poll_slots(pfds, tasks, n_slots, deadline, job->timeout_ms, err);
}

static int process_run(struct cb_executor *ex, const struct cb_job *job,
                       struct cb_task_result *results, struct cb_error *err)
{
    (void)ex;
    unsigned n_slots = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    size_t shared_len = job->tasks * sizeof(struct cb_task_result);
    struct cb_task_result *shared =
        mmap(NULL, shared_len, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct child *kids = calloc(n_slots, sizeof *kids);
    struct pollfd *pfds = calloc(n_slots, sizeof *pfds);
    int rc = -1;
    if (shared == MAP_FAILED || !kids || !pfds) {
        cb_error_set(err, "out of memory");
        goto out;
    }

    unsigned next = 0, running = 0;
    for (; next < n_slots; next++, running++)
        if (launch(job, shared, &kids[next], (int)next, next, err) < 0)
            goto fail;
    while (running > 0) {
        if (wait_any(job, kids, n_slots, pfds, deadline, err) < 0)
            goto fail;
        for (unsigned s = 0; s < n_slots; s++) {
            if (!(pfds[s].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            running--;
            if (finish(&kids[s], shared, err) < 0)
                goto fail;
            if (next < job->tasks) {
                if (launch(job, shared, &kids[s], (int)s, next++, err) < 0)
                    goto fail;
                running++;
            }
        }
    }
    /*
     * Copied only now: every page the parent writes between forks is a
     * copy-on-write fault after the next fork.
     */
    memcpy(results, shared, shared_len);
    rc = 0;
    goto out;
fail:
    kill_all(kids, n_slots);
out:
    free(pfds);
    free(kids);
    if (shared != MAP_FAILED)
        munmap(shared, shared_len);
    return rc;
}

const struct cb_mode cb_mode_process = {
    .name = "process",
    .summary = "a fork()ed child per task, at most W alive, each reaped",
    .run = process_run,
};
