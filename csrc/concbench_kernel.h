/*
 * concbench's kernel interface: what a task kernel is, for the kernels
 * built into concbench and for a user's own, in a shared library loaded
 * with `concbench --kernel-lib=PATH`. This header is the whole contract; it
 * is installed with the suite and depends on nothing else of it.
 *
 * A kernel computes a 64-bit value for one task; concbench mixes it with
 * the task's index into the task's digest and, after the batch, checks it
 * with the kernel's check, so that a task that did not run, ran twice, came
 * back under another index or computed something else fails the benchmark.
 * A kernel knows nothing of timing, workers or strategies: concbench runs
 * it in a thread, a forked child, a fresh program image (which loads the
 * same library again and finds the kernel by name), an event loop or an
 * OpenMP team, and measures it there.
 *
 * A library of kernels exports one object, named by CONCBENCH_KERNEL_TABLE:
 *
 *     #include <concbench_kernel.h>
 *     static uint64_t my_run(const struct concbench_task *t) { ... }
 *     static int my_check(uint64_t v, const struct concbench_task *t,
 *                         char *why, size_t len) { ... }
 *     static const struct concbench_kernel mine[] = {
 *         {.name = "my_task", .summary = "what one task does",
 *          .run = my_run, .check = my_check},
 *     };
 *     CONCBENCH_EXPORT const struct concbench_kernel_table
 *         concbench_kernel_table = {CONCBENCH_KERNEL_ABI, 1, mine};
 *
 * examples/zlib_kernel/ is a complete one, with its build.
 *
 * A kernel that needs something ready for the whole run (a server its
 * tasks talk to, a file they read) declares a fixture (struct
 * concbench_fixture, version 2): concbench sets it up once, in its own
 * process before any task runs, hands what the setup wrote (a parameter,
 * a few bytes) to every task of the kernel wherever it runs, and tears it
 * down at the end.
 */
#ifndef CONCBENCH_KERNEL_H
#define CONCBENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this interface. A change that a built library could not
 * follow gets a new number. concbench loads libraries built for
 * CONCBENCH_KERNEL_ABI_OLDEST to CONCBENCH_KERNEL_ABI and refuses others:
 *   1: name, summary, run, check, init;
 *   2: a kernel may have a fixture, and a task gets its parameter (param,
 *      param_bytes). A library of version 1 loads as before: its kernels
 *      have no fixture, whatever their reserved space holds.
 */
#define CONCBENCH_KERNEL_ABI 2
#define CONCBENCH_KERNEL_ABI_OLDEST 1

/* The symbol a kernel library exports. */
#define CONCBENCH_KERNEL_TABLE concbench_kernel_table
#define CONCBENCH_KERNEL_TABLE_NAME "concbench_kernel_table"

#if defined(__GNUC__)
#define CONCBENCH_EXPORT __attribute__((visibility("default")))
#else
#define CONCBENCH_EXPORT
#endif

/*
 * Points where a kernel lets the strategy running it in, for a strategy
 * that must act while a task runs (concbench's gil mode: a global lock that
 * a computing task holds and yields, as CPython's threads do). A kernel
 * calls them through the concbench_checkpoint and concbench_block_*
 * helpers below, and need know nothing of what they do:
 * - checkpoint: every so often in a long CPU loop (logpow: every 1024
 *   iterations), where the task could stop and resume without changing its
 *   result (a kernel that is one library call never does, like one long
 *   Python bytecode);
 * - block_begin, block_end: around a wait that uses no CPU (a sleep, a
 *   blocking read), as Python releases the GIL around I/O.
 * task_begin and task_end are concbench's own, around the kernel.
 */
struct concbench_hooks {
    void (*checkpoint)(void *ctx);
    void (*block_begin)(void *ctx);
    void (*block_end)(void *ctx);
    void (*task_begin)(void *ctx);
    void (*task_end)(void *ctx);
};

