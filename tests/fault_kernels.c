/*
 * Test-only kernels that misbehave on task 1 and behave like noop on every
 * other task, so that a test can check that the failure is reported for the
 * right task and that the batch's other workers are cleaned up.
 *
 * Linked only into test programs (the C tests and the test driver,
 * concbench-test), which find them by name: a constructor adds them to the
 * kernel registry before main(), so a fresh image of the same program has
 * them too. The product, concbench, has none of them.
 *
 * fault_crash and fault_exit end the calling process: in a thread mode that
 * is the whole program, which is the point of process isolation.
 */
#include "fault_kernels.h"

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { FAULTY_TASK = 1 };

static int zero_check(uint64_t value, const struct concbench_task *t,
                      char *why, size_t why_len)
{
    (void)t;
    if (value == 0)
        return true;
    snprintf(why, why_len, "value %" PRIu64 ", expected 0", value);
    return false;
}

static uint64_t crash_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    if (task == FAULTY_TASK) {
        /* No core file: the crash is expected and would only litter. */
        setrlimit(RLIMIT_CORE, &(struct rlimit){0, 0});
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    return 0;
}

static uint64_t exit_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    if (task == FAULTY_TASK)
        _exit(3);
    return 0;
}

/* exit, not _exit: the C library's exit handlers run, and with status 0. */
static uint64_t exit0_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    if (task == FAULTY_TASK)
        exit(0);
    return 0;
}

/* Sleeps, a cancellation point, so that thread modes can stop it too. */
static uint64_t hang_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    while (task == FAULTY_TASK)
        nanosleep(&(struct timespec){.tv_sec = 3600}, NULL);
    return 0;
}

static uint64_t wrong_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    return task == FAULTY_TASK ? 42 : 0;
}

/*
 * Wrong only the third time task 1 runs in this run of the driver (the
 * count is on a page shared by the processes forked from it, made when it
 * starts, so use it in serial or a thread mode: the driver measures every
 * repetition in a process of its own, csrc/isolate.h): a benchmark whose
 * repetitions would fail in one place and succeed in the others, which once
 * crashed Google Benchmark's aggregates (suite.c).
 */
static atomic_uint *once_runs;

static uint64_t once_run(const struct concbench_task *t)
{
    unsigned task = t->index;
    if (task == FAULTY_TASK && once_runs &&
        atomic_fetch_add(once_runs, 1) + 1 == 3)
        return 42;
    return 0;
}

#define FAULT(n, what, fn)                                                     \
    {.name = n, .summary = what, .run = fn, .check = zero_check}

const struct cb_kernel cb_fault_kernels[] = {
    FAULT("fault_crash", "task 1 dies of SIGSEGV", crash_run),
    FAULT("fault_exit", "task 1 calls _exit(3)", exit_run),
    FAULT("fault_exit0", "task 1 calls exit(0)", exit0_run),
    FAULT("fault_hang", "task 1 never returns", hang_run),
    FAULT("fault_wrong", "task 1 returns a wrong digest", wrong_run),
    FAULT("fault_once",
          "task 1's third run in a process returns a wrong digest", once_run),
};
const size_t cb_fault_kernel_count =
    sizeof cb_fault_kernels / sizeof cb_fault_kernels[0];

__attribute__((constructor)) static void add_fault_kernels(void)
{
    void *p = mmap(NULL, sizeof *once_runs, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    once_runs = p == MAP_FAILED ? NULL : p;
    cb_kernels_add(cb_fault_kernels, cb_fault_kernel_count);
}
