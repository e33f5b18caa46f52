/*
 * Task kernels: the fixed units of work a batch is made of, and the
 * registry that finds them by name.
 *
 * A kernel computes a value; the digest a task returns is that value mixed
 * with the task's index, so that a task that did not run, ran with the wrong
 * input, or whose result was delivered under another task's index fails the
 * check. Kernels know nothing of timing, workers or Google Benchmark.
 *
 * Adding a kernel: one file in csrc/kernels/ defining a const struct
 * cb_kernel, one line in the table of kernel.c, one line in csrc/meson.build
 * (HACKING.md).
 */
#ifndef CB_KERNELS_H
#define CB_KERNELS_H

#include "concbench_kernel.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The worker a task runs in, as the task sees it: its slot, and the hooks
 * of the mode that runs it. Made by the mode in the thread or process that
 * runs the task, so it may hold pointers: it never crosses a process.
 */
struct cb_worker {
    int slot;                            /* 0..W-1 */
    const struct concbench_hooks *hooks; /* NULL, or the mode's */
    void *ctx;                           /* the hooks' argument */
};

/* Iterations of a CPU loop between two checkpoints. */
#define CB_CHECKPOINT_EVERY 1024

/*
 * What a kernel may depend on besides the task index. Plain data: a mode
 * may send it to another program image (role.h).
 */
struct cb_params {
    unsigned io_ms;   /* io_sleep: how long one task blocks */
    uint64_t payload; /* bytes of input and of output a task has, or 0 */
    /*
     * The job's timeout_ms, which the executor copies here: a kernel that
     * waits on another process (a server) gives up on it by then.
     */
    unsigned timeout_ms;
    /*
     * The kernel's parameter, as its tasks get it (concbench_task's param):
     * what its fixture's setup wrote (fixture.h, cb_fixture_params), bytes
     * that cross to fresh images on their command line. param[param_bytes]
     * is 0.
     */
    unsigned param_bytes;
    unsigned char param[CONCBENCH_PARAM_MAX + 1];
};

/*
 * A request on a stream socket, as a kernel describes it to a mode that
 * makes the calls itself (cb_kernel_async's exchange): connect to addr,
 * send the request's bytes, read answer_bytes back, close. The kernel says
 * what the request is; the mode says how it is made (non-blocking steps in
 * an epoll loop, requests on an io_uring).
 */
#define CB_EXCHANGE_MAX 64
struct cb_exchange {
    struct sockaddr_storage addr; /* a SOCK_STREAM socket of its family */
    socklen_t addr_len;
    unsigned char request[CB_EXCHANGE_MAX];
    size_t request_bytes; /* 1..CB_EXCHANGE_MAX */
    size_t answer_bytes;  /* 1..CB_EXCHANGE_MAX */
    /* When the kernel described it: what its value checks the answer by. */
    int64_t begin_ns;
};

/* How a request ended, for the kernel's exchange_value. */
enum cb_exchange_end {
    CB_EXCHANGE_ANSWERED, /* answer_bytes came back */
    /* This call failed, with errno err. */
    CB_EXCHANGE_SOCKET,
    CB_EXCHANGE_CONNECT,
    CB_EXCHANGE_SEND,
    CB_EXCHANGE_RECV,
    /* The peer closed the connection before the whole answer. */
    CB_EXCHANGE_CLOSED,
};

/*
 * What a kernel offers a mode that runs many tasks on one thread's event
 * loop (async, io_uring), beside run: either its task is a pure wait
 * (wait_ns), or it is one request on a stream socket (exchange,
 * exchange_value). A kernel without either runs inline there, one task
 * after another. Both say what the task's I/O is, not how to wait for it:
 * each mode makes it its own way, and gets the same value for it.
 *
 * wait_ns: the kernel is a pure wait of this many ns. A pure wait
 * (io_sleep) only waits, without using the CPU, and its value is the time
 * actually waited in ns, which must be at least the wait; the mode may
 * time the wait itself instead of calling run, and make the digest of the
 * time it waited with cb_kernel_value_digest.
 *
 * exchange: fills *x with the task's request and returns 0; or returns 1
 * with the task's value in *value when it ends before any call (a failure
 * the check refuses: no server to ask). exchange_value: the task's value
 * once the request described as *x ended as end (err: the failed call's
 * errno, else 0), with the answer_bytes read in answer when it was
 * answered (NULL otherwise). A failure is a value the check refuses and
 * describes, as with run.
 */
