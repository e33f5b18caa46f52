/*
 * forkserver: a small server process, started before the timed region from
 * a clean state, forks one child per task on request; what Python's
 * multiprocessing does with the forkserver start method. The server is
 * concbench's own executable started with posix_spawn in its server role
 * (role.c), as Python starts its forkserver as a fresh interpreter, so the
 * children are forks of a small process that has set up the kernels and
 * nothing else, not of the benchmark driver with its heap and threads. The
 * cost measured per task is a request, a fork of that small process, exit,
 * wait and the reports; the server's start-up is the pool_start_s counter.
 *
 * Three channels, made once:
 *   requests  parent -> server: {task, slot}, or "kill and reap every child
 *             now", answered when done. A socket, not a pipe, so that the
 *             parent can send with MSG_NOSIGNAL: writing to a pipe whose
 *             server has died would kill the driver with SIGPIPE.
 *   status    server -> parent, a pipe: ready, then each child's pid and
 *             wait status once reaped, or a failed fork's errno.
 *   results   the children -> parent, one pipe they all inherit: one
 *             cb_task_result each; a write of one struct is below PIPE_BUF
 *             and so atomic, however many children write at once.
 * A child writes its result before it exits, so the result is in its pipe
 * before the server reports the exit: on each exit the parent looks for the
 * result first. The server and every child die with their parent
 * (PR_SET_PDEATHSIG), and the server reaps its children before it exits.
 */
#include "executor.h"
#include "proc.h"
#include "role.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    KILL_ALL = UINT32_MAX, /* the task of a kill-and-reap request */
    START_TIMEOUT_MS = 10000,
    KILL_TIMEOUT_MS = 5000,
    STOP_TIMEOUT_MS = 1000,
    INBOX = 64, /* reports or results read at a time */
};

struct request {
    uint32_t task;
    int32_t slot;
};

enum report_kind { REPORT_READY, REPORT_EXITED, REPORT_FORK_FAILED,
                   REPORT_KILLED };

struct report {
    int32_t kind;
    int32_t slot;
    uint32_t task;
    int32_t pid;
    int32_t value; /* REPORT_EXITED: wait status; REPORT_FORK_FAILED: errno */
};

static atomic_ulong ended;

unsigned long cb_forkserver_processes(void)
{
    return atomic_load(&ended);
}

/* ---- The server, in its own process ---- */

/* The server's children by slot; pid 0 when the slot is free. */
static struct {
    pid_t pid;
    uint32_t task;
} kids[CB_MAX_WORKERS];

static void server_kill_all(void)
{
    for (unsigned i = 0; i < CB_MAX_WORKERS; i++) {
        if (kids[i].pid > 0) {
            cb_kill_reap(kids[i].pid);
            kids[i].pid = 0;
        }
    }
}

__attribute__((noreturn)) static void server_exit(int status)
{
    server_kill_all();
    _exit(status);
}

static void send_report(enum report_kind kind, int slot, uint32_t task,
                        pid_t pid, int value)
{
    struct report r = {.kind = kind, .slot = slot, .task = task,
                       .pid = (int32_t)pid, .value = value};
    if (cb_write_full(CB_FORKSERVER_STATUS_FD, &r, sizeof r) < 0)
        server_exit(125); /* the parent has gone */
}

__attribute__((noreturn)) static void
run_child(const struct cb_job *job, uint32_t task, int slot, pid_t server,
          int sigfd, const sigset_t *mask)
{
    cb_child_init(server);
    close(CB_FORKSERVER_REQUEST_FD);
    close(CB_FORKSERVER_STATUS_FD);
    close(sigfd);
    sigprocmask(SIG_SETMASK, mask, NULL);
    struct cb_task_result r;
    cb_task_run(job, task, slot, &r);
    _exit(cb_write_full(CB_FORKSERVER_RESULT_FD, &r, sizeof r) < 0 ? 126
                                                                    : 0);
}

/* Reap every child that has ended and report it. */
static void reap_children(int sigfd)
{
    struct signalfd_siginfo si[8];
    while (read(sigfd, si, sizeof si) > 0)
        ;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (unsigned i = 0; i < CB_MAX_WORKERS; i++) {
            if (kids[i].pid == pid) {
                kids[i].pid = 0;
                send_report(REPORT_EXITED, (int)i, kids[i].task, pid, status);
                break;
            }
        }
    }
}

