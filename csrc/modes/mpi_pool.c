/*
 * mpi_pool: W worker processes started before the timed region with
 * MPI_Comm_spawn, as mpi4py.futures.MPIPoolExecutor starts its workers;
 * tasks go out to them and results come back as MPI messages, one task a
 * worker at a time, the next to whichever answers first. MPI is never
 * initialised in concbench's own process, which forks for other modes:
 * a master process, concbench's executable in its --cb-mpi role
 * (roles/mpi_role.c), initialises MPI as a singleton, spawns the workers
 * and serves the batches, and this side talks to it over two pipes
 * (roles/mpi.h).
 *
 * Across hosts: under mpirun (`mpirun -n 1 --host A:1,B:4 concbench
 * --modes=mpi_pool`) the driver first asks mpirun where its free slots
 * are (a probe, mpi_setup), and every pool's master, still a singleton of
 * its own, places its workers there; CONCBENCH_MPI_HOSTS=B:4 does the
 * same without mpirun (roles/mpi.h says why not in mpirun's own job).
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
    PROBE_STOP_TIMEOUT_MS = 30000,
    INBOX = 64,
};

extern const struct cb_mode cb_mode_mpi_pool;

static const struct cb_role master_role = {
    .flag = "--cb-mpi",
    .n_fds = CB_MPI_FDS,
    .n_args = 1,
    .args = {{"probe", CB_MPI_PROBE}},
    .main = cb_mpi_role,
    .keeper = true, /* the process spawned keeps the master (mpi_role.c) */
};

