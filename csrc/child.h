/*
 * Child processes, for every mode that runs tasks in other processes
 * (process, process_pool, spawn, forkserver): starting one with a way to
 * see it end, reaping it and saying how it ended, killing and reaping all,
 * and the fixed-size records they send over pipes.
 */
#ifndef CB_CHILD_H
#define CB_CHILD_H

#include "executor.h"
#include "io.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * How long a child that was asked to stop (a pool's worker, a server) is
 * given before it is killed.
 */
#define CB_STOP_TIMEOUT_MS 1000

/*
 * Exit statuses a worker uses for its own failures, so that the error a
 * user sees says which (cb_describe_exit); a task's own exit status is
 * reported as it is.
 */
enum cb_child_exit {
    CB_EXIT_SETUP = 124,    /* could not set itself up (the allocator) */
    CB_EXIT_PROTOCOL = 125, /* its parent broke the protocol or vanished */
    CB_EXIT_SEND = 126,     /* could not send its result */
    CB_EXIT_ORPHAN = 127,   /* its parent died before it started */
};

/* A child: 0 pid when the slot is free. */
struct cb_child {
    pid_t pid;
    int fd; /* what the parent watches it by, or -1 */
};

/*
 * First thing a forked worker does: die with its parent, so that no worker
 * is orphaned if the benchmark is killed. It does no more, because on this
 * kind of machine every page a child writes costs a fault of some 20 us:
 * the signal handlers it inherits need no reset, as the driver's handler
 * does nothing in a process other than the driver's own before dying.
 */
void cb_child_init(pid_t parent);

/*
 * fork, and in the child cb_child_init: returns 0 in the child; in the
 * parent 1 with c->pid set and, with exit_fd, c->fd an fd that becomes
 * readable (or hangs up) once the child has exited: a pidfd, or where there
 * are none (Linux before 5.3, valgrind) a pipe whose only write end the
 * child holds; else c->fd = -1. Returns -1 with errno set if it failed,
 * and *call (if call is not NULL) the call that failed: "fork", or the
 * exit fd's "pipe" or "pidfd_open".
 */
int cb_child_fork(struct cb_child *c, bool exit_fd, const char **call);

/* A pidfd of pid (which becomes readable once it has exited), or -1. */
int cb_pidfd_open(pid_t pid);

/*
 * Children this process started and will reap itself, told apart from the
 * processes it adopts as a subreaper (cb_children_adopt): cb_child_fork
 * and cb_role_spawn note each, cb_child_reap and cb_child_end forget it.
 * What is below one is a task's leftover or its own, by its kind.
 */
enum cb_own_kind {
    CB_OWN_FORK,  /* a fork of this process: what it starts is a task's */
    CB_OWN_IMAGE, /* a fresh image (role.h): what it starts is its own */
    /*
     * A process that reaps its own and stops on SIGTERM: the MPI keeper (a
     * fresh image), the process measuring a repetition (isolate.h).
     */
    CB_OWN_KEEPER,
    /*
     * A child found before any task ran (cb_children_own_strays): a kernel
     * library's init's helper, or one the program image inherited across
     * exec. Left running, with what it starts, and reaped by the sweep
     * once it has ended.
     */
    CB_OWN_FOUND,
    /*
     * A process a kernel's fixture started (fixture.h): left running for
     * the whole run, with what it starts, as a found one is; killed
     * (SIGKILL) by cb_children_dying, and by cb_children_end_fixtures
     * once the fixtures' teardowns have run.
     */
    CB_OWN_FIXTURE,
};
void cb_child_own(pid_t pid, enum cb_own_kind kind);

/*
 * Forget every child noted: for a forked process that starts afresh (the
 * one that measures a repetition, isolate.h), whose parent's children are
 * not its own.
 */
void cb_children_forget_all(void);

/*
 * Note every child this process has now and did not start as found
 * (CB_OWN_FOUND): cb_children_adopt, for what the image inherited, and
 * kernel.c after a library's inits, which may start helpers that its
 * kernels need for the whole run.
 */
void cb_children_own_strays(void);

/* This process's children, at most max of them (from /proc). */
unsigned cb_children_now(pid_t *out, unsigned max);

/* SIGKILL and reap every CB_OWN_FIXTURE child still there. */
void cb_children_end_fixtures(void);

