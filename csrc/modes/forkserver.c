/*
 * forkserver: a small server process, started before the timed region from
 * a clean state, forks one child per task on request; what Python's
 * multiprocessing does with the forkserver start method. The server is
 * concbench's own executable started with posix_spawn in its server role
 * (roles/forkserver_server.c), as Python starts its forkserver as a fresh
 * interpreter. The cost measured per task is a request, a fork of that
 * small process, exit, wait and the reports; the server's start-up is the
 * pool_start_s counter.
 *
 * This is the parent's side. A batch runs through the framework's per-task
 * runner (launcher.h): launching a task queues a request, waiting sends the
 * queued requests and reads the server's reports and the children's
 * results, and a slot is ready once the server reports its child ended;
 * then its result must be there (the child wrote it before it exited).
 */
#include "child.h"
#include "fresh.h"
#include "launcher.h"
#include "roles/forkserver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    START_TIMEOUT_MS = 10000,
    KILL_TIMEOUT_MS = 5000,
    INBOX = 64, /* reports or results read at a time */
};

static const struct cb_role server_role = {
    .flag = "--cb-forkserver",
    .n_fds = CB_ROLE_MAX_FDS, /* with a payload, the area or a pipe a slot */
    .main = cb_forkserver_serve,
};

static atomic_ulong ended;

unsigned long cb_forkserver_processes(void)
{
    return atomic_load(&ended);
}

struct forkserver {
    struct cb_child server; /* pid 0 once reaped */
    int request_w;          /* socket to the server */
    int status_r;           /* the server's reports */
    int result_r;           /* the children's results, non-blocking */
    struct cb_task_result *results; /* of the batch running */
    bool *seen;                     /* results received in this batch */
    int status[CB_MAX_WORKERS];     /* each ready slot's child's wait status */
    struct cb_forkserver_request outbox[CB_MAX_WORKERS + 1];
    unsigned n_out;
    struct cb_forkserver_report inbox[INBOX];
    struct cb_task_result buf[INBOX];
    /* With a payload through pipes: each slot's output pipe, non-blocking. */
    bool pipes;
    const struct cb_job *job;
    unsigned n_slots;
    int out_r[CB_MAX_WORKERS];
    uint64_t got[CB_MAX_WORKERS]; /* bytes of output and result read */
    struct cb_task_result pending[CB_MAX_WORKERS];
};

/* The server closed its end of a channel: it died. Reap it and say how. */
static void server_gone(struct forkserver *fs, const char *when,
                        struct cb_error *err)
{
    int status = cb_child_end(&fs->server, cb_now_ns() +
                                               CB_STOP_TIMEOUT_MS * 1000000LL);
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    cb_error_set(err, "forkserver %s%s", how, when);
}

/*
 * Read the reports waiting in the status pipe into fs->inbox. Returns how
 * many, 0 if the server has closed the pipe, or -1 with err set.
 */
static int read_reports(struct forkserver *fs, struct cb_error *err)
{
    ssize_t n = cb_read_records(fs->status_r, fs->inbox, sizeof fs->inbox[0],
                                INBOX);
    if (n < 0)
        cb_error_set(err, "forkserver: reading its reports: %s",
                     strerror(errno));
    return (int)n;
}

/* Take every result waiting in the results pipe. */
static int drain_results(struct forkserver *fs, const struct cb_job *job,
                         struct cb_error *err)
{
    for (;;) {
        ssize_t n = cb_read_records(fs->result_r, fs->buf, sizeof fs->buf[0],
                                    INBOX);
        if ((n < 0 && errno == EAGAIN) || n == 0)
            return 0; /* n == 0: the server died, its reports will say so */
        if (n < 0) {
            cb_error_set(err, "forkserver: reading results: %s",
                         strerror(errno));
            return -1;
        }
        for (ssize_t k = 0; k < n; k++) {
            const struct cb_task_result *r = &fs->buf[k];
            if (r->task >= job->tasks || fs->seen[r->task]) {
                cb_error_set(err, "forkserver: result for task %u unexpected",
                             r->task);
                return -1;
            }
            fs->seen[r->task] = true;
            fs->results[r->task] = *r;
        }
        if (n < INBOX)
            return 0;
    }
}

