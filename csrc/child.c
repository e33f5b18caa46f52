/* Child processes: start, watch, reap, describe, kill; their records. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void cb_child_init(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before prctl: then nobody waits for us. */
    if (getppid() != parent)
        _exit(CB_EXIT_ORPHAN);
}

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

int cb_child_fork(struct cb_child *c, bool exit_fd, const char **call)
{
    const char *unused;
    if (!call)
        call = &unused;
    bool pidfds = exit_fd && have_pidfds();
    int hup[2] = {-1, -1};
    if (exit_fd && !pidfds && pipe2(hup, O_CLOEXEC) < 0) {
        *call = "pipe";
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (hup[0] >= 0) {
            close(hup[0]);
            close(hup[1]);
        }
        errno = e;
        *call = "fork";
        return -1;
    }
    if (pid == 0) {
        cb_child_init(parent);
        return 0;
    }
    *c = (struct cb_child){.pid = pid, .fd = hup[0]};
    if (pidfds) {
        c->fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (c->fd < 0) {
            int e = errno;
            cb_children_kill(c, 1);
            errno = e;
            *call = "pidfd_open";
            return -1;
        }
    } else if (hup[1] >= 0) {
        close(hup[1]);
    }
    return 1;
}

int cb_child_reap(struct cb_child *c)
{
    int status = 0;
    if (c->pid <= 0) /* waitpid(0) would take any child of the group */
        return status;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (c->fd >= 0)
        close(c->fd);
    *c = (struct cb_child){.pid = 0, .fd = -1};
    return status;
}

int cb_child_end(struct cb_child *c, int64_t deadline_ns)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid || (r < 0 && errno != EINTR))
            break;
        if (cb_now_ns() >= deadline_ns) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        usleep(1000);
    }
    if (c->fd >= 0)
        close(c->fd);
    *c = (struct cb_child){.pid = 0, .fd = -1};
    return status;
}

void cb_children_kill(struct cb_child *kids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (kids[i].pid > 0) {
            kill(kids[i].pid, SIGKILL);
            cb_child_reap(&kids[i]);
        }
    }
}

void cb_describe_exit(int status, char *buf, size_t len)
{
    static const char *const causes[] = {
        [CB_EXIT_SETUP - CB_EXIT_SETUP] = "it could not set itself up",
        [CB_EXIT_PROTOCOL - CB_EXIT_SETUP] = "its parent broke the protocol "
                                             "or went away",
        [CB_EXIT_SEND - CB_EXIT_SETUP] = "it could not send its result",
        [CB_EXIT_ORPHAN - CB_EXIT_SETUP] = "its parent died before it "
                                           "started",
    };
    if (WIFSIGNALED(status)) {
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code >= CB_EXIT_SETUP && code <= CB_EXIT_ORPHAN)
            snprintf(buf, len, "exited with status %d (%s)", code,
                     causes[code - CB_EXIT_SETUP]);
        else
            snprintf(buf, len, "exited with status %d", code);
    } else {
        snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
    }
}

bool cb_exited_cleanly(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int cb_task_outcome(unsigned task, int status, bool sent,
                    struct cb_error *err)
{
    bool clean = cb_exited_cleanly(status);
    if (clean && sent)
        return 0;
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    if (clean)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     task);
    else
        cb_error_set(err, "task %u: worker %s", task, how);
    return -1;
}

int cb_children_alloc(struct cb_children *set, unsigned n)
{
    set->kids = calloc(n ? n : 1, sizeof *set->kids);
    set->pfds = calloc(n ? n : 1, sizeof *set->pfds);
    if (!set->kids || !set->pfds) {
        cb_children_free(set);
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        set->kids[i].fd = -1;
    return 0;
}

void cb_children_free(struct cb_children *set)
{
    free(set->kids);
    free(set->pfds);
    set->kids = NULL;
    set->pfds = NULL;
}

int cb_children_wait(void *ctx, unsigned n, const bool *busy,
                     int64_t deadline_ns, bool *ready, struct cb_error *err)
{
    struct cb_children *set = ctx;
    for (unsigned s = 0; s < n; s++)
        set->pfds[s] = (struct pollfd){
            .fd = busy[s] ? set->kids[s].fd : -1, .events = POLLIN};
    int rc = cb_poll_until(set->pfds, n, deadline_ns, err);
    for (unsigned s = 0; rc > 0 && s < n; s++)
        ready[s] = set->pfds[s].revents != 0;
    return rc;
}

bool cb_children_abort(void *ctx, unsigned n, const bool *busy,
                       struct cb_error *err)
{
    (void)busy;
    (void)err;
    struct cb_children *set = ctx;
    cb_children_kill(set->kids, n);
    return true;
}

ssize_t cb_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && got > 0) {
            /* A non-blocking fd inside a record: wait for the rest. */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return -1;
            continue;
        }
        if (n < 0)
            return -1;
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int cb_write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

ssize_t cb_read_records(int fd, void *buf, size_t size, size_t max)
{
    ssize_t n;
    while ((n = read(fd, buf, size * max)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n;
    size_t part = (size_t)n % size;
    if (part) {
        ssize_t rest = cb_read_full(fd, (char *)buf + n, size - part);
        if (rest <= 0) {
            if (rest == 0)
                errno = EPROTO;
            return -1;
        }
        n += rest;
    }
    return n / (ssize_t)size;
}

int cb_poll_ms_until(int64_t deadline_ns)
{
    int64_t left = deadline_ns - cb_now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 3600000 ? 3600000 : (int)ms;
}

int cb_poll_until(struct pollfd *pfds, unsigned n, int64_t deadline_ns,
                  struct cb_error *err)
{
    for (;;) {
        int ready = poll(pfds, n, cb_poll_ms_until(deadline_ns));
        if (ready >= 0)
            return ready;
        if (errno != EINTR) {
            cb_error_set(err, "poll: %s", strerror(errno));
            return -1;
        }
    }
}
