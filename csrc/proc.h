/* Helpers the process-based modes share: pipes, children, wait statuses. */
#ifndef CB_PROC_H
#define CB_PROC_H

#include "executor.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Read exactly len bytes, retrying on EINTR. Returns len, 0 at end of file
 * before any byte, or -1 (errno set; EPROTO for a short read).
 */
ssize_t cb_read_full(int fd, void *buf, size_t len);

/* Write all of buf, retrying on EINTR. Returns 0 or -1 with errno set. */
int cb_write_full(int fd, const void *buf, size_t len);

/*
 * First thing a forked worker does: die with its parent, so that no worker
 * is orphaned if the benchmark is killed. It does no more, because on this
 * kind of machine every page a child writes costs a fault of some 20 us:
 * the signal handlers it inherits need no reset, as the driver's handler
 * does nothing in a process other than the driver's own before dying.
 */
void cb_child_init(pid_t parent);

/* "killed by signal 11 (Segmentation fault)" or "exited with status 3". */
void cb_describe_status(int status, char *buf, size_t len);

/* Milliseconds from now until deadline_ns, rounded up, at least 0; for poll. */
int cb_poll_ms_until(int64_t deadline_ns);

/*
 * Poll the n slots of a per-task mode until one is ready: pfds[s].fd is the
 * fd of the child in slot s (or -1 when the slot is idle) and tasks[s] its
 * task. Returns 0; or -1 with err set, on poll failing or at deadline_ns,
 * then naming the lowest task still running (cb_error_timeout).
 */
struct pollfd;
int cb_poll_slots(struct pollfd *pfds, const unsigned *tasks, unsigned n,
                  int64_t deadline_ns, unsigned timeout_ms,
                  struct cb_error *err);

/* SIGKILL pid and reap it. */
void cb_kill_reap(pid_t pid);

#endif
