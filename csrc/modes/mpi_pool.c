/*
 * mpi_pool: W worker processes started before the timed region with
 * MPI_Comm_spawn, as mpi4py.futures.MPIPoolExecutor starts its workers;
 * tasks go out to them and results come back as MPI messages, one task a
 * worker at a time, the next to whichever answers first. MPI is never
 * initialised in concbench's own process, which forks for other modes:
 * a master process, concbench's executable in its --cb-mpi role
 * (roles/mpi_role.c), initialises MPI as a singleton, spawns the workers
 * and serves the batches, and this side talks to it over two pipes
 * (roles/mpi.h). Under mpirun (`mpirun -n 1 --hostfile HOSTS concbench
 * --modes=mpi_pool`) the master is still a child of concbench, and Open
 * MPI places the workers on the hosts it was given.
 *
 * pool_start_s is the master's start and the spawn. A batch's time is
 * what it takes the master to hand out every task and hear back, and this
 * side to read the results. A failure (a worker that dies, which makes
 * Open MPI end the job; a task past the timeout) ends the master, which
 * takes its MPI job down with it, and the pool is not used again.
 */
#include "child.h"
#include "roles/mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    START_TIMEOUT_MS = 60000,
    STOP_TIMEOUT_MS = 5000,
    INBOX = 64,
};

static const struct cb_role master_role = {
    .flag = "--cb-mpi",
    .n_fds = CB_MPI_FDS,
    .main = cb_mpi_role,
    .keeper = true, /* the process spawned keeps the master (mpi_role.c) */
};

struct pool {
    struct cb_child master; /* pid 0 once ended */
    int cmd_w, result_r;    /* result_r non-blocking */
    bool *seen;
    struct cb_task_result buf[INBOX];
};

/* The master ended: reap it and say how, for task (or the start). */
static void master_gone(struct pool *p, const char *what,
                        struct cb_error *err)
{
    int status = cb_child_end(&p->master,
                              cb_now_ns() + STOP_TIMEOUT_MS * 1000000LL);
    p->master.pid = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == CB_MPI_WORKER_DIED) {
        cb_error_set(err, "%s: an MPI worker died (the MPI master ended "
                     "the pool)", what);
        return;
    }
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    cb_error_set(err, "%s: the MPI master %s", what, how);
}

static bool mpi_stop(struct cb_executor *ex)
{
    struct pool *p = ex->state;
    /* The master reads end of file, stops its workers and exits. */
    if (p->cmd_w >= 0)
        close(p->cmd_w);
    if (p->master.pid > 0)
        cb_child_end(&p->master, cb_now_ns() + STOP_TIMEOUT_MS * 1000000LL);
    if (p->result_r >= 0)
        close(p->result_r);
    free(p->seen);
    return true;
}

static int mpi_start(struct cb_executor *ex, struct cb_error *err)
{
    struct pool *p = ex->state;
    p->cmd_w = p->result_r = -1;
    p->master.fd = -1;
    if (ex->job.data) {
        cb_error_set(err, "mpi_pool: --payload is not supported");
        return -1;
    }
    if (cb_role_check_kernel(ex, err) < 0)
        return -1;
    p->seen = calloc(ex->job.tasks, sizeof *p->seen);
    int cmd[2], res[2];
    if (!p->seen || pipe2(cmd, O_CLOEXEC) < 0) {
        cb_error_set(err, "mpi_pool: %s", p->seen ? strerror(errno)
                                                  : "out of memory");
        return -1;
    }
    p->cmd_w = cmd[1];
    if (pipe2(res, O_CLOEXEC) < 0) {
        cb_error_set(err, "mpi_pool: pipe: %s", strerror(errno));
        close(cmd[0]);
        return -1;
    }
    p->result_r = res[0];
    fcntl(p->result_r, F_SETFL, O_NONBLOCK);
    const int fds[CB_MPI_FDS] = {cmd[0], res[1]};
    const char *call;
    int rc = cb_role_spawn(ex, NULL, fds, CB_MPI_FDS, &p->master.pid, &call);
    close(cmd[0]);
    close(res[1]);
    if (rc) {
        p->master.pid = 0;
        cb_error_set(err, "mpi_pool: %s: %s", call, strerror(rc));
        return -1;
    }
    /* The workers exist once the master says so. */
    struct pollfd pfd = {.fd = p->result_r, .events = POLLIN};
    int ready = cb_poll_until(&pfd, 1,
                              cb_now_ns() + START_TIMEOUT_MS * 1000000LL, err);
    if (ready < 0)
        return -1;
    if (ready == 0) {
        cb_error_set(err, "mpi_pool: the workers did not start within %d ms",
                     START_TIMEOUT_MS);
        return -1;
    }
    ssize_t n = cb_read_records(p->result_r, p->buf, sizeof p->buf[0], 1);
    if (n <= 0 || p->buf[0].task == CB_MPI_DIED) {
        master_gone(p, "mpi_pool: starting the workers", err);
        return -1;
    }
    if (p->buf[0].task != CB_MPI_READY) {
        cb_error_set(err, "mpi_pool: an unexpected first record");
        return -1;
    }
    return 0;
}

