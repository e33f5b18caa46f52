/*
 * no-io-uring ERRNO PROGRAM [ARGS...]: runs PROGRAM where io_uring_setup
 * fails with ERRNO (EPERM or ENOSYS), as on a machine without io_uring, for
 * the driver's tests (tests/test_concbench.py): the io_uring mode's
 * benchmarks must fail with one line each, and the others run.
 */
#include "refuse_io_uring.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "EPERM") != 0 &&
                     strcmp(argv[1], "ENOSYS") != 0)) {
        fprintf(stderr, "usage: no-io-uring EPERM|ENOSYS PROGRAM [ARGS...]\n");
        return 2;
    }
    int err = strcmp(argv[1], "EPERM") == 0 ? EPERM : ENOSYS;
    if (refuse_io_uring(err) != 0) {
        fprintf(stderr, "no-io-uring: seccomp: %s\n", strerror(errno));
        return 2;
    }
    execvp(argv[2], argv + 2);
    fprintf(stderr, "no-io-uring: %s: %s\n", argv[2], strerror(errno));
    return 127;
}
