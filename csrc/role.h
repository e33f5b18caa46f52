/*
 * Roles: concbench's own executable started again with posix_spawn, as a
 * fresh program image, to play a part of a mode (spawn's worker runs one
 * task, forkserver's server forks one child per task), as Python's
 * multiprocessing starts a new interpreter for those start methods. A mode
 * with a role declares it in its cb_mode; every program that runs such
 * modes calls cb_role_main first thing in main() (modes.c), which finds
 * the role named on the command line among the modes and runs it.
 *
 * The command line, the whole of what a fresh image is told:
 *
 *   EXE ROLE_FLAG KERNEL LIBRARY IO_MS PAYLOAD PARAM TASKS WORKERS
 *       TIMEOUT_MS OPT... ARG... PARENT
 *
 * with the mode's options (resolved) and the role's own arguments, all
 * whole numbers; the kernel goes by name, as a fresh image shares none of
 * the caller's memory, with the library it was loaded from ("-" for a
 * built-in kernel), which the fresh image loads first, and PARAM, the
 * kernel's parameter (cb_params: what its fixture's setup wrote, which
 * the fresh image does not set up again) in hexadecimal, "-" for none;
 * PARENT is the pid the role must die with (cb_child_init). Its fds are
 * CB_ROLE_FD on, as the role declares.
 */
#ifndef CB_ROLE_H
#define CB_ROLE_H

#include "executor.h"

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first fd a role is given, whatever its number in the caller. */
enum {
    CB_ROLE_FD = 3,
    /* The forkserver's three channels and a pipe for each of its slots. */
    CB_ROLE_MAX_FDS = 3 + CB_MAX_WORKERS,
    CB_ROLE_MAX_ARGS = 4,
};

/* What a role is started with, parsed back from its command line. */
struct cb_role_call {
    struct cb_executor ex; /* the mode, job and options; no state */
    unsigned args[CB_ROLE_MAX_ARGS];
    pid_t parent;
};

struct cb_role_arg {
    const char *name; /* for a usage error */
    unsigned max;     /* largest value */
};

struct cb_role {
    const char *flag; /* argv[1]: "--cb-spawn-worker" */
    unsigned n_fds;   /* fds from CB_ROLE_FD on, at most */
    unsigned n_args;
    struct cb_role_arg args[CB_ROLE_MAX_ARGS];
    /* The role's body in the fresh image; it ends the process. */
    __attribute__((noreturn)) void (*main)(const struct cb_role_call *call);
    /*
     * The role's process reaps processes of its own below it and stops
     * them when sent SIGTERM (the MPI keeper): CB_OWN_KEEPER, not
     * CB_OWN_IMAGE (child.h).
     */
    bool keeper;
};

/*
 * The first statement of main(). Returns -1 at once when argv is not a role
 * invocation; otherwise runs the role and ends the process, never returning.
 * (In modes.c, which knows the modes.)
 */
int cb_role_main(int argc, char **argv);

/*
 * Run the role of mode from argv (argv[1] is its flag): parse the call,
 * refuse a bad one with one line and exit status 2, and call role->main.
 */
__attribute__((noreturn)) void cb_role_run(const struct cb_mode *mode,
                                           int argc, char **argv);

/*
 * 0 if a fresh image finds ex's kernel by name, else -1 with err set: it
 * knows no other kernel.
 */
int cb_role_check_kernel(const struct cb_executor *ex, struct cb_error *err);

/*
 * Start ex's mode's role for ex's job and options with args[0..n_args) and
 * fds[0..nfds) as its fds from CB_ROLE_FD on (nfds at most the role's
 * n_fds). The new process gets no
 * other fd above stderr, an empty signal mask and default SIGCHLD and
 * SIGPIPE handling; it is noted as this process's own child
 * (cb_child_own). Returns 0 with *pid set, or an errno value with *call
 * the call that failed ("posix_spawn", or "fcntl" moving an fd).
 */
int cb_role_spawn(const struct cb_executor *ex, const unsigned *args,
                  const int *fds, unsigned nfds, pid_t *pid,
                  const char **call);

#ifdef __cplusplus
}
#endif

#endif
