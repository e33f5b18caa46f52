/*
 * A seccomp filter that refuses io_uring_setup with an errno, for the tests
 * of a machine where io_uring is not to be had: EPERM as a container's
 * seccomp profile or kernel.io_uring_disabled = 2 answers, ENOSYS as a
 * kernel built without io_uring does. It holds for the calling thread and
 * all it forks and executes from then on, and cannot be lifted: install it
 * in a child (tests/test_io_uring.c) or in a program that then executes
 * the one under test (tests/no_io_uring.c). Test-only: never linked into
 * concbench.
 */
#ifndef CB_TESTS_REFUSE_IO_URING_H
#define CB_TESTS_REFUSE_IO_URING_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

/*
 * 0, or -1 with errno set. no_new_privs first: without CAP_SYS_ADMIN the
 * kernel takes a filter only from a process that can gain no privilege.
 */
static inline int refuse_io_uring(int err)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 (unsigned)offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof code / sizeof code[0]),
        .filter = code,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#endif