/* What a kernel's run and check get: one task. */
struct concbench_task {
    unsigned index; /* 0 to T - 1 */
    unsigned io_ms; /* --io-ms, for kernels that wait */
    /*
     * The task's input (--payload), different for every task, which the
     * kernel may read; NULL and 0 without a payload. concbench reads all
     * of it and answers with an output itself: a kernel need not.
     */
    const unsigned char *input;
    size_t input_bytes;
    /* The strategy's hooks (NULL: none) and their argument. */
    const struct concbench_hooks *hooks;
    void *hooks_ctx;
    unsigned reserved0; /* zero (version 1: a port; now a parameter) */
    /*
     * The batch's timeout (--timeout) in ms: a task that waits on another
     * process gives up by then. 0: none.
     */
    unsigned timeout_ms;
    /*
     * The kernel's parameter (version 2): the bytes its fixture's setup
     * wrote, the same for every task of the run in whichever process or
     * program image runs it, followed by a zero byte (so a string reads as
     * one); NULL and 0 when the kernel has no fixture or it wrote none.
     * In what was reserved space: a library of version 1 never looks.
     */
    const unsigned char *param;
    size_t param_bytes;
    void *reserved[1]; /* zero; for later versions */
};

/* The most bytes a kernel's parameter may have. */
#define CONCBENCH_PARAM_MAX 255

/* What a fixture's setup is told: the run's settings its tasks get too. */
struct concbench_run {
    unsigned io_ms;      /* --io-ms */
    unsigned timeout_ms; /* --timeout, in ms */
    void *reserved[2];   /* zero */
};

/*
 * What a kernel needs ready for the whole run (version 2): a server its
 * tasks talk to, a file they read. concbench sets up the fixtures of the
 * kernels it will run once, in its own process, after its flags are read
 * and before the first benchmark (before any process is started for a
 * task, so that every worker, forked or a fresh program image, can reach
 * what the setup made), and tears them down when the run ends, failed or
 * not.
 */
struct concbench_fixture {
    /*
     * Make it. Write the parameter every task of the kernel then gets
     * (concbench_task's param) to param, at most CONCBENCH_PARAM_MAX
     * bytes, and their number to *param_bytes (0: none); it reaches fresh
     * program images on their command line, so it is the parameter, not
     * a pointer into this process, that tasks may use. *state is the
     * fixture's own, given back to teardown. Returns 0, or non-zero with
     * why[] set: concbench then says so, tears down the fixtures set up
     * before and exits with status 1, no benchmark run.
     *
     * It runs under concbench's guard, as init does: a setup that calls
     * exit() or crashes ends concbench with one line naming the kernel. A
     * process it starts is killed (SIGKILL) if concbench is ended by a
     * signal, which no teardown follows; it should also die with
     * concbench (prctl(PR_SET_PDEATHSIG, SIGKILL)), since nothing follows
     * a SIGKILL of concbench.
     */
    int (*setup)(const struct concbench_run *run, unsigned char *param,
                 size_t *param_bytes, void **state, char *why,
                 size_t why_len);
    /*
     * NULL, or undo what setup made (stop its server, remove its file):
     * once, at the end of the run, if setup succeeded. A process the setup
     * started that is still running after it is killed and reaped.
     */
    void (*teardown)(void *state);
    void *reserved[2]; /* zero */
};

struct concbench_kernel {
    /* [a-z0-9_], 1 to 31 characters, unique among all kernels. */
    const char *name;
    const char *summary; /* one line for --list */
    /* The task's value, before concbench mixes in its index. */
    uint64_t (*run)(const struct concbench_task *task);
    /* Non-zero if value is right for task; else why[] says why not. */
    int (*check)(uint64_t value, const struct concbench_task *task,
                 char *why, size_t why_len);
    /*
     * NULL, or called once in every process that loads the kernel, before
     * any of its tasks runs; 0, or non-zero with why[] set, and the kernel
     * cannot be used.
     */
    int (*init)(char *why, size_t why_len);
    /* NULL, or what the kernel needs ready for the run (version 2). */
    const struct concbench_fixture *fixture;
    void *reserved[3]; /* zero */
};

struct concbench_kernel_table {
    unsigned abi_version; /* CONCBENCH_KERNEL_ABI when built */
    unsigned count;
    const struct concbench_kernel *kernels;
};

static inline void concbench_checkpoint(const struct concbench_task *t)
{
    if (t->hooks && t->hooks->checkpoint)
        t->hooks->checkpoint(t->hooks_ctx);
}

static inline void concbench_block_begin(const struct concbench_task *t)
{
    if (t->hooks && t->hooks->block_begin)
        t->hooks->block_begin(t->hooks_ctx);
}

static inline void concbench_block_end(const struct concbench_task *t)
{
    if (t->hooks && t->hooks->block_end)
        t->hooks->block_end(t->hooks_ctx);
}

#ifdef __cplusplus
}
#endif

#endif