struct pool {
    struct cb_child master; /* pid 0 once ended */
    int cmd_w, result_r;    /* result_r non-blocking */
    bool *seen;
    struct cb_task_result buf[INBOX];
    /* Each worker's host as the master said, and how many said. */
    struct cb_mpi_host *host;
    unsigned n_hosts;
    char hosts[1024]; /* as worker_hosts says them */
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

/* Stop the master (it reads end of file, stops its workers and exits). */
static void stop_master(struct pool *p, int timeout_ms)
{
    if (p->cmd_w >= 0)
        close(p->cmd_w);
    if (p->master.pid > 0)
        cb_child_end(&p->master, cb_now_ns() + timeout_ms * 1000000LL);
    if (p->result_r >= 0)
        close(p->result_r);
    p->cmd_w = p->result_r = -1;
    p->master.pid = 0;
}

static bool mpi_stop(struct cb_executor *ex)
{
    struct pool *p = ex->state;
    stop_master(p, STOP_TIMEOUT_MS);
    free(p->seen);
    free(p->host);
    return true;
}

/*
 * The workers' hosts, in rank order, a run of workers on one host as
 * HOST:N (mpirun's --host form), joined by ','; "...," in front of the
 * last run that does not fit. A host the master did not name is "?".
 */
static void name_hosts(struct pool *p)
{
    size_t len = 0;
    p->hosts[0] = '\0';
    for (unsigned i = 0, run; i < p->n_hosts; i += run) {
        const char *name = p->host[i].name[0] ? p->host[i].name : "?";
        run = 1;
        while (i + run < p->n_hosts &&
               strcmp(p->host[i + run].name, name) == 0)
            run++;
        int w = snprintf(p->hosts + len, sizeof p->hosts - len, "%s%s:%u",
                         i ? "," : "", name, run);
        if (w < 0 || (size_t)w >= sizeof p->hosts - len) {
            snprintf(p->hosts + len, sizeof p->hosts - len, ",...");
            return;
        }
        len += (size_t)w;
    }
}

static const char *mpi_worker_hosts(const struct cb_executor *ex)
{
    const struct pool *p = ex->state;
    return p->hosts[0] ? p->hosts : NULL;
}

/*
 * Start ex's master in role arg (a pool's, or the probe) and wait for its
 * workers: each one's host, then ready. At most max_hosts workers.
 */
static int start_master(struct cb_executor *ex, struct pool *p, unsigned arg,
                        unsigned max_hosts, struct cb_error *err)
{
    int cmd[2], res[2];
    p->host = calloc(max_hosts, sizeof *p->host);
    if (!p->host || pipe2(cmd, O_CLOEXEC) < 0) {
        cb_error_set(err, "mpi_pool: %s",
                     p->host ? strerror(errno) : "out of memory");
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
    const unsigned args[] = {arg};
    const char *call;
    int rc = cb_role_spawn(ex, args, fds, CB_MPI_FDS, &p->master.pid, &call);
    close(cmd[0]);
    close(res[1]);
    if (rc) {
        p->master.pid = 0;
        cb_error_set(err, "mpi_pool: %s: %s", call, strerror(rc));
        return -1;
    }
    /* The workers exist once the master says so, each host said first. */
    int64_t deadline = cb_now_ns() + START_TIMEOUT_MS * 1000000LL;
    for (;;) {
        struct pollfd pfd = {.fd = p->result_r, .events = POLLIN};
        int ready = cb_poll_until(&pfd, 1, deadline, err);
        if (ready < 0)
            return -1;
        if (ready == 0) {
            cb_error_set(err, "mpi_pool: the workers did not start within "
                         "%d ms", START_TIMEOUT_MS);
            return -1;
        }
        ssize_t got = cb_read_records(p->result_r, p->buf, sizeof p->buf[0],
                                      INBOX);
        if (got < 0 && errno == EAGAIN)
            continue;
        bool died = got <= 0;
        for (ssize_t k = 0; k < got && !died; k++) {
            const struct cb_task_result *r = &p->buf[k];
            if (r->task == CB_MPI_READY) {
                name_hosts(p);
                return 0;
            }
            died = r->task == CB_MPI_DIED;
            if (died)
                continue;
            if (r->task != CB_MPI_HOST || r->worker < 0 ||
                (unsigned)r->worker >= max_hosts) {
                cb_error_set(err, "mpi_pool: an unexpected record while the "
                             "workers start");
                return -1;
            }
            struct cb_mpi_host *h = &p->host[r->worker];
            memcpy(h, r, sizeof *h);
            h->name[sizeof h->name - 1] = '\0';
            if ((unsigned)r->worker >= p->n_hosts)
                p->n_hosts = (unsigned)r->worker + 1;
        }
        if (died) {
            master_gone(p, "mpi_pool: starting the workers", err);
            return -1;
        }
    }
}

/* Whether this process is one of mpirun's job. */
static bool under_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK");
}

/*
 * Under mpirun, in the driver before any measurement (unless the user
 * said where): mpirun's free slots, as the probe's workers found them,
 * into CONCBENCH_MPI_HOSTS for every pool's master (roles/mpi.h).
 */
static int mpi_setup(struct cb_error *err)
{
    if (!under_mpirun() || getenv(CB_MPI_HOSTS_ENV))
        return 0;
    struct pool probe = {.cmd_w = -1, .result_r = -1, .master = {.fd = -1}};
    struct cb_executor ex = {
        .mode = &cb_mode_mpi_pool,
        .job = {.kernel = cb_kernel_by_name("noop"), .tasks = 1,
                .workers = 1},
        .state = &probe,
    };
    int rc = start_master(&ex, &probe, CB_MPI_PROBE, CB_MAX_WORKERS, err);
    stop_master(&probe, PROBE_STOP_TIMEOUT_MS);
    free(probe.host);
    if (rc < 0) {
        char why[sizeof err->msg];
        const char *own = "mpi_pool: ";
        snprintf(why, sizeof why, "%s",
                 err->msg + (strncmp(err->msg, own, strlen(own)) == 0
                                 ? strlen(own)
                                 : 0));
        cb_error_set(err, "mpi_pool: finding mpirun's free slots: %s", why);
        return -1;
    }
    if (setenv(CB_MPI_HOSTS_ENV, probe.hosts, 1) < 0) {
        cb_error_set(err, "mpi_pool: %s: %s", CB_MPI_HOSTS_ENV,
                     strerror(errno));
        return -1;
    }
    fprintf(stderr, "concbench: mpi_pool: the workers go to mpirun's free "
            "slots: %s\n", probe.hosts[0] ? probe.hosts
                                           : "none, so to this host");
    return 0;
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
    if (!p->seen) {
        cb_error_set(err, "mpi_pool: out of memory");
        return -1;
    }
    return start_master(ex, p, CB_MPI_POOL, cb_job_slots(&ex->job), err);
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
     * down with it (those on other hosts with their lifelines), and waits
     * for them all.
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
     * does for more, and its start (half a second, once a repetition since
     * issue 19) would still add about 136 s to the suite's 225 s of fixed
     * rounds (docs/modes-and-kernels.md, "An MPI pool").
     */
    .opt_in = true,
    .options = (const struct cb_option *const[]){&cb_option_pool, NULL},
    .role = &master_role,
    .state_size = sizeof(struct pool),
    .start = mpi_start,
    .run = mpi_run,
    .stop = mpi_stop,
    .worker_hosts = mpi_worker_hosts,
    .setup = mpi_setup,
};
