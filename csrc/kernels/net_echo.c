/*
 * net_echo: a real network request where io_sleep stands in for one. A
 * task connects to the kernel's echo server on 127.0.0.1
 * (net_echo_server.h), sends its index, reads the answer, which the server
 * sends after --io-ms, and closes; its value is the answer, which the
 * check compares with the task's own. It waits without using the CPU, in
 * the kernel's socket calls: gil releases its lock around them (the block
 * hooks). An event loop makes the same request itself, not as a timer:
 * the kernel describes it (net_echo_async: the address, the bytes to send,
 * how many come back) and makes the value of how it ended, and async makes
 * it as steps on a non-blocking socket in its epoll loop, io_uring as
 * requests on its ring.
 *
 * The server is the kernel's fixture (fixture.h): the driver sets it up
 * once for the run, before any fork, and every task gets its port as the
 * kernel's parameter, in decimal digits (in a fresh image too, from its
 * command line); a task without one fails ("no echo server is running").
 *
 * A request that fails is a value the check refuses and describes: which
 * call failed and why (a server that died refuses connections), or an
 * answer that came sooner than io_ms (it cannot have waited).
 */
#include "net_echo_server.h"

#include "clock.h"
#include "executor.h"
#include "kernels.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* A failure's value: the tag, the step that failed, and its errno. */
#define FAIL_TAG 0xec0eull
enum step { NO_SERVER = 1, SOCKET, CONNECT, SEND, RECV, CLOSED, EARLY,
            SILENT };
static const char *const step_names[] = {
    [NO_SERVER] = "no echo server is running",
    [SOCKET] = "socket",
    [CONNECT] = "connect",
    [SEND] = "send",
    [RECV] = "recv",
    [CLOSED] = "the echo server closed the connection before its answer",
    [EARLY] = "the answer came too soon",
    [SILENT] = "no answer from the echo server",
};

static uint64_t failure(enum step s, uint32_t detail)
{
    return FAIL_TAG << 48 | (uint64_t)s << 32 | detail;
}

/* The server's port: the kernel's parameter, in digits; 0 if none. */
static unsigned port_of(const struct concbench_task *t)
{
    unsigned port = 0;
    for (size_t i = 0; i < t->param_bytes; i++) {
        if (t->param[i] < '0' || t->param[i] > '9' || port > 6553)
            return 0;
        port = port * 10 + (unsigned)(t->param[i] - '0');
    }
    return port <= 65535 ? port : 0;
}

