/*
 * The forkserver's server: a fresh image of concbench in the forkserver
 * role, started by the forkserver mode before its timed region. It sets up
 * the kernels and nothing else, then forks one child per request, reaps
 * each and reports its wait status; so the children are forks of this small
 * process, not of the benchmark driver with its heap and threads. The
 * protocol is in forkserver.h. The server and every child die with their
 * parent (PR_SET_PDEATHSIG), and the server reaps its children before it
 * exits.
 */
#include "forkserver.h"

#include "child.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

enum { INBOX = 64 }; /* requests read at a time */

/* The children by slot; pid 0 when the slot is free. */
static struct cb_child kids[CB_MAX_WORKERS];
static uint32_t kid_task[CB_MAX_WORKERS];
static unsigned n_slots;
/* With a payload through pipes: the input read for the next child. */
static bool pipes;
static unsigned char *input;

__attribute__((noreturn)) static void server_exit(int status)
{
    cb_children_kill(kids, n_slots);
    _exit(status);
}

static void send_report(enum cb_forkserver_report_kind kind, int slot,
                        uint32_t task, pid_t pid, int value)
{
    struct cb_forkserver_report r = {.kind = kind, .slot = slot,
                                     .task = task, .pid = (int32_t)pid,
                                     .value = value};
    if (cb_write_full(CB_FORKSERVER_STATUS_FD, &r, sizeof r) < 0)
        server_exit(CB_EXIT_PROTOCOL); /* the parent has gone */
}

__attribute__((noreturn)) static void
run_child(const struct cb_job *job, uint32_t task, int slot, int sigfd,
          const sigset_t *mask)
{
    close(CB_FORKSERVER_REQUEST_FD);
    close(CB_FORKSERVER_STATUS_FD);
    close(sigfd);
    sigprocmask(SIG_SETMASK, mask, NULL);
    const struct cb_worker w = {.slot = slot};
    struct cb_task_result r;
    if (!pipes) {
        cb_task_run(job, task, &w, NULL, &r);
        _exit(cb_write_full(CB_FORKSERVER_RESULT_FD, &r, sizeof r) < 0
                  ? CB_EXIT_SEND
                  : 0);
    }
    /* Its input came with the request; its output goes to its slot. */
    uint64_t bytes = job->params.payload;
    unsigned char *out = malloc(bytes);
    if (!out)
        _exit(CB_EXIT_SETUP);
    const struct cb_task_io io = {input, out};
    cb_task_run(job, task, &w, &io, &r);
    int fd = CB_FORKSERVER_DATA_FD + slot;
    int64_t t0 = cb_now_ns();
    if (cb_write_full(fd, out, bytes) < 0)
        _exit(CB_EXIT_SEND);
    r.bytes_in = r.bytes_out = bytes;
    r.move_ns = cb_now_ns() - t0;
    _exit(cb_write_full(fd, &r, sizeof r) < 0 ? CB_EXIT_SEND : 0);
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
        for (unsigned i = 0; i < n_slots; i++) {
            if (kids[i].pid == pid) {
                kids[i].pid = 0;
                send_report(CB_REPORT_EXITED, (int)i, kid_task[i], pid,
                            status);
                break;
            }
        }
    }
}

static void serve(const struct cb_job *job,
                  const struct cb_forkserver_request *req, int sigfd,
                  const sigset_t *mask)
{
    if (req->task == CB_FORKSERVER_KILL_ALL) {
        cb_children_kill(kids, n_slots);
        send_report(CB_REPORT_KILLED, -1, 0, 0, 0);
        return;
    }
    if (req->slot < 0 || (unsigned)req->slot >= n_slots ||
        kids[req->slot].pid != 0 || req->task >= job->tasks)
        server_exit(CB_EXIT_PROTOCOL); /* the parent broke the protocol */
    /* Its input follows the request, and the child inherits it. */
    if (pipes && cb_read_full(CB_FORKSERVER_REQUEST_FD, input,
                              job->params.payload) !=
                     (ssize_t)job->params.payload)
        server_exit(CB_EXIT_PROTOCOL);
    struct cb_child c;
    int rc = cb_child_fork(&c, false, NULL);
    if (rc < 0) {
        send_report(CB_REPORT_FORK_FAILED, req->slot, req->task, 0, errno);
        return;
    }
    if (rc == 0)
        run_child(job, req->task, req->slot, sigfd, mask);
    kids[req->slot] = c;
    kid_task[req->slot] = req->task;
}

void cb_forkserver_serve(const struct cb_role_call *call)
{
    cb_child_init(call->parent);
    struct cb_job job_here = call->ex.job;
    const struct cb_job *job = &job_here;
    n_slots = cb_job_slots(job);
    struct cb_payload area = {.fd = -1};
    if (job->params.payload) {
        pipes = call->ex.opt[0] == CB_TRANSPORT_PIPE;
        if (pipes)
            input = malloc(job->params.payload);
        else if (cb_payload_map(&area, CB_FORKSERVER_DATA_FD, job->tasks,
                                job->params.payload) == 0)
            job_here.data = &area; /* the children share it */
        if (pipes ? !input : !job_here.data)
            _exit(CB_EXIT_SETUP);
    }
    for (unsigned i = 0; i < n_slots; i++)
        kids[i].fd = -1;
    /* Child exits come as a readable fd, beside the requests, to one poll. */
    sigset_t chld, mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &mask);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0 || cb_kernels_init() < 0)
        _exit(CB_EXIT_SETUP);
    send_report(CB_REPORT_READY, -1, 0, getpid(), 0);

    struct pollfd pfd[2] = {{.fd = CB_FORKSERVER_REQUEST_FD, .events = POLLIN},
                            {.fd = sigfd, .events = POLLIN}};
    struct cb_forkserver_request req[INBOX];
    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            server_exit(CB_EXIT_PROTOCOL);
        }
        if (pfd[1].revents)
            reap_children(sigfd);
        if (!pfd[0].revents)
            continue;
        /* With inputs between them, the requests one at a time. */
        ssize_t n = cb_read_records(CB_FORKSERVER_REQUEST_FD, req,
                                    sizeof req[0], pipes ? 1 : INBOX);
        if (n == 0)
            server_exit(0); /* the parent is stopping the server */
        if (n < 0)
            server_exit(CB_EXIT_PROTOCOL);
        for (ssize_t k = 0; k < n; k++)
            serve(job, &req[k], sigfd, &mask);
    }
}
