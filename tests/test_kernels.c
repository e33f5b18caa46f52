/*
 * The kernels compute DESIGN.md's check values, their digests depend on the
 * task index, and a wrong value or a digest for another task fails the check.
 */
#include "testlib.h"

#include <gmp.h>
#include <math.h>
#include <string.h>
#include <time.h>

static const struct cb_kernel *kernel(const char *name)
{
    const struct cb_kernel *k = cb_kernel_find(cb_kernels, cb_kernel_count,
                                               name);
    assert_non_null(k);
    return k;
}

static const struct cb_params params = {.io_ms = 30};

static void test_gmp_pow_value(void **state)
{
    (void)state;
    const struct cb_kernel *k = kernel("gmp_pow");
    uint64_t v = k->run(0, &params);
    assert_int_equal(v >> 32, 1660946);
    assert_int_equal(v & 0xffffffffu, 796694068);
}

/* The check value itself, recomputed a different way: by mpz_powm_ui. */
static void test_gmp_pow_check_value_independently(void **state)
{
    (void)state;
    mpz_t base, mod, r;
    mpz_init_set_ui(base, 99999);
    mpz_init_set_ui(mod, 1000000007u);
    mpz_init(r);
    mpz_powm_ui(r, base, 99999, mod);
    assert_int_equal(mpz_get_ui(r), CB_GMP_POW_MOD);
    mpz_clears(base, mod, r, NULL);
    /* bits = floor(99999 * log2(99999)) + 1 */
    assert_int_equal((unsigned)floor(99999 * log2(99999.0)) + 1,
                     CB_GMP_POW_BITS);
}

static void test_logpow_value(void **state)
{
    (void)state;
    uint64_t v = kernel("logpow")->run(0, &params);
    double sum;
    memcpy(&sum, &v, sizeof sum);
    assert_true(fabs(sum - 442204090064.24091) <= 1e-12 * 442204090064.24091);
}

static void test_io_sleep_sleeps(void **state)
{
    (void)state;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t slept = kernel("io_sleep")->run(0, &params);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t took = (b.tv_sec - a.tv_sec) * 1000000000LL + b.tv_nsec - a.tv_nsec;
    assert_true(slept >= 30000000u);
    assert_true(took >= (int64_t)slept);
}

static void test_noop_value(void **state)
{
    (void)state;
    assert_int_equal(kernel("noop")->run(5, &params), 0);
}

/* Every kernel's digest checks for its own task and for no other. */
static void test_digest_is_bound_to_task(void **state)
{
    (void)state;
    char why[160];
    const struct cb_kernel *noop = kernel("noop");
    for (size_t i = 0; i < cb_kernel_count; i++) {
        const struct cb_kernel *k = &cb_kernels[i];
        struct cb_params p = {.io_ms = 1};
        uint64_t d3 = cb_kernel_digest(k, 3, &p);
        assert_true(cb_kernel_check(k, 3, d3, &p, why, sizeof why));
        assert_false(cb_kernel_check(k, 4, d3, &p, why, sizeof why));
        /* A value of 0 (noop's digest) is wrong for all but noop. */
        uint64_t zero = cb_kernel_digest(noop, 3, &p);
        uint64_t wrong = k == noop ? zero ^ 1 : zero;
        why[0] = '\0';
        assert_false(cb_kernel_check(k, 3, wrong, &p, why, sizeof why));
        assert_true(strlen(why) > 0);
    }
}

static void test_wrong_values_are_explained(void **state)
{
    (void)state;
    char why[160];
    struct cb_params p = {.io_ms = 30};
    assert_false(kernel("gmp_pow")->check(1660946ull << 32, &p, why,
                                          sizeof why));
    assert_non_null(strstr(why, "796694068"));
    assert_false(kernel("io_sleep")->check(29999999, &p, why, sizeof why));
    assert_non_null(strstr(why, "30 ms"));
    double sum = 442204090064.24091 * (1 + 1e-9);
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    assert_false(kernel("logpow")->check(bits, &p, why, sizeof why));
}

static void test_find(void **state)
{
    (void)state;
    assert_null(cb_kernel_find(cb_kernels, cb_kernel_count, "fault_crash"));
    assert_null(cb_kernel_find(cb_kernels, cb_kernel_count, "gmp"));
    assert_non_null(cb_kernel_find(cb_fault_kernels, cb_fault_kernel_count,
                                   "fault_crash"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gmp_pow_value),
        cmocka_unit_test(test_gmp_pow_check_value_independently),
        cmocka_unit_test(test_logpow_value),
        cmocka_unit_test(test_io_sleep_sleeps),
        cmocka_unit_test(test_noop_value),
        cmocka_unit_test(test_digest_is_bound_to_task),
        cmocka_unit_test(test_wrong_values_are_explained),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
