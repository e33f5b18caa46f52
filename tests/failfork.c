/*
 * A preload library for the driver's tests: fork fails with EAGAIN from its
 * Nth call on, N from CB_FAIL_FORK_FROM, so that a pool can start in the
 * first repetitions of a benchmark and not in a later one. The calls are
 * counted over every process forked from the one that loaded it (a shared
 * page), but not that first one's own nor its children's: the driver
 * starts a forker, which forks a process to measure each repetition in
 * (csrc/isolate.h), and the pool starts there.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_ulong *calls;
static pid_t first;

__attribute__((constructor)) static void init(void)
{
    void *p = mmap(NULL, sizeof *calls, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    calls = p == MAP_FAILED ? NULL : p;
    first = getpid();
}

pid_t fork(void)
{
    const char *from = getenv("CB_FAIL_FORK_FROM");
    if (from && calls && getpid() != first && getppid() != first &&
        atomic_fetch_add(calls, 1) + 1 >= strtoul(from, NULL, 10)) {
        errno = EAGAIN;
        return -1;
    }
    pid_t (*real_fork)(void);
    /* POSIX's way to turn dlsym's object pointer into a function's. */
    *(void **)&real_fork = dlsym(RTLD_NEXT, "fork");
    return real_fork();
}
