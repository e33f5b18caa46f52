/*
 * gmp_pow: 99999 ** 99999, the first seed note's CPU-bound task, with GMP's
 * mpz_pow_ui. One library call: it never reaches a checkpoint, like one
 * long Python bytecode.
 */
#include "kernels.h"

#include <gmp.h>
#include <inttypes.h>
#include <stdio.h>

static uint64_t gmp_pow_run(const struct concbench_task *t)
{
    (void)t;
    mpz_t base, r;
    mpz_init_set_ui(base, 99999);
    mpz_init(r);
    mpz_pow_ui(r, base, 99999);
    uint64_t bits = mpz_sizeinbase(r, 2);
    uint64_t mod = mpz_fdiv_ui(r, 1000000007u);
    mpz_clear(r);
    mpz_clear(base);
    return bits << 32 | mod;
}

static int gmp_pow_check(uint64_t value, const struct concbench_task *t,
                         char *why, size_t why_len)
{
    (void)t;
    uint64_t bits = value >> 32, mod = value & 0xffffffffu;
    if (bits == CB_GMP_POW_BITS && mod == CB_GMP_POW_MOD)
        return true;
    snprintf(why, why_len,
             "99999^99999 has %" PRIu64 " bits and is %" PRIu64
             " mod 1000000007, expected %u and %u",
             bits, mod, CB_GMP_POW_BITS, CB_GMP_POW_MOD);
    return false;
}

const struct cb_kernel cb_kernel_gmp_pow = {
    .name = "gmp_pow",
    .summary = "99999^99999 with GMP's mpz_pow_ui (CPU-bound)",
    .run = gmp_pow_run,
    .check = gmp_pow_check,
};
