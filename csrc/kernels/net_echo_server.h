/*
 * The server the net_echo kernel talks to, part of the kernel: a process of
 * its own, forked by the kernel's fixture (net_echo.c) before the
 * benchmarks, listening on 127.0.0.1 only, at a port the system picks. Each connection sends a task's index (4 bytes, little-endian);
 * after io_ms the server answers with the index's answer (8 bytes,
 * little-endian) and closes. One thread and one epoll set serve every
 * connection at once, as many as the process may have open files (its
 * limit raised to the hard one); since every answer waits the same io_ms,
 * the answers are due in the order the requests came, one queue.
 *
 * The server dies with the process that started it (PR_SET_PDEATHSIG),
 * also when that one is killed.
 */
#ifndef CB_NET_ECHO_SERVER_H
#define CB_NET_ECHO_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cb_error;

struct cb_echo_server {
    pid_t pid;     /* 0 when not running */
    int fd;        /* its exit fd (child.h), -1 when none */
    unsigned port; /* on 127.0.0.1 */
};

/* Bytes of a request and of an answer. */
enum { CB_ECHO_REQUEST = 4, CB_ECHO_ANSWER = 8 };

/* The answer to task index's request: differs from task to task. */
static inline uint64_t cb_echo_answer(uint32_t index)
{
    uint64_t z = (uint64_t)index + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) & ~(0xffffull << 48); /* never an error value */
}

/*
 * Start a server answering after io_ms. Returns 0 with *s filled, or -1
 * with err set.
 */
int cb_echo_start(struct cb_echo_server *s, unsigned io_ms,
                  struct cb_error *err);

/* Stop it (kill and reap); nothing if it is not running. */
void cb_echo_stop(struct cb_echo_server *s);

#ifdef __cplusplus
}
#endif

#endif
