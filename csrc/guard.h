/*
 * The guard of the driver's own process: what it says and does when code
 * that concbench does not control ends it. concbench runs its kernels in
 * the processes that measure its repetitions (isolate.h), which report a
 * kernel's exit or crash as that benchmark's error; in the driver's own
 * process such code is a kernel library's init, run when it is loaded,
 * a kernel's fixture (set up before the benchmarks, torn down after),
 * and the kernels of a program that starts the guard and runs a mode
 * itself. Either may call exit() or die of a signal. The guard knows what
 * is running (the framework tells it: kernel.c while a library loads,
 * fixture.c while a fixture is set up or torn down, executor.c and batch.c while a mode runs a kernel) and then:
 *
 *   a kernel calls exit(S), S = 0 included: one line, "concbench: kernel K
 *     called exit(S) in mode M, which ends concbench: no result written",
 *     and exit status 1 (a benchmark failed; no result file);
 *   a kernel dies of SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT (a fault,
 *     or one it raised itself): one line naming kernel, mode and signal,
 *     then death by the same signal;
 *   a library's init does either: one line naming the library, exit 2
 *     (the library is refused, as a library whose init fails is);
 *   a kernel's fixture does either (fixture.h): one line naming the
 *     kernel, then exit status 1 or death by the same signal.
 *
 * Whatever ends the process, and SIGINT, SIGTERM and SIGHUP too, it first
 * calls the driver's cleanup (the result file's temporary name) and
 * cb_children_dying (child.h: what tasks left behind, the MPI keeper).
 * A signal sent by another process is not blamed on the kernel. _exit()
 * and exit_group cannot be seen: a kernel that calls them ends concbench
 * with its status and no line.
 *
 * In any other process (a forked worker, which inherits all of it) the
 * guard does nothing: the mode reports the worker's end as the task's
 * error; the process that measures a repetition (isolate.h) only tidies
 * up on a stop signal (cb_guard_measuring). Fresh images (role.h) do not
 * start it.
 */
#ifndef CB_GUARD_H
#define CB_GUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * In the driver's process, before any kernel code runs (before the first
 * kernel library is loaded): make this process the subreaper of what its
 * tasks leave (cb_children_adopt), install the signal handlers and the
 * exit handler. cleanup (or NULL) must be async-signal-safe. Returns 0, or
 * -1 with errno set.
 */
int cb_guard_start(void (*cleanup)(void));

/*
 * Once the kernel libraries are loaded and before the benchmarks run:
 * install the signal handlers again (a library's init may have replaced
 * them) and the exit handler again, so that it runs before the exit
 * handlers registered since (a library's, C++ destructors), which would
 * otherwise run while the kernel's threads still run.
 */
void cb_guard_arm(void);

/*
 * In the process forked to measure one repetition (isolate.h), first: it
 * starts afresh as the subreaper of what its tasks leave (cb_children_adopt,
 * with its parent's children forgotten), and on SIGINT, SIGTERM or SIGHUP
 * it stops what it keeps (cb_children_dying: the MPI keeper) before it dies.
 * A kernel's exit or crash there ends only it, with no line: the driver
 * reports how it ended as that benchmark's error. Returns 0, or -1 with
 * errno set.
 */
int cb_guard_measuring(void);

/* The result file the run will write, for the line; NULL: none. */
void cb_guard_output(const char *path);

/* A kernel library being loaded from path (its constructors and inits); NULL: done. */
void cb_guard_library(const char *path);

/*
 * Kernel kernel's fixture being set up or torn down (fixture.h); NULL:
 * done. One that exits or crashes ends the driver with a line naming it,
 * exit status 1 (no benchmark runs without it) or its signal.
 */
void cb_guard_fixture(const char *kernel);

/* kernel running in mode in this process; NULLs: nothing is. */
void cb_guard_running(const char *kernel, const char *mode);

#ifdef __cplusplus
}
#endif

#endif
