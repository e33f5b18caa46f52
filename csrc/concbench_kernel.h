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
 */
#ifndef CONCBENCH_KERNEL_H
#define CONCBENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this interface. A library built against another version
 * is refused; a change that a built library could not follow gets a new
 * number.
 */
#define CONCBENCH_KERNEL_ABI 1

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
    /*
     * The port on 127.0.0.1 of concbench's echo server (the net_echo
     * kernel's, which answers a 4-byte index after io_ms), or 0 when none
     * runs. In what was reserved space: a library built before reads zero.
     */
    unsigned echo_port;
    /*
     * The batch's timeout (--timeout) in ms: a task that waits on another
     * process gives up by then. 0: none. Reserved space before, as above.
     */
    unsigned timeout_ms;
    void *reserved[3]; /* zero; for later versions */
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
    void *reserved[4]; /* zero */
};

struct concbench_kernel_table {
    unsigned abi_version; /* CONCBENCH_KERNEL_ABI */
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
