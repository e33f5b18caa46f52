/* net_echo's server (net_echo_server.h): starting, serving, stopping. */
#include "net_echo_server.h"

#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    EVENTS = 256,          /* read from epoll at a time */
    MAX_CONNS = 1 << 20,   /* fds the server tracks, at most */
};

/* One connection, by its fd: the request read so far. */
struct conn {
    uint8_t request[CB_ECHO_REQUEST];
    uint8_t got;
};

/* A request read whole, to be answered at due_ns. */
struct due {
    int fd;
    uint32_t index;
    int64_t due_ns;
};

static void answer(const struct due *d)
{
    uint64_t a = cb_echo_answer(d->index);
    uint8_t out[CB_ECHO_ANSWER];
    for (int i = 0; i < CB_ECHO_ANSWER; i++)
        out[i] = (uint8_t)(a >> (8 * i));
    /* Eight bytes into a socket nobody wrote to: they fit, or it is gone. */
    (void)!send(d->fd, out, sizeof out, MSG_NOSIGNAL | MSG_DONTWAIT);
    close(d->fd);
}

/* Accept every connection waiting; those beyond the tables are closed. */
static void accept_all(int lfd, int ep, struct conn *conns, unsigned cap)
{
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN: none left; EMFILE: when some close */
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if ((unsigned)fd >= cap || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
            close(fd);
            continue;
        }
        conns[fd].got = 0;
    }
}

/* The connections the server can track: its hard limit of open files. */
static unsigned capacity(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max >= MAX_CONNS)
        return MAX_CONNS;
    return (unsigned)rl.rlim_max;
}

/*
 * The server's loop, in the forked child; its tables were made before the
 * fork (a forked child of a threaded program should not allocate).
 */
__attribute__((noreturn)) static void serve(int lfd, unsigned io_ms,
                                            struct conn *conns,
                                            struct due *queue, unsigned cap)
{
    /* As many connections at once as the system lets one process have. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev))
        _exit(CB_EXIT_SETUP);
    unsigned head = 0, n_due = 0; /* a ring: due in the order they came */
    struct epoll_event evs[EVENTS];
    for (;;) {
        int timeout = -1;
        if (n_due > 0) {
            int64_t left = queue[head].due_ns - cb_now_ns();
            timeout = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        int n = epoll_wait(ep, evs, EVENTS, timeout);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == lfd) {
                accept_all(lfd, ep, conns, cap);
                continue;
            }
            struct conn *c = &conns[fd];
            ssize_t got = recv(fd, c->request + c->got,
                               CB_ECHO_REQUEST - c->got, 0);
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (got <= 0) {
                close(fd); /* the client gave up */
                continue;
            }
            c->got += (uint8_t)got;
            if (c->got < CB_ECHO_REQUEST)
                continue;
            epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            uint32_t index = 0;
            for (int i = 0; i < CB_ECHO_REQUEST; i++)
                index |= (uint32_t)c->request[i] << (8 * i);
            queue[(head + n_due++) % cap] = (struct due){
                .fd = fd, .index = index,
                .due_ns = cb_now_ns() + (int64_t)io_ms * 1000000};
        }
        int64_t now = cb_now_ns();
        while (n_due > 0 && queue[head].due_ns <= now) {
            answer(&queue[head]);
            head = (head + 1) % cap;
            n_due--;
        }
    }
}

int cb_echo_start(struct cb_echo_server *s, unsigned io_ms,
                  struct cb_error *err)
{
    *s = (struct cb_echo_server){.pid = 0, .fd = -1};
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    /* The listen queue as long as the system allows (net.core.somaxconn). */
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(lfd, 65535) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &len) < 0) {
        cb_error_set(err, "net_echo's server: listening on 127.0.0.1: %s",
                     strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    unsigned cap = capacity();
    struct conn *conns = calloc(cap, sizeof *conns);
    struct due *queue = calloc(cap, sizeof *queue);
    struct cb_child c;
    const char *call = "tables";
    int rc = conns && queue ? cb_child_fork(&c, true, &call) : -1;
    if (rc < 0) {
        cb_error_set(err, "net_echo's server: %s: %s", call,
                     strerror(errno));
        free(conns);
        free(queue);
        close(lfd);
        return -1;
    }
    if (rc == 0)
        serve(lfd, io_ms, conns, queue, cap);
    free(conns);
    free(queue);
    close(lfd);
    *s = (struct cb_echo_server){.pid = c.pid, .fd = c.fd,
                                 .port = ntohs(a.sin_port)};
    return 0;
}

void cb_echo_stop(struct cb_echo_server *s)
{
    if (s->pid <= 0)
        return;
    struct cb_child c = {.pid = s->pid, .fd = s->fd};
    cb_children_kill(&c, 1);
    *s = (struct cb_echo_server){.pid = 0, .fd = -1};
}