static void serve(const struct cb_job *job, const struct request *req,
                  pid_t me, int sigfd, const sigset_t *mask)
{
    if (req->task == KILL_ALL) {
        server_kill_all();
        send_report(REPORT_KILLED, -1, 0, 0, 0);
        return;
    }
    if (req->slot < 0 || req->slot >= (int)CB_MAX_WORKERS ||
        kids[req->slot].pid != 0)
        server_exit(125); /* the parent broke the protocol */
    pid_t pid = fork();
    if (pid < 0) {
        send_report(REPORT_FORK_FAILED, req->slot, req->task, 0, errno);
        return;
    }
    if (pid == 0)
        run_child(job, req->task, req->slot, me, sigfd, mask);
    kids[req->slot].pid = pid;
    kids[req->slot].task = req->task;
}

void cb_forkserver_main(const struct cb_job *job, pid_t parent)
{
    cb_child_init(parent);
    /* Child exits come as a readable fd, beside the requests, to one poll. */
    sigset_t chld, mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &mask);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0 || cb_kernels_init() < 0)
        _exit(124);
    pid_t me = getpid();
    send_report(REPORT_READY, -1, 0, me, 0);

    struct pollfd pfd[2] = {{.fd = CB_FORKSERVER_REQUEST_FD, .events = POLLIN},
                            {.fd = sigfd, .events = POLLIN}};
    struct request req[INBOX];
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            server_exit(125);
        }
        if (pfd[1].revents)
            reap_children(sigfd);
        if (!pfd[0].revents)
            continue;
        ssize_t n = read(CB_FORKSERVER_REQUEST_FD, req, sizeof req);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            server_exit(0); /* the parent is stopping the server */
        if (n < 0)
            server_exit(125);
        /* A stream socket may split a message: wait for its rest. */
        size_t part = (size_t)n % sizeof *req;
        if (part && cb_read_full(CB_FORKSERVER_REQUEST_FD, (char *)req + n,
                                 sizeof *req - part) <= 0)
            server_exit(125);
        for (size_t k = 0; k < ((size_t)n + sizeof *req - 1) / sizeof *req;
             k++)
            serve(job, &req[k], me, sigfd, &mask);
    }
}

/* ---- The parent's side ---- */

struct cb_executor {
    pid_t server;  /* 0 once reaped */
    int request_w; /* socket to the server */
    int status_r;  /* the server's reports */
    int result_r;  /* the children's results, non-blocking */
    unsigned workers, tasks; /* what start was given */
    int *slot_task; /* the task each slot's child runs, -1 when none */
    bool *seen;     /* results received in this batch */
    struct request *outbox;
    unsigned n_out;
    struct report inbox[INBOX];
    struct cb_task_result buf[INBOX];
};

/*
 * Wait up to timeout_ms for the server to exit, then kill it; reap it.
 * *status gets its wait status.
 */