static struct sockaddr_in server(const struct concbench_task *t)
{
    return (struct sockaddr_in){.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port_of(t)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

static void request_of(const struct concbench_task *t,
                       uint8_t out[CB_ECHO_REQUEST])
{
    for (int i = 0; i < CB_ECHO_REQUEST; i++)
        out[i] = (uint8_t)(t->index >> (8 * i));
}

/* The answer read, if it came no sooner than io_ms after begin_ns. */
static uint64_t answer_of(const struct concbench_task *t,
                          const uint8_t in[CB_ECHO_ANSWER], int64_t begin_ns)
{
    int64_t took = cb_now_ns() - begin_ns;
    if (took < (int64_t)t->io_ms * 1000000)
        return failure(EARLY, (uint32_t)(took / 1000)); /* in us */
    uint64_t a = 0;
    for (int i = 0; i < CB_ECHO_ANSWER; i++)
        a |= (uint64_t)in[i] << (8 * i);
    return a;
}

/* ---- The request, as the kernel describes it (cb_exchange) ---- */

/*
 * The task's request: its index to the server on 127.0.0.1, an answer of
 * CB_ECHO_ANSWER bytes back; begun now. 1, with the failure as *value,
 * when there is no server to ask.
 */
static int describe(const struct concbench_task *t, struct cb_exchange *x,
                    uint64_t *value)
{
    if (!port_of(t)) {
        *value = failure(NO_SERVER, 0);
        return 1;
    }
    struct sockaddr_in a = server(t);
    *x = (struct cb_exchange){.addr_len = sizeof a,
                              .request_bytes = CB_ECHO_REQUEST,
                              .answer_bytes = CB_ECHO_ANSWER};
    memcpy(&x->addr, &a, sizeof a);
    request_of(t, x->request);
    x->begin_ns = cb_now_ns();
    return 0;
}

/* Which step of the kernel's failures each way a request can end is. */
static const enum step step_of[] = {
    [CB_EXCHANGE_SOCKET] = SOCKET, [CB_EXCHANGE_CONNECT] = CONNECT,
    [CB_EXCHANGE_SEND] = SEND,     [CB_EXCHANGE_RECV] = RECV,
    [CB_EXCHANGE_CLOSED] = CLOSED,
};

/*
 * The value of a request that ended so, however it was made: the answer
 * (if it came no sooner than io_ms), or the call that failed and why.
 */
static uint64_t value_of(const struct concbench_task *t,
                         const struct cb_exchange *x,
                         enum cb_exchange_end end, int err,
                         const unsigned char *answer)
{
    if (end == CB_EXCHANGE_ANSWERED)
        return answer_of(t, answer, x->begin_ns);
    if ((unsigned)end >= sizeof step_of / sizeof step_of[0] || !step_of[end])
        return failure(CLOSED, 0);
    return failure(step_of[end], end == CB_EXCHANGE_CLOSED ? 0 : (uint32_t)err);
}

/* ---- The request in blocking calls (run) ---- */

static void close_fd(void *fd)
{
    close(*(int *)fd);
}

/* The whole request on fd, each call given up at the timeout. */
static uint64_t exchange(const struct concbench_task *t,
                         const struct cb_exchange *x, int fd)
{
    if (t->timeout_ms) {
        struct timeval tv = {.tv_sec = t->timeout_ms / 1000,
                             .tv_usec = t->timeout_ms % 1000 * 1000};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    if (connect(fd, (const struct sockaddr *)&x->addr, x->addr_len) < 0)
        return value_of(t, x, CB_EXCHANGE_CONNECT, errno, NULL);
    for (size_t put = 0; put < x->request_bytes;) {
        ssize_t n = send(fd, x->request + put, x->request_bytes - put,
                         MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return value_of(t, x, CB_EXCHANGE_SEND, errno, NULL);
        put += (size_t)n;
    }
    unsigned char ans[CB_EXCHANGE_MAX];
    for (size_t got = 0; got < x->answer_bytes;) {
        ssize_t n = recv(fd, ans + got, x->answer_bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        /* Only here, in blocking calls, does the kernel time a call out. */
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return failure(SILENT, t->timeout_ms);
        if (n < 0)
            return value_of(t, x, CB_EXCHANGE_RECV, errno, NULL);
        if (n == 0)
            return value_of(t, x, CB_EXCHANGE_CLOSED, 0, NULL);
        got += (size_t)n;
    }
    return value_of(t, x, CB_EXCHANGE_ANSWERED, 0, ans);
}

static uint64_t net_echo_run(const struct concbench_task *t)
{
    struct cb_exchange x;
    uint64_t v;
    if (describe(t, &x, &v))
        return v;
    int fd = socket(x.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return value_of(t, &x, CB_EXCHANGE_SOCKET, errno, NULL);
    /*
     * A thread cancelled in a call (a batch that timed out) closes it; the
     * block hooks may be where it is cancelled too (gil waits there).
     */
    pthread_cleanup_push(close_fd, &fd);
    concbench_block_begin(t);
    v = exchange(t, &x, fd);
    concbench_block_end(t);
    pthread_cleanup_pop(1);
    return v;
}

static int net_echo_check(uint64_t value, const struct concbench_task *t,
                          char *why, size_t why_len)
{
    uint64_t want = cb_echo_answer(t->index);
    if (value == want)
        return true;
    unsigned s = (unsigned)(value >> 32 & 0xffff);
    uint32_t detail = (uint32_t)value;
    if (value >> 48 != FAIL_TAG || s < NO_SERVER || s > SILENT)
        snprintf(why, why_len, "the answer %#" PRIx64 " is not task %u's "
                 "(%#" PRIx64 ")", value, t->index, want);
    else if (s == SILENT)
        snprintf(why, why_len, "%s at 127.0.0.1:%u within the %" PRIu32
                 " ms timeout", step_names[s], port_of(t), detail);
    else if (s == EARLY)
        snprintf(why, why_len, "%s: after %" PRIu32 " us, not %u ms",
                 step_names[s], detail, t->io_ms);
    else if (s == NO_SERVER)
        snprintf(why, why_len, "%s", step_names[s]);
    else if (s == CLOSED)
        snprintf(why, why_len, "%s (127.0.0.1:%u)", step_names[s],
                 port_of(t));
    else
        snprintf(why, why_len, "%s to the echo server at 127.0.0.1:%u: %s",
                 step_names[s], port_of(t), strerror((int)detail));
    return false;
}

/*
 * What an event loop needs of it: the request described, for the loop to
 * make its calls (async: non-blocking steps under epoll; io_uring: connect,
 * send and receive requests on its ring).
 */
static const struct cb_kernel_async net_echo_async = {
    .exchange = describe,
    .exchange_value = value_of,
};

/* ---- The fixture: the server, for the whole run ---- */

static int net_echo_setup(const struct concbench_run *run,
                          unsigned char *param, size_t *param_bytes,
                          void **state, char *why, size_t why_len)
{
    struct cb_echo_server *server = malloc(sizeof *server);
    struct cb_error err = {{0}};
    if (!server) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    if (cb_echo_start(server, run->io_ms, &err) < 0) {
        snprintf(why, why_len, "%s", err.msg);
        free(server);
        return -1;
    }
    int n = snprintf((char *)param, CONCBENCH_PARAM_MAX, "%u", server->port);
    *param_bytes = (size_t)n;
    *state = server;
    return 0;
}

/* The server is gone with the run: killed and reaped. */
static void net_echo_teardown(void *state)
{
    cb_echo_stop(state);
    free(state);
}

static const struct concbench_fixture net_echo_fixture = {
    .setup = net_echo_setup,
    .teardown = net_echo_teardown,
};

const struct cb_kernel cb_kernel_net_echo = {
    .name = "net_echo",
    .summary = "a request to an echo server on 127.0.0.1, answered after "
               "--io-ms (I/O-bound)",
    .run = net_echo_run,
    .check = net_echo_check,
    .fixture = &net_echo_fixture,
    .async = &net_echo_async,
    .opt_in = true,
};
