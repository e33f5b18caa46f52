/*
 * Task kernels: the fixed units of work a batch is made of.
 *
 * A kernel computes a value; the digest a task returns is that value mixed
 * with the task's index, so that a task that did not run, ran with the wrong
 * input, or whose result was delivered under another task's index fails the
 * check. Kernels know nothing of timing, workers or Google Benchmark.
 */
#ifndef CB_KERNELS_H
#define CB_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Points where a kernel lets its runner in, for a mode that must act while
 * a task runs (gil: a global lock that a computing task holds and yields).
 * Kernels call them but know nothing of what they do; any may be NULL.
 *
 * - checkpoint: a CPU-bound kernel calls it every so often (logpow every
 *   CB_CHECKPOINT_EVERY iterations), where it could stop and resume without
 *   changing its result; a kernel that is one library call (gmp_pow) never
 *   does, like a single Python bytecode.
 * - block_begin, block_end: around a wait that uses no CPU (io_sleep's
 *   sleep), as Python releases the GIL around time.sleep.
 * - task_begin, task_end: called by cb_task_run, not by kernels, around the
 *   kernel and inside the task's measured interval.
 */
struct cb_hooks {
    void (*checkpoint)(void *ctx);
    void (*block_begin)(void *ctx);
    void (*block_end)(void *ctx);
    void (*task_begin)(void *ctx);
    void (*task_end)(void *ctx);
    void *ctx;
};

/* Iterations of a CPU loop between two checkpoints. */
#define CB_CHECKPOINT_EVERY 1024

/* What a kernel may depend on besides the task index. */
struct cb_params {
    unsigned io_ms; /* io_sleep: how long one task blocks */
    /*
     * NULL but in the gil mode, which sets it for each task in the thread
     * that runs it. A pointer, meaningful in this process only: a mode that
     * sends params to another program image must not send it.
     */
    const struct cb_hooks *hooks;
};

struct cb_kernel {
    const char *name;
    const char *summary;
    /*
     * The kernel's value for one task, not yet mixed with the index. The
     * benchmark kernels do the same work for every task; only the fault
     * kernels look at the index.
     */
    uint64_t (*run)(unsigned task, const struct cb_params *params);
    /* Whether value is right; on false, why[] says what was expected. */
    bool (*check)(uint64_t value, const struct cb_params *params, char *why,
                  size_t why_len);
};

/*
 * Call once, before any worker starts. gmp_pow allocates some 200 KB of
 * temporaries per task; with glibc's defaults the main thread's arena gives
 * them back after every task and faults them in again (about 140 faults a
 * task), while a thread's arena keeps them, so serial would look slower than
 * a one-worker pool for a reason that has nothing to do with the strategy.
 * This makes every arena keep its memory, so that all modes do the same
 * memory work. Returns 0; 1, doing nothing, in a build with a sanitizer
 * that brings its own allocator (-Db_sanitize=address or thread); or -1 if
 * the allocator refused.
 */
int cb_kernels_init(void);

/* The benchmark kernels, in the order the suite runs them. */
extern const struct cb_kernel cb_kernels[];
extern const size_t cb_kernel_count;

/*
 * Kernels that misbehave on task 1 (crash, exit, hang, wrong digest) and
 * behave like noop on every other task. Only the tests use them.
 */
extern const struct cb_kernel cb_fault_kernels[];
extern const size_t cb_fault_kernel_count;

/* The kernel called name in table[0..count), or NULL. */
const struct cb_kernel *cb_kernel_find(const struct cb_kernel *table,
                                       size_t count, const char *name);

/* Run kernel for task and return its digest. */
uint64_t cb_kernel_digest(const struct cb_kernel *kernel, unsigned task,
                          const struct cb_params *params);

/*
 * Whether kernel is a pure wait, and for how long. A pure wait (io_sleep)
 * only waits, without using the CPU, and its value is the time actually
 * waited in ns, which must be at least the wait; a mode that can wait for
 * many tasks at once (async: a timer each) may then time the wait itself
 * instead of calling run, and make the digest of the time it waited with
 * cb_kernel_value_digest. Returns the wait in ns, or -1 for every other
 * kernel (they compute, and run through run).
 *
 * A function, not a field of struct cb_kernel: a field would have to be
 * initialised in every kernel table, the tests' and fault kernels' too.
 */
int64_t cb_kernel_wait_ns(const struct cb_kernel *kernel,
                          const struct cb_params *params);

/* The digest of task for a value made without calling run. */
uint64_t cb_kernel_value_digest(unsigned task, uint64_t value);

/* Whether digest is task's right answer; on false, why[] says how not. */
bool cb_kernel_check(const struct cb_kernel *kernel, unsigned task,
                     uint64_t digest, const struct cb_params *params,
                     char *why, size_t why_len);

/* The check values of DESIGN.md, for the tests. */
#define CB_GMP_POW_BITS 1660946u
#define CB_GMP_POW_MOD 796694068u
#define CB_LOGPOW_SUM 442204090064.24091
#define CB_LOGPOW_RTOL 1e-12

#ifdef __cplusplus
}
#endif

#endif