static void reap_server(struct cb_executor *ex, int timeout_ms, int *status)
{
    int64_t deadline = cb_now_ns() + (int64_t)timeout_ms * 1000000;
    *status = 0;
    for (;;) {
        pid_t r = waitpid(ex->server, status, WNOHANG);
        if (r == ex->server || (r < 0 && errno != EINTR))
            break;
        if (cb_now_ns() >= deadline) {
            kill(ex->server, SIGKILL);
            while (waitpid(ex->server, status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        usleep(1000);
    }
    ex->server = 0;
}

/* The server closed its end of a channel: it died. Reap it and say how. */
static void server_gone(struct cb_executor *ex, const char *when,
                        struct cb_error *err)
{
    int status;
    reap_server(ex, STOP_TIMEOUT_MS, &status);
    char how[96];
    cb_describe_status(status, how, sizeof how);
    cb_error_set(err, "forkserver %s%s", how, when);
}

/*
 * Read the reports waiting in the status pipe into ex->inbox. Returns how
 * many, 0 if the server has closed the pipe, or -1 with err set.
 */
static int read_reports(struct cb_executor *ex, struct cb_error *err)
{
    ssize_t n;
    while ((n = read(ex->status_r, ex->inbox, sizeof ex->inbox)) < 0 &&
           errno == EINTR)
        ;
    if (n < 0) {
        cb_error_set(err, "forkserver: reading its reports: %s",
                     strerror(errno));
        return -1;
    }
    size_t part = (size_t)n % sizeof *ex->inbox;
    if (part && cb_read_full(ex->status_r, (char *)ex->inbox + n,
                             sizeof *ex->inbox - part) <= 0) {
        cb_error_set(err, "forkserver: a report cut short");
        return -1;
    }
    return (int)(((size_t)n + sizeof *ex->inbox - 1) / sizeof *ex->inbox);
}

/* Wait for the status pipe to be readable; 0 on timeout, -1 with err set. */
static int wait_status(struct cb_executor *ex, int64_t deadline,
                       struct cb_error *err)
{
    struct pollfd pfd = {.fd = ex->status_r, .events = POLLIN};
    int ready;
    while ((ready = poll(&pfd, 1, cb_poll_ms_until(deadline))) < 0 &&
           errno == EINTR)
        ;
    if (ready < 0)
        cb_error_set(err, "poll: %s", strerror(errno));
    return ready;
}

/* Take every result waiting in the results pipe. */
static int drain_results(struct cb_executor *ex, const struct cb_job *job,
                         struct cb_task_result *results, struct cb_error *err)
{
    for (;;) {
        ssize_t n = read(ex->result_r, ex->buf, sizeof ex->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if ((n < 0 && errno == EAGAIN) || n == 0)
            return 0; /* n == 0: the server died, its reports will say so */
        if (n < 0) {
            cb_error_set(err, "forkserver: reading results: %s",
                         strerror(errno));
            return -1;
        }
        if (n % (ssize_t)sizeof *ex->buf != 0) {
            cb_error_set(err, "forkserver: a result message of %zd bytes", n);
            return -1;
        }
        for (size_t k = 0; k < (size_t)n / sizeof *ex->buf; k++) {
            const struct cb_task_result *r = &ex->buf[k];
            if (r->task >= job->tasks || ex->seen[r->task]) {
                cb_error_set(err, "forkserver: result for task %u unexpected",
                             r->task);
                return -1;
            }
            ex->seen[r->task] = true;
            results[r->task] = *r;
        }
        if ((size_t)n < sizeof ex->buf)
            return 0;
    }
}

static int send_requests(struct cb_executor *ex, struct cb_error *err)
{
    size_t len = ex->n_out * sizeof *ex->outbox, put = 0;
    ex->n_out = 0;
    while (put < len) {
        ssize_t n = send(ex->request_w, (char *)ex->outbox + put, len - put,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            server_gone(ex, "", err);
            return -1;
        }
        if (n < 0) {
            cb_error_set(err, "forkserver: sending a request: %s",
                         strerror(errno));
            return -1;
        }
        put += (size_t)n;
    }
    return 0;
}

static void queue(struct cb_executor *ex, unsigned task, unsigned slot)
{
    ex->outbox[ex->n_out++] = (struct request){.task = task,
                                               .slot = (int32_t)slot};
    ex->slot_task[slot] = (int)task;
}

/* Throw away the results of a failed batch, so that none is taken later. */
static void drop_results(struct cb_executor *ex)
{
    ssize_t n;
    while ((n = read(ex->result_r, ex->buf, sizeof ex->buf)) > 0 ||
           (n < 0 && errno == EINTR))
        ;
}

/*
 * After a failure: have the server kill and reap every child of the batch,
 * and wait for its answer; a server that does not answer is killed (its
 * children die with it).
 */
static void kill_batch(struct cb_executor *ex, unsigned n_slots)
{
    bool busy = false;
    for (unsigned s = 0; s < n_slots; s++) {
        busy |= ex->slot_task[s] >= 0;
        ex->slot_task[s] = -1;
    }
    if (!busy || ex->server == 0)
        return;
    struct cb_error ignored;
    int64_t deadline = cb_now_ns() + (int64_t)KILL_TIMEOUT_MS * 1000000;
    ex->n_out = 1;
    ex->outbox[0] = (struct request){.task = KILL_ALL, .slot = -1};
    if (send_requests(ex, &ignored) < 0)
        return;
    while (wait_status(ex, deadline, &ignored) > 0) {
        int n = read_reports(ex, &ignored);
        if (n <= 0)
            break;
        for (int k = 0; k < n; k++) {
            if (ex->inbox[k].kind == REPORT_KILLED) {
                drop_results(ex);
                return;
            }
        }
    }
    int status;
    if (ex->server > 0)
        reap_server(ex, 0, &status);
}

static void forkserver_stop(struct cb_executor *ex)
{
    /* The server reads end of file, kills and reaps any child, and exits. */
    if (ex->request_w >= 0)
        close(ex->request_w);
    int status;
    if (ex->server > 0)
        reap_server(ex, STOP_TIMEOUT_MS, &status);
    if (ex->status_r >= 0)
        close(ex->status_r);
    if (ex->result_r >= 0)
        close(ex->result_r);
    free(ex->outbox);
    free(ex->seen);
    free(ex->slot_task);
    free(ex);
}

static int await_ready(struct cb_executor *ex, struct cb_error *err)
{
    int64_t deadline = cb_now_ns() + (int64_t)START_TIMEOUT_MS * 1000000;
    int ready = wait_status(ex, deadline, err);
    if (ready < 0)
        return -1;
    if (ready == 0) {
        cb_error_set(err, "forkserver did not start within %d ms",
                     START_TIMEOUT_MS);
        return -1;
    }
    int n = read_reports(ex, err);
    if (n < 0)
        return -1;
    if (n == 0) {
        server_gone(ex, " before it was ready", err);
        return -1;
    }
    if (n != 1 || ex->inbox[0].kind != REPORT_READY) {
        cb_error_set(err, "forkserver: an unexpected first report");
        return -1;
    }
    return 0;
}

static int forkserver_start(const struct cb_job *job,
                            struct cb_executor **out, struct cb_error *err)
{
    if (cb_role_check_kernel(job->kernel, err) < 0)
        return -1;
    struct cb_executor *ex = calloc(1, sizeof *ex);
    if (!ex) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    ex->request_w = ex->status_r = ex->result_r = -1;
    ex->workers = job->workers;
    ex->tasks = job->tasks;
    ex->slot_task = malloc(job->workers * sizeof *ex->slot_task);
    ex->seen = calloc(job->tasks, sizeof *ex->seen);
    ex->outbox = calloc(job->workers + 1, sizeof *ex->outbox);
    if (!ex->slot_task || !ex->seen || !ex->outbox) {
        cb_error_set(err, "out of memory");
        goto fail;
    }
    for (unsigned s = 0; s < job->workers; s++)
        ex->slot_task[s] = -1;

    int req[2], status[2], result[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) < 0) {
        cb_error_set(err, "forkserver: socketpair: %s", strerror(errno));
        goto fail;
    }
    ex->request_w = req[0];
    if (pipe2(status, O_CLOEXEC) < 0) {
        cb_error_set(err, "forkserver: pipe: %s", strerror(errno));
        close(req[1]);
        goto fail;
    }
    ex->status_r = status[0];
    if (pipe2(result, O_CLOEXEC) < 0) {
        cb_error_set(err, "forkserver: pipe: %s", strerror(errno));
        close(req[1]);
        close(status[1]);
        goto fail;
    }
    ex->result_r = result[0];
    /* Only the parent's end: the children must block, not fail, if full. */
    fcntl(ex->result_r, F_SETFL, O_NONBLOCK);

    const int fds[3] = {req[1], status[1], result[1]};
    int rc = cb_role_spawn_forkserver(job, fds, &ex->server, err);
    close(req[1]);
    close(status[1]);
    close(result[1]);
    if (rc < 0 || await_ready(ex, err) < 0)
        goto fail;
    *out = ex;
    return 0;
fail:
    forkserver_stop(ex);
    return -1;
}

/* The child of slot s ended, as r reports: check that it ran its task. */
static int child_ended(struct cb_executor *ex, const struct cb_job *job,
                       const struct report *r, struct cb_task_result *results,
                       struct cb_error *err)
{
    bool clean = WIFEXITED(r->value) && WEXITSTATUS(r->value) == 0;
    if (clean && !ex->seen[r->task] &&
        drain_results(ex, job, results, err) < 0)
        return -1;
    if (clean && ex->seen[r->task])
        return 0;
    char how[96];
    cb_describe_status(r->value, how, sizeof how);
    if (clean)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     r->task);
    else
        cb_error_set(err, "task %u: worker %s", r->task, how);
    return -1;
}

static void timed_out(const struct cb_executor *ex, const struct cb_job *job,
                      unsigned n_slots, struct cb_error *err)
{
    unsigned first = job->tasks, running = 0;
    for (unsigned s = 0; s < n_slots; s++) {
        if (ex->slot_task[s] < 0)
            continue;
        running++;
        if ((unsigned)ex->slot_task[s] < first)
            first = (unsigned)ex->slot_task[s];
    }
    cb_error_timeout(err, first, running, job->timeout_ms);
}

static int forkserver_run(struct cb_executor *ex, const struct cb_job *job,
                          struct cb_task_result *results,
                          struct cb_error *err)
{
    if (ex->server == 0) {
        cb_error_set(err, "forkserver: not running since a failure");
        return -1;
    }
    if (job->workers > ex->workers || job->tasks > ex->tasks) {
        cb_error_set(err, "forkserver: started for %u tasks, %u workers",
                     ex->tasks, ex->workers);
        return -1;
    }
    unsigned n_slots = job->workers < job->tasks ? job->workers : job->tasks;
    int64_t deadline = cb_now_ns() + (int64_t)job->timeout_ms * 1000000;
    memset(ex->seen, 0, job->tasks * sizeof *ex->seen);

    unsigned next = 0, done = 0;
    for (; next < n_slots; next++)
        queue(ex, next, next);
    if (send_requests(ex, err) < 0)
        goto fail;
    struct pollfd pfd[2] = {{.fd = ex->status_r, .events = POLLIN},
                            {.fd = ex->result_r, .events = POLLIN}};
    while (done < job->tasks) {
        int ready = poll(pfd, 2, cb_poll_ms_until(deadline));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0) {
            cb_error_set(err, "poll: %s", strerror(errno));
            goto fail;
        }
        if (ready == 0) {
            timed_out(ex, job, n_slots, err);
            goto fail;
        }
        if (pfd[1].revents && drain_results(ex, job, results, err) < 0)
            goto fail;
        if (!pfd[0].revents)
            continue;
        int n = read_reports(ex, err);
        if (n < 0)
            goto fail;
        if (n == 0) {
            server_gone(ex, "", err);
            goto fail;
        }
        for (int k = 0; k < n; k++) {
            const struct report *r = &ex->inbox[k];
            bool known = r->slot >= 0 && (unsigned)r->slot < n_slots &&
                         ex->slot_task[r->slot] == (int)r->task;
            if (known && r->kind == REPORT_FORK_FAILED) {
                ex->slot_task[r->slot] = -1;
                cb_error_set(err, "task %u: fork: %s", r->task,
                             strerror(r->value));
                goto fail;
            }
            if (!known || r->kind != REPORT_EXITED) {
                cb_error_set(err, "forkserver: an unexpected report");
                goto fail;
            }
            ex->slot_task[r->slot] = -1;
            done++;
            atomic_fetch_add(&ended, 1);
            if (child_ended(ex, job, r, results, err) < 0)
                goto fail;
            if (next < job->tasks)
                queue(ex, next++, (unsigned)r->slot);
        }
        if (ex->n_out > 0 && send_requests(ex, err) < 0)
            goto fail;
    }
    return 0;
fail:
    kill_batch(ex, n_slots);
    return -1;
}

const struct cb_mode cb_mode_forkserver = {
    .name = "forkserver",
    .summary = "a server spawned beforehand from a clean state forks a child "
               "per task on request, at most W alive",
    .pool = true,
    .fresh_image = true,
    .start = forkserver_start,
    .run = forkserver_run,
    .stop = forkserver_stop,
};
