/*
 * Roles: concbench's own executable started again with posix_spawn, as a
 * fresh program image, to run one task (the spawn mode's worker) or to fork
 * one child per task (the forkserver mode's server); Python's
 * multiprocessing starts a new interpreter for the same two start methods.
 * Every program that runs those modes calls cb_role_main first thing in
 * main(), so that its own executable can play the roles.
 */
#ifndef CB_ROLE_H
#define CB_ROLE_H

#include "executor.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The first statement of main(). Returns -1 at once when argv is not a role
 * invocation; otherwise runs the role and ends the process, never returning.
 */
int cb_role_main(int argc, char **argv);

/* The fds a role is started with, whatever their numbers in the caller. */
enum {
    CB_ROLE_FD = 3, /* the first; a role has no other fd above stderr */
    CB_SPAWN_RESULT_FD = CB_ROLE_FD,           /* worker: writes its result */
    CB_FORKSERVER_REQUEST_FD = CB_ROLE_FD,     /* server: reads requests */
    CB_FORKSERVER_STATUS_FD = CB_ROLE_FD + 1,  /* server: writes reports */
    CB_FORKSERVER_RESULT_FD = CB_ROLE_FD + 2,  /* its children: results */
};

/*
 * 0 if a fresh image finds job->kernel by name (in cb_kernels or
 * cb_fault_kernels), else -1 with err set: it knows no other kernel.
 */
int cb_role_check_kernel(const struct cb_kernel *kernel, struct cb_error *err);

/*
 * Start a spawn worker for task in slot worker, with result_fd as its
 * CB_SPAWN_RESULT_FD; or a forkserver for job, with fds[0..2] as its
 * request, status and result fds. The new process gets no other fd above
 * stderr, an empty signal mask and default SIGCHLD and SIGPIPE handling.
 * Returns 0, or -1 with err set ("task 3: posix_spawn: ...").
 */
int cb_role_spawn_worker(const struct cb_job *job, unsigned task, int worker,
                         int result_fd, pid_t *pid, struct cb_error *err);
int cb_role_spawn_forkserver(const struct cb_job *job, const int fds[3],
                             pid_t *pid, struct cb_error *err);

/*
 * The roles' bodies, in their modes' files; cb_role_main calls them with
 * the command line parsed. parent is the pid they must die with.
 */
__attribute__((noreturn)) void
cb_spawn_worker_main(const struct cb_job *job, unsigned task, int worker,
                     pid_t parent);
__attribute__((noreturn)) void cb_forkserver_main(const struct cb_job *job,
                                                  pid_t parent);

/*
 * For the tests: processes that ran a task in this process's batches so
 * far; the ones spawn started, and the ones forkservers reported ended.
 */
unsigned long cb_spawn_processes(void);
unsigned long cb_forkserver_processes(void);

#ifdef __cplusplus
}
#endif

#endif
