/*
 * Kernel libraries that concbench must refuse, one per BAD_ define (see
 * tests/meson.build): no table, another ABI version, a name that exists
 * already, a name that is not one, no check function, an init that fails.
 */
#include "concbench_kernel.h"

#include <stdio.h>

#define UNUSED __attribute__((unused))

UNUSED static uint64_t run(const struct concbench_task *t)
{
    (void)t;
    return 0;
}

UNUSED static int check(uint64_t value, const struct concbench_task *t, char *why,
                 size_t len)
{
    (void)t;
    (void)why;
    (void)len;
    return value == 0;
}

UNUSED static int init_fails(char *why, size_t len)
{
    snprintf(why, len, "no license for this machine");
    return -1;
}

#ifndef BAD_NO_TABLE
static const struct concbench_kernel kernels[] = {
#if defined(BAD_DUPLICATE)
    {.name = "noop", .summary = "a second noop", .run = run, .check = check},
#elif defined(BAD_NAME)
    {.name = "Bad-Name", .summary = "capitals", .run = run, .check = check},
#elif defined(BAD_NO_CHECK)
    {.name = "no_check", .summary = "no check", .run = run},
#elif defined(BAD_INIT)
    {.name = "init_fails", .summary = "init fails", .run = run,
     .check = check, .init = init_fails},
#else
    {.name = "fine", .summary = "fine", .run = run, .check = check},
#endif
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
#ifdef BAD_ABI
    99, /* a version no concbench has */
#else
    CONCBENCH_KERNEL_ABI,
#endif
    1, kernels};
#endif