/* The first task without its result, for an error. */
static unsigned first_missing(const struct pool *p, unsigned tasks)
{
    unsigned t = 0;
    while (t < tasks && p->seen[t])
        t++;
    return t;
}

static int mpi_run(struct cb_executor *ex, struct cb_task_result *results,
                   struct cb_error *err)
{
    struct pool *p = ex->state;
    const struct cb_job *job = &ex->job;
    if (p->master.pid == 0) {
        cb_error_set(err, "mpi_pool: not running since a failure");
        return -1;
    }
    memset(p->seen, 0, job->tasks * sizeof *p->seen);
    int64_t deadline = cb_job_deadline(job);
    uint32_t batch = 1;
    if (cb_write_full(p->cmd_w, &batch, sizeof batch) < 0) {
        master_gone(p, "mpi_pool", err);
        return -1;
    }
    unsigned got = 0;
    while (got < job->tasks) {
        struct pollfd pfd = {.fd = p->result_r, .events = POLLIN};
        int rc = cb_poll_until(&pfd, 1, deadline, err);
        if (rc < 0)
            goto fail;
        if (rc == 0) {
            unsigned first = first_missing(p, job->tasks);
            cb_error_set(err, "task %u (and %u more) not done after %u ms: "
                         "timed out", first, job->tasks - got - 1,
                         job->timeout_ms);
            goto fail;
        }
        ssize_t n = cb_read_records(p->result_r, p->buf, sizeof p->buf[0],
                                    INBOX);
        if (n < 0 && errno == EAGAIN)
            continue;
        if (n <= 0) {
            char what[32];
            snprintf(what, sizeof what, "task %u",
                     first_missing(p, job->tasks));
            master_gone(p, what, err);
            return -1;
        }
        for (ssize_t k = 0; k < n; k++) {
            const struct cb_task_result *r = &p->buf[k];
            if (r->task == CB_MPI_DIED) {
                /* The task the dead worker held, or the first missing. */
                char what[32];
                snprintf(what, sizeof what, "task %u",
                         r->digest < job->tasks
                             ? (unsigned)r->digest
                             : first_missing(p, job->tasks));
                master_gone(p, what, err);
                return -1;
            }
            if (r->task >= job->tasks || p->seen[r->task]) {
                cb_error_set(err, "mpi_pool: result for task %u unexpected",
                             r->task);
                goto fail;
            }
            p->seen[r->task] = true;
            results[r->task] = *r;
            got++;
        }
    }
    return 0;
fail:
    /*
     * Its keeper kills the master, which takes its MPI job, the workers,
     * down with it, and waits for them all.
     */
    kill(p->master.pid, SIGTERM);
    cb_child_end(&p->master, cb_now_ns() + STOP_TIMEOUT_MS * 1000000LL);
    p->master.pid = 0;
    return -1;
}

const struct cb_mode cb_mode_mpi_pool = {
    .name = "mpi_pool",
    .summary = "W MPI processes started beforehand with MPI_Comm_spawn take "
               "tasks as MPI messages (mpi4py's MPIPoolExecutor)",
    .pool = true,
    /*
     * Not in the default suite: on one machine it does what process_pool
     * does for more, and its start (half a second, in every call Google
     * Benchmark makes) made its repetitions six times process_pool's
     * (docs/results/mpi-pool/mpi-pool-vm.json): more than the suite's 5 minutes hold.
     */
    .opt_in = true,
    .role = &master_role,
    .state_size = sizeof(struct pool),
    .start = mpi_start,
    .run = mpi_run,
    .stop = mpi_stop,
};