struct cb_kernel_async {
    int64_t (*wait_ns)(const struct cb_params *params);
    int (*exchange)(const struct concbench_task *t, struct cb_exchange *x,
                    uint64_t *value);
    uint64_t (*exchange_value)(const struct concbench_task *t,
                               const struct cb_exchange *x,
                               enum cb_exchange_end end, int err,
                               const unsigned char *answer);
};

/*
 * A kernel: the public interface's fields (concbench_kernel.h: name,
 * summary, run, check, init, fixture), which built-in and loaded kernels
 * share, and what only built-in kernels may have.
 */
struct cb_kernel {
    const char *name;
    const char *summary;
    /*
     * The kernel's value for one task, not yet mixed with the index. The
     * benchmark kernels do the same work for every task; only the tests'
     * fault kernels look at the index.
     */
    uint64_t (*run)(const struct concbench_task *task);
    /* Non-zero if value is right; else why[] says what was expected. */
    int (*check)(uint64_t value, const struct concbench_task *task,
                 char *why, size_t why_len);
    /* NULL, or once per process before its tasks; 0 or -1 with why[]. */
    int (*init)(char *why, size_t why_len);
    /*
     * NULL, or what the kernel needs ready for the whole run, set up once
     * by the driver (fixture.h), its parameter in params.
     */
    const struct concbench_fixture *fixture;
    /* NULL, or what it offers an event loop (async, io_uring). */
    const struct cb_kernel_async *async;
    /*
     * Run only when --kernels names it, not by default (the default
     * suite's benchmarks, and its length, stay as they were).
     */
    bool opt_in;
    /* NULL for a built-in kernel; else the library it was loaded from. */
    const char *library;
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
extern const struct cb_kernel *const cb_kernels[];
extern const size_t cb_kernel_count;

/* The benchmark kernel called name, or NULL. */
const struct cb_kernel *cb_kernel_find(const char *name);

/*
 * Kernels beyond the benchmark kernels (the tests' fault kernels), added
 * before main() runs (from a constructor), so that a fresh program image of
 * the same executable has them too. They are found by name like the others
 * but are not benchmark kernels: --list and the default run leave them out.
 * Returns 0, or -1 if the registry is full.
 */
int cb_kernels_add(const struct cb_kernel *table, size_t count);

/*
 * Load the kernels of the library at path (concbench_kernel.h): dlopen it,
 * check its table (the ABI version; every kernel's name well formed and
 * new, run and check set), call each kernel's init, and add them to the
 * registry as loaded kernels, which are found by name, listed and run by
 * default like the benchmark kernels. Returns 0, or -1 with why[] saying
 * what is wrong (without the path) and nothing added. Its constructors
 * and inits run under the guard (guard.h: one that exits or crashes ends
 * the driver with status 2 and a line naming path), and SIGCHLD's action
 * and the signal mask are as they were before, whatever they did.
 */
int cb_kernel_lib_load(const char *path, char *why, size_t why_len);

/*
 * The kernel called name: a benchmark kernel, a loaded one or an added
 * one; or NULL.
 */
const struct cb_kernel *cb_kernel_by_name(const char *name);

/* The added kernels, i from 0 while it returns non-NULL. */
const struct cb_kernel *cb_kernel_added(size_t i);

/* The loaded kernels, i from 0 while it returns non-NULL. */
const struct cb_kernel *cb_kernel_loaded(size_t i);

/*
 * The task kernel's run and check see: index, params (the parameter
 * points into params) and worker's hooks.
 */
struct concbench_task cb_kernel_task(unsigned task,
                                     const struct cb_params *params,
                                     const struct cb_worker *worker);

/* Run kernel for task in worker: its value, and its digest. */
uint64_t cb_kernel_value(const struct cb_kernel *kernel, unsigned task,
                         const struct cb_params *params,
                         const struct cb_worker *worker);
uint64_t cb_kernel_digest(const struct cb_kernel *kernel, unsigned task,
                          const struct cb_params *params,
                          const struct cb_worker *worker);

/* Kernel's wait in ns if it is a pure wait (cb_kernel_async), else -1. */
int64_t cb_kernel_wait_ns(const struct cb_kernel *kernel,
                          const struct cb_params *params);

/*
 * Kernel's capability if its task is one request on a stream socket
 * (cb_kernel_async's exchange and exchange_value), else NULL.
 */
const struct cb_kernel_async *cb_kernel_exchange(const struct cb_kernel *kernel);

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