/* Send len bytes to the server, whole (blocking: the server reads them). */
static int send_all(struct forkserver *fs, const void *buf, size_t len,
                    struct cb_error *err)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = send(fs->request_w, (const char *)buf + put, len - put,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            server_gone(fs, "", err);
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

/* Send the queued requests; with a payload through pipes, each's input. */
static int send_requests(struct forkserver *fs, struct cb_error *err)
{
    unsigned n = fs->n_out;
    fs->n_out = 0;
    if (!fs->pipes)
        return send_all(fs, fs->outbox, n * sizeof fs->outbox[0], err);
    for (unsigned k = 0; k < n; k++) {
        const struct cb_forkserver_request *r = &fs->outbox[k];
        if (send_all(fs, r, sizeof *r, err) < 0)
            return -1;
        if (r->task != CB_FORKSERVER_KILL_ALL &&
            send_all(fs, cb_payload_input(fs->job->data, r->task),
                     fs->job->params.payload, err) < 0)
            return -1;
    }
    return 0;
}

/*
 * A slot's output pipe has news: read what is there of the output of the
 * task it runs and then of its result, without waiting for the rest (a
 * child that hangs half-way must not hold the parent past its deadline).
 * Returns 1 once both are in, 0 if more is to come, or -1 with err set.
 */
static int read_output(struct forkserver *fs, unsigned slot, unsigned task,
                       struct cb_error *err)
{
    uint64_t bytes = fs->job->params.payload;
    unsigned char *out = cb_payload_output(fs->job->data, task);
    const size_t whole = bytes + sizeof fs->pending[slot];
    while (fs->got[slot] < whole) {
        uint64_t at = fs->got[slot];
        void *to = at < bytes ? (void *)(out + at)
                              : (char *)&fs->pending[slot] + (at - bytes);
        size_t len = at < bytes ? bytes - at : whole - at;
        ssize_t n = read(fs->out_r[slot], to, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0) {
            cb_error_set(err, "forkserver: reading task %u's output: %s",
                         task, strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0; /* the server died: its reports will say how */
        fs->got[slot] += (uint64_t)n;
    }
    fs->got[slot] = 0;
    const struct cb_task_result *r = &fs->pending[slot];
    if (r->task != task || fs->seen[task]) {
        cb_error_set(err, "forkserver: result for task %u unexpected",
                     r->task);
        return -1;
    }
    fs->seen[task] = true;
    fs->results[task] = *r;
    return 1;
}

/* Throw away the results of a failed batch, so that none is taken later. */
static void drop_results(struct forkserver *fs)
{
    while (cb_read_records(fs->result_r, fs->buf, sizeof fs->buf[0],
                           INBOX) > 0)
        ;
    for (unsigned s = 0; fs->pipes && s < fs->n_slots; s++) {
        while (read(fs->out_r[s], fs->buf, sizeof fs->buf) > 0)
            ;
        fs->got[s] = 0;
    }
}

/* ---- The batch, through the launcher ---- */

struct batch {
    struct forkserver *fs;
    const struct cb_job *job;
    unsigned slot_task[CB_MAX_WORKERS]; /* the task each busy slot runs */
};

static int launch(void *ctx, unsigned slot, unsigned task,
                  struct cb_error *err)
{
    (void)err;
    struct batch *b = ctx;
    struct forkserver *fs = b->fs;
    fs->outbox[fs->n_out++] = (struct cb_forkserver_request){
        .task = task, .slot = (int32_t)slot};
    b->slot_task[slot] = task;
    fs->got[slot] = 0;
    return 0;
}

/* Send what is queued; read results and reports until a child has ended. */
static int wait_ended(void *ctx, unsigned n, const bool *busy,
                      int64_t deadline_ns, bool *ready, struct cb_error *err)
{
    struct batch *b = ctx;
    struct forkserver *fs = b->fs;
    if (fs->n_out > 0 && send_requests(fs, err) < 0)
        return -1;
    /*
     * Only the fds there are: poll refuses more entries than the open-file
     * limit, unused ones (-1) included.
     */
    struct pollfd pfd[2 + CB_MAX_WORKERS] = {
        {.fd = fs->status_r, .events = POLLIN},
        {.fd = fs->result_r, .events = POLLIN}};
    unsigned slot_of[CB_MAX_WORKERS], np = 2;
    for (unsigned s = 0; fs->pipes && s < n; s++) {
        if (busy[s]) {
            slot_of[np - 2] = s;
            pfd[np++] = (struct pollfd){.fd = fs->out_r[s], .events = POLLIN};
        }
    }
    for (;;) {
        int rc = cb_poll_until(pfd, np, deadline_ns, err);
        if (rc <= 0)
            return rc;
        if (pfd[1].revents && drain_results(fs, b->job, err) < 0)
            return -1;
        for (unsigned k = 2; k < np; k++) {
            if (!pfd[k].revents)
                continue;
            unsigned s = slot_of[k - 2];
            int in = read_output(fs, s, b->slot_task[s], err);
            if (in < 0)
                return -1;
            if (in > 0 || pfd[k].revents & POLLHUP)
                pfd[k].fd = -1; /* its result is in; its exit next */
        }
        if (!pfd[0].revents)
            continue;
        int got = read_reports(fs, err);
        if (got < 0)
            return -1;
        if (got == 0) {
            server_gone(fs, "", err);
            return -1;
        }
        int n_ready = 0;
        for (int k = 0; k < got; k++) {
            const struct cb_forkserver_report *r = &fs->inbox[k];
            bool known = r->slot >= 0 && (unsigned)r->slot < n &&
                         busy[r->slot];
            if (known && r->kind == CB_REPORT_FORK_FAILED) {
                cb_error_set(err, "task %u: fork: %s", r->task,
                             strerror(r->value));
                return -1;
            }
            if (!known || r->kind != CB_REPORT_EXITED) {
                cb_error_set(err, "forkserver: an unexpected report");
                return -1;
            }
            atomic_fetch_add(&ended, 1);
            fs->status[r->slot] = r->value;
            ready[r->slot] = true;
            n_ready++;
        }
        return n_ready;
    }
}

/* The child of slot ended: check that it ran its task. */
static int collect(void *ctx, unsigned slot, unsigned task,
                   struct cb_error *err)
{
    struct batch *b = ctx;
    struct forkserver *fs = b->fs;
    int status = fs->status[slot];
    /* Its result came before the report, unless it is still in the pipe. */
    if (cb_exited_cleanly(status) && !fs->seen[task] &&
        (fs->pipes ? read_output(fs, slot, task, err)
                   : drain_results(fs, b->job, err)) < 0)
        return -1;
    return cb_task_outcome(task, status, fs->seen[task], err);
}

/*
 * After a failure: have the server kill and reap every child of the batch,
 * and wait for its answer; a server that does not answer is killed (its
 * children die with it).
 */
static bool kill_batch(void *ctx, unsigned n, const bool *busy,
                       struct cb_error *err)
{
    (void)err;
    struct forkserver *fs = ((struct batch *)ctx)->fs;
    bool any = false;
    for (unsigned s = 0; s < n; s++)
        any |= busy[s];
    fs->n_out = 0;
    if (!any || fs->server.pid == 0)
        return true;
    struct cb_error ignored;
    int64_t deadline = cb_now_ns() + KILL_TIMEOUT_MS * 1000000LL;
    fs->outbox[fs->n_out++] = (struct cb_forkserver_request){
        .task = CB_FORKSERVER_KILL_ALL, .slot = -1};
    if (send_requests(fs, &ignored) < 0)
        return true;
    struct pollfd pfd = {.fd = fs->status_r, .events = POLLIN};
    while (cb_poll_until(&pfd, 1, deadline, &ignored) > 0) {
        int got = read_reports(fs, &ignored);
        if (got <= 0)
            break;
        for (int k = 0; k < got; k++) {
            if (fs->inbox[k].kind == CB_REPORT_KILLED) {
                drop_results(fs);
                return true;
            }
        }
    }
    if (fs->server.pid > 0)
        cb_child_end(&fs->server, 0);
    return true;
}

static int forkserver_run(struct cb_executor *ex,
                          struct cb_task_result *results,
                          struct cb_error *err)
{
    struct forkserver *fs = ex->state;
    if (fs->server.pid == 0) {
        cb_error_set(err, "forkserver: not running since a failure");
        return -1;
    }
    memset(fs->seen, 0, ex->job.tasks * sizeof fs->seen[0]);
    fs->results = results;
    struct batch b = {.fs = fs, .job = &ex->job};
    const struct cb_launcher l = {
        .ctx = &b,
        .results = results,
        .launch = launch,
        .wait = wait_ended,
        .collect = collect,
        .abort = kill_batch,
    };
    return cb_launch_tasks(&ex->job, &l, NULL, err);
}

/* ---- Start and stop ---- */

static bool forkserver_stop(struct cb_executor *ex)
{
    struct forkserver *fs = ex->state;
    /* The server reads end of file, kills and reaps any child, and exits. */
    if (fs->request_w >= 0)
        close(fs->request_w);
    if (fs->server.pid > 0)
        cb_child_end(&fs->server, cb_now_ns() + CB_STOP_TIMEOUT_MS * 1000000LL);
    if (fs->status_r >= 0)
        close(fs->status_r);
    if (fs->result_r >= 0)
        close(fs->result_r);
    for (unsigned s = 0; s < CB_MAX_WORKERS; s++)
        if (fs->out_r[s] >= 0)
            close(fs->out_r[s]);
    free(fs->seen);
    return true;
}

static int await_ready(struct forkserver *fs, struct cb_error *err)
{
    int64_t deadline = cb_now_ns() + START_TIMEOUT_MS * 1000000LL;
    struct pollfd pfd = {.fd = fs->status_r, .events = POLLIN};
    int ready = cb_poll_until(&pfd, 1, deadline, err);
    if (ready < 0)
        return -1;
    if (ready == 0) {
        cb_error_set(err, "forkserver did not start within %d ms",
                     START_TIMEOUT_MS);
        return -1;
    }
    int n = read_reports(fs, err);
    if (n < 0)
        return -1;
    if (n == 0) {
        server_gone(fs, " before it was ready", err);
        return -1;
    }
    if (n != 1 || fs->inbox[0].kind != CB_REPORT_READY) {
        cb_error_set(err, "forkserver: an unexpected first report");
        return -1;
    }
    return 0;
}

static int forkserver_start(struct cb_executor *ex, struct cb_error *err)
{
    struct forkserver *fs = ex->state;
    fs->server.fd = fs->request_w = fs->status_r = fs->result_r = -1;
    fs->job = &ex->job;
    fs->n_slots = cb_job_slots(&ex->job);
    for (unsigned s = 0; s < CB_MAX_WORKERS; s++)
        fs->out_r[s] = -1;
    fs->pipes = ex->job.data && cb_executor_option(ex, &cb_option_transport) ==
                                    CB_TRANSPORT_PIPE;
    if (cb_role_check_kernel(ex, err) < 0)
        return -1;
    fs->seen = calloc(ex->job.tasks, sizeof *fs->seen);
    if (!fs->seen) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    int req[2], status[2], result[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) < 0) {
        cb_error_set(err, "forkserver: socketpair: %s", strerror(errno));
        return -1;
    }
    fs->request_w = req[0];
    if (pipe2(status, O_CLOEXEC) < 0) {
        cb_error_set(err, "forkserver: pipe: %s", strerror(errno));
        close(req[1]);
        return -1;
    }
    fs->status_r = status[0];
    if (pipe2(result, O_CLOEXEC) < 0) {
        cb_error_set(err, "forkserver: pipe: %s", strerror(errno));
        close(req[1]);
        close(status[1]);
        return -1;
    }
    fs->result_r = result[0];
    /* Only the parent's end: the children must block, not fail, if full. */
    fcntl(fs->result_r, F_SETFL, O_NONBLOCK);

    int fds[CB_ROLE_MAX_FDS] = {req[1], status[1], result[1]};
    unsigned nfds = CB_FORKSERVER_FDS;
    int out_w[CB_MAX_WORKERS];
    if (fs->pipes) {
        /* A pipe a slot: the server's children write their outputs there. */
        for (unsigned s = 0; s < fs->n_slots; s++) {
            int p[2];
            if (pipe2(p, O_CLOEXEC) < 0) {
                cb_error_set(err, "forkserver: pipe: %s", strerror(errno));
                for (unsigned k = 0; k < s; k++)
                    close(out_w[k]);
                close(req[1]);
                close(status[1]);
                close(result[1]);
                return -1;
            }
            fcntl(p[0], F_SETFL, O_NONBLOCK);
            fs->out_r[s] = p[0];
            out_w[s] = fds[nfds++] = p[1];
        }
    } else if (ex->job.data) {
        fds[nfds++] = ex->job.data->fd; /* the server maps the area */
    }
    const char *call;
    int rc = cb_role_spawn(ex, NULL, fds, nfds, &fs->server.pid, &call);
    close(req[1]);
    close(status[1]);
    close(result[1]);
    for (unsigned s = 0; fs->pipes && s < fs->n_slots; s++)
        close(out_w[s]);
    if (rc) {
        fs->server.pid = 0;
        cb_error_set(err, "forkserver: %s: %s", call, strerror(rc));
        return -1;
    }
    return await_ready(fs, err);
}

const struct cb_mode cb_mode_forkserver = {
    .name = "forkserver",
    .summary = "a server spawned beforehand from a clean state forks a child "
               "per task on request, at most W alive",
    .per_task = true,
    .pool = true,
    .role = &server_role,
    .options = (const struct cb_option *const[]){&cb_option_transport,
                                                 &cb_option_pool, NULL},
    .state_size = sizeof(struct forkserver),
    .start = forkserver_start,
    .run = forkserver_run,
    .stop = forkserver_stop,
};
