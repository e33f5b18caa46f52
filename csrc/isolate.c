/* Every measurement in a process of its own, forked by a forker (isolate.h). */
#include "isolate.h"

#include "child.h"
#include "guard.h"
#include "steady.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct cb_forker {
    cb_isolated_fn fn;
    struct cb_child proc; /* the forker; pid 0 when it is gone */
    int req_w;            /* requests: a uint32_t each (a socket: see ask) */
    int rep_r;            /* replies: uint32_t kind, uint64_t length, bytes */
};

enum { REPLY_ANSWER = 0, REPLY_ERROR = 1 };

/* A measuring process: measure, answer (length, then bytes), leave. */
static void measuring(cb_isolated_fn fn, uint32_t what, int fd)
{
    if (cb_guard_measuring() < 0)
        _exit(CB_EXIT_SETUP);
    char *answer = NULL;
    size_t len = 0;
    fn(what, &answer, &len);
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

/* In the forker: one measurement in a process of its own (isolate.h). */
static int measure_once(cb_isolated_fn fn, uint32_t what, char **answer,
                        size_t *len, struct cb_error *err)
{
    *answer = NULL;
    *len = 0;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        return -1;
    }
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
        measuring(fn, what, p[1]);
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
    int saved = errno;
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
        cb_error_set(err, "reading its answer: %s", strerror(saved));
    else if (cb_exited_cleanly(status))
        cb_error_set(err, "it exited with status 0 before it answered");
    else
        cb_error_set(err, "it %s%s", WIFSIGNALED(status) ? "was " : "", how);
    return -1;
}

/* The forker: a measurement for each request, its reply, until EOF. */
static void forker_main(cb_isolated_fn fn, int req_r, int rep_w)
{
    if (cb_guard_measuring() < 0)
        _exit(CB_EXIT_SETUP);
#ifdef __GLIBC__
    /* What the driver's set-up freed need not be copied into every fork. */
    malloc_trim(0);
#endif
    for (;;) {
        uint32_t what;
        if (cb_read_full(req_r, &what, sizeof what) != (ssize_t)sizeof what)
            _exit(0); /* the driver is done, or gone */
        char *answer = NULL;
        size_t len = 0;
        struct cb_error err = {{0}};
        uint32_t kind = measure_once(fn, what, &answer, &len, &err) == 0
                            ? REPLY_ANSWER
                            : REPLY_ERROR;
        const char *body = kind == REPLY_ANSWER ? answer : err.msg;
        uint64_t n = kind == REPLY_ANSWER ? len : strlen(err.msg);
        if (cb_write_full(rep_w, &kind, sizeof kind) < 0 ||
            cb_write_full(rep_w, &n, sizeof n) < 0 ||
            (n && cb_write_full(rep_w, body, n) < 0))
            _exit(CB_EXIT_SEND);
        free(answer);
    }
}

static int forker_fork(struct cb_forker *f, struct cb_error *err)
{
    int req[2], rep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, req) < 0) {
        cb_error_set(err, "socketpair: %s", strerror(errno));
        return -1;
    }
    if (pipe2(rep, O_CLOEXEC) < 0) {
        cb_error_set(err, "pipe: %s", strerror(errno));
        close(req[0]);
        close(req[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    const char *call = "fork";
    int rc = cb_child_fork(&f->proc, false, &call);
    if (rc < 0) {
        cb_error_set(err, "%s: %s", call, strerror(errno));
        close(req[0]), close(req[1]), close(rep[0]), close(rep[1]);
        return -1;
    }
    if (rc == 0) {
        close(req[1]);
        close(rep[0]);
        forker_main(f->fn, req[0], rep[1]);
    }
    /* The driver sends on req[1], the forker reads req[0]. */
    close(req[0]);
    close(rep[1]);
    /* It ends its measuring process on SIGTERM: ended so if this one is. */
    cb_child_own(f->proc.pid, CB_OWN_KEEPER);
    /* Its measuring processes' CPU is concbench's own (steady.h). */
    cb_cpu_sample_also(f->proc.pid);
    f->req_w = req[1];
    f->rep_r = rep[0];
    return 0;
}

/* The forker has ended or broke its word: reap it, forget it. */
static void forker_lost(struct cb_forker *f)
{
    if (f->req_w >= 0)
        close(f->req_w);
    if (f->rep_r >= 0)
        close(f->rep_r);
    f->req_w = f->rep_r = -1;
    cb_cpu_sample_also(0);
    if (f->proc.pid > 0)
        cb_child_end(&f->proc, cb_now_ns());
    f->proc.pid = 0;
}

int cb_forker_start(cb_isolated_fn fn, struct cb_forker **out,
                    struct cb_error *err)
{
    struct cb_forker *f = calloc(1, sizeof *f);
    if (!f) {
        cb_error_set(err, "out of memory");
        return -1;
    }
    f->fn = fn;
    f->req_w = f->rep_r = -1;
    if (forker_fork(f, err) < 0) {
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

/*
 * Send a request; -1 if the forker is gone. A socket with MSG_NOSIGNAL:
 * writing to a pipe whose reader has died would kill the driver with
 * SIGPIPE.
 */
static int request(int fd, uint32_t what)
{
    for (size_t put = 0; put < sizeof what;) {
        ssize_t n = send(fd, (const char *)&what + put, sizeof what - put,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

/* One request and its reply: 1 answered, 0 with err, -1 the forker lost. */
static int ask(struct cb_forker *f, uint32_t what, char **answer,
               size_t *len, struct cb_error *err)
{
    uint32_t kind;
    uint64_t n;
    if (request(f->req_w, what) < 0 ||
        cb_read_full(f->rep_r, &kind, sizeof kind) != (ssize_t)sizeof kind ||
        cb_read_full(f->rep_r, &n, sizeof n) != (ssize_t)sizeof n)
        return -1;
    char *body = malloc(n + 1);
    if (!body)
        return -1;
    if (n && cb_read_full(f->rep_r, body, n) != (ssize_t)n) {
        free(body);
        return -1;
    }
    body[n] = '\0';
    if (kind == REPLY_ANSWER) {
        *answer = body;
        *len = n;
        return 1;
    }
    cb_error_set(err, "%s", body);
    free(body);
    return 0;
}

int cb_forker_run(struct cb_forker *f, uint32_t what, char **answer,
                  size_t *len, struct cb_error *err)
{
    *answer = NULL;
    *len = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (f->proc.pid == 0 && forker_fork(f, err) < 0)
            return -1;
        int rc = ask(f, what, answer, len, err);
        if (rc >= 0)
            return rc == 1 ? 0 : -1;
        forker_lost(f);
    }
    cb_error_set(err, "the process that forks the measurements ended");
    return -1;
}

void cb_forker_stop(struct cb_forker *f)
{
    if (!f)
        return;
    /* End of file on its requests: it exits. */
    if (f->req_w >= 0) {
        close(f->req_w);
        f->req_w = -1;
    }
    cb_cpu_sample_also(0);
    if (f->proc.pid > 0)
        cb_child_end(&f->proc, cb_now_ns() + 10 * 1000000000LL);
    if (f->rep_r >= 0)
        close(f->rep_r);
    free(f);
}
