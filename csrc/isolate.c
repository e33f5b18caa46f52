/* One measurement in a child of its own (isolate.h). */
#include "isolate.h"

#include "child.h"
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child: measure, answer (length, then bytes), leave. */
static void child(cb_isolated_fn fn, void *arg, int fd)
{
    if (cb_guard_measuring() < 0)
        _exit(CB_EXIT_SETUP);
    char *answer = NULL;
    size_t len = 0;
    fn(arg, &answer, &len);
    uint64_t n = answer ? len : 0;
    int rc = cb_write_full(fd, &n, sizeof n);
    if (rc == 0 && n)
        rc = cb_write_full(fd, answer, len);
    _exit(rc == 0 ? 0 : CB_EXIT_SEND);
}

/*
 * Read what is in fd now (non-blocking) onto buf, growing it. Returns 1 at
 * end of file, 0 when nothing more is there now, -1 on an error.
 */
static int drain(int fd, char **buf, size_t *len, size_t *cap)
{
    for (;;) {
        if (*len + 4096 + 1 > *cap) {
            size_t cap2 = *cap ? *cap * 2 : 65536;
            char *b = realloc(*buf, cap2);
            if (!b)
                return -1;
            *buf = b, *cap = cap2;
        }
        ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
        if (n > 0)
            *len += (size_t)n;
        else if (n == 0)
            return 1;
        else if (errno == EAGAIN)
            return 0;
        else if (errno != EINTR)
            return -1;
    }
}

/* Whether buf holds a whole answer: its length, then that many bytes. */
static bool whole(const char *buf, size_t len)
{
    uint64_t n;
    if (len < sizeof n)
        return false;
    memcpy(&n, buf, sizeof n);
    return len - sizeof n >= n;
}

int cb_isolated(cb_isolated_fn fn, void *arg, char **answer, size_t *len,
                struct cb_error *err)
{
    *answer = NULL;
    *len = 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    struct cb_child c;
    const char *call = "fork";
    int rc = cb_child_fork(&c, true, &call);
    if (rc < 0) {
        cb_error_set(err, "%s: %s", call, strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (rc == 0) {
        close(p[0]);
        child(fn, arg, p[1]);
    }
    close(p[1]);
    /* It stops what it keeps on SIGTERM: so it is ended if this one is. */
    cb_child_own(c.pid, CB_OWN_KEEPER);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    char *buf = NULL;
    size_t got = 0, cap = 0;
    bool eof = false, ended = false, broken = false;
    /* Until the answer is whole or the child has ended: then what it sent. */
    while (!eof && !ended && !whole(buf, got)) {
        struct pollfd pfds[2] = {{.fd = p[0], .events = POLLIN},
                                 {.fd = c.fd, .events = POLLIN}};
        if (poll(pfds, c.fd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            broken = true;
            break;
        }
        int d = drain(p[0], &buf, &got, &cap);
        if (d < 0) {
            broken = true;
            break;
        }
        eof = d == 1;
        ended = pfds[1].revents != 0;
    }
    if (ended && !broken && drain(p[0], &buf, &got, &cap) < 0)
        broken = true;
    close(p[0]);
    int status = cb_child_reap(&c);
    /* What its processes left, had it no time to end them, ends here. */
    cb_children_sweep(CB_SWEEP_ALWAYS);
    if (!broken && whole(buf, got) && cb_exited_cleanly(status)) {
        uint64_t n;
        memcpy(&n, buf, sizeof n);
        memmove(buf, buf + sizeof n, n);
        buf[n] = '\0';
        *answer = buf;
        *len = n;
        return 0;
    }
    free(buf);
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    if (broken)
        cb_error_set(err, "reading its answer: %s", strerror(errno));
    else if (cb_exited_cleanly(status))
        cb_error_set(err, "it exited with status 0 before it answered");
    else
        cb_error_set(err, "it %s%s", WIFSIGNALED(status) ? "was " : "", how);
    return -1;
}
