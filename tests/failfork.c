/*
 * A preload library for the driver's tests: fork fails with EAGAIN from its
 * Nth call on, N from CB_FAIL_FORK_FROM, so that a pool can start in the
 * first repetitions of a benchmark and not in a later one.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

pid_t fork(void)
{
    static atomic_ulong calls;
    const char *from = getenv("CB_FAIL_FORK_FROM");
    if (from && atomic_fetch_add(&calls, 1) + 1 >= strtoul(from, NULL, 10)) {
        errno = EAGAIN;
        return -1;
    }
    pid_t (*real_fork)(void);
    /* POSIX's way to turn dlsym's object pointer into a function's. */
    *(void **)&real_fork = dlsym(RTLD_NEXT, "fork");
    return real_fork();
}
