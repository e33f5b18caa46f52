/*
 * The forkserver's protocol: what the forkserver mode (modes/forkserver.c,
 * the parent's side) and its server (roles/forkserver_server.c, a fresh
 * image of concbench in the forkserver role) say to each other.
 *
 * Three channels, made by the parent before it spawns the server:
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
 * before the server reports the exit.
 *
 * With a payload through pipes (transport pipe), a request is followed by
 * the task's input on the request socket, which the server reads before it
 * forks (the child inherits it), and a child writes its output and then its
 * result to its slot's own pipe (two children's large writes into one pipe
 * would mix). With transport shm the server maps the area's memfd, and the
 * children share it.
 */
#ifndef CB_ROLES_FORKSERVER_H
#define CB_ROLES_FORKSERVER_H

#include "role.h"

#include <stdint.h>

/* The server's fds, from CB_ROLE_FD on. */
enum {
    CB_FORKSERVER_REQUEST_FD = CB_ROLE_FD,
    CB_FORKSERVER_STATUS_FD,
    CB_FORKSERVER_RESULT_FD, /* its children write their results here */
    CB_FORKSERVER_FDS = 3,
    /*
     * With a payload: the area's memfd (transport shm), or slot s's output
     * pipe at CB_FORKSERVER_DATA_FD + s (transport pipe).
     */
    CB_FORKSERVER_DATA_FD = CB_ROLE_FD + CB_FORKSERVER_FDS,
};

/* The task of a kill-and-reap request. */
#define CB_FORKSERVER_KILL_ALL UINT32_MAX

struct cb_forkserver_request {
    uint32_t task;
    int32_t slot;
};

enum cb_forkserver_report_kind {
    CB_REPORT_READY,
    CB_REPORT_EXITED,
    CB_REPORT_FORK_FAILED,
    CB_REPORT_KILLED,
};

struct cb_forkserver_report {
    int32_t kind;
    int32_t slot;
    uint32_t task;
    int32_t pid;
    int32_t value; /* EXITED: wait status; FORK_FAILED: errno */
};

/* The server's body, the forkserver role's main. */
__attribute__((noreturn)) void
cb_forkserver_serve(const struct cb_role_call *call);

#endif