/*
 * Make this process the subreaper of every process below it
 * (PR_SET_CHILD_SUBREAPER): what a task leaves behind (a child its kernel
 * forked, and the children of that) comes to it when its parent ends,
 * instead of to init; and turn on cb_children_sweep, which leaves the
 * children it has now alone (cb_children_own_strays). For the driver,
 * once, before any batch. Returns 0, or -1 with errno set.
 */
int cb_children_adopt(void);

/*
 * After a batch (batch.c) and an executor's stop (executor.c), in a
 * process that called cb_children_adopt: kill (SIGKILL) and reap every
 * child of this process it did not start (cb_child_own), and kill the
 * children of those it did but keepers (a pool worker's leftovers, reaped
 * when the worker ends and they come here; what is below a fresh image or
 * a library's helper is theirs). A task's leftovers so end with its batch,
 * in every mode; nothing that is the mode's or a library's is touched.
 *
 * since is cb_children_mark() from before the batch: when no process or
 * thread at all has been made since (the system's last pid is the same),
 * there is nothing new to sweep, and the sweep reads nothing from /proc
 * (a pool's batch of noop tasks takes some 60 us; reading every worker's
 * children took more). CB_SWEEP_ALWAYS sweeps anyway.
 */
void cb_children_sweep(long since);

/* The pid last handed out in this pid namespace, or CB_SWEEP_ALWAYS. */
long cb_children_mark(void);

#define CB_SWEEP_ALWAYS (-1L)

/*
 * For a signal that ends this process (async-signal-safe): kill what
 * cb_children_sweep would kill and the fixtures' processes, then ask each
 * keeper to stop (SIGTERM) and
 * wait for it, up to CB_KEEPER_STOP_S seconds, so that what it keeps (Open
 * MPI's processes, its session folder) is gone before this process is.
 */
void cb_children_dying(void);

enum { CB_KEEPER_STOP_S = 15 };

/* Reap c (waiting for it), close its fd, free the slot; its wait status. */
int cb_child_reap(struct cb_child *c);

/*
 * Give c until deadline_ns to exit by itself, then SIGKILL it; reap it as
 * cb_child_reap does and return its wait status.
 */
int cb_child_end(struct cb_child *c, int64_t deadline_ns);

/* SIGKILL and reap every child of kids[0..n) still alive. */
void cb_children_kill(struct cb_child *kids, unsigned n);

/*
 * "killed by signal 11 (Segmentation fault)", "exited with status 3", or
 * for the statuses of cb_child_exit "exited with status 126 (it could not
 * send its result)".
 */
void cb_describe_exit(int status, char *buf, size_t len);

/* Whether a wait status is a clean exit (status 0). */
bool cb_exited_cleanly(int status);

/*
 * The outcome of a per-task worker that ran task and ended with status:
 * 0 if it exited cleanly having sent its result, else -1 with err saying
 * which it failed to do ("task 3: worker killed by signal 11 (...)",
 * "task 3: worker exited without sending a result").
 */
int cb_task_outcome(unsigned task, int status, bool sent,
                    struct cb_error *err);

/*
 * The children of a per-task mode (process, spawn) as the launcher
 * (launcher.h) waits for them: kids[s] runs in slot s; pfds[s].revents says
 * what woke it. A mode's launcher context begins with one of these, so that
 * cb_children_wait and cb_children_abort can be its wait and abort.
 */
struct cb_children {
    struct cb_child *kids;
    struct pollfd *pfds;
};

/* Allocate n slots of both; -1 if out of memory. */
int cb_children_alloc(struct cb_children *set, unsigned n);
void cb_children_free(struct cb_children *set);

/* Launcher wait: poll the fds of the busy slots (ctx: cb_children). */
int cb_children_wait(void *ctx, unsigned n, const bool *busy,
                     int64_t deadline_ns, bool *ready, struct cb_error *err);

/* Launcher abort: kill and reap every child still alive. */
bool cb_children_abort(void *ctx, unsigned n, const bool *busy,
                       struct cb_error *err);


/* Milliseconds from now until deadline_ns, rounded up, at least 0; for poll. */
int cb_poll_ms_until(int64_t deadline_ns);

/*
 * poll until one of pfds[0..n) is ready or deadline_ns; retries on EINTR.
 * Returns the number ready, 0 at the deadline, -1 with err set.
 */
struct pollfd;
int cb_poll_until(struct pollfd *pfds, unsigned n, int64_t deadline_ns,
                  struct cb_error *err);

#ifdef __cplusplus
}
#endif

#endif
