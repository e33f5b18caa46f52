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
    const struct cb_kernel *k = cb_kernel_find(name);
    assert_non_null(k);
    return k;
}

static const struct cb_params params = {.io_ms = 30};
/* A worker without hooks, as most modes run a task. */
static const struct cb_worker plain = {.slot = 0};

static void test_gmp_pow_value(void **state)
{
    (void)state;
    const struct cb_kernel *k = kernel("gmp_pow");
    uint64_t v = cb_kernel_value(k, 0, &params, &plain);
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
    uint64_t v = cb_kernel_value(kernel("logpow"), 0, &params, &plain);
    double sum;
    memcpy(&sum, &v, sizeof sum);
    assert_true(fabs(sum - 442204090064.24091) <= 1e-12 * 442204090064.24091);
}

static void test_io_sleep_sleeps(void **state)
{
    (void)state;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t slept = cb_kernel_value(kernel("io_sleep"), 0, &params, &plain);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t took = (b.tv_sec - a.tv_sec) * 1000000000LL + b.tv_nsec - a.tv_nsec;
    assert_true(slept >= 30000000u);
    assert_true(took >= (int64_t)slept);
}

static void test_noop_value(void **state)
{
    (void)state;
    assert_int_equal(cb_kernel_value(kernel("noop"), 5, &params, &plain), 0);
}

/* Every kernel's digest checks for its own task and for no other. */
static void test_digest_is_bound_to_task(void **state)
{
    (void)state;
    char why[160];
    const struct cb_kernel *noop = kernel("noop");
    start_fixtures(cb_kernels, cb_kernel_count, 1);
    for (size_t i = 0; i < cb_kernel_count; i++) {
        const struct cb_kernel *k = cb_kernels[i];
        struct cb_params p = {.io_ms = 1};
        cb_fixture_params(k, &p);
        uint64_t d3 = cb_kernel_digest(k, 3, &p, &plain);
        assert_true(cb_kernel_check(k, 3, d3, &p, why, sizeof why));
        assert_false(cb_kernel_check(k, 4, d3, &p, why, sizeof why));
        /* A value of 0 (noop's digest) is wrong for all but noop. */
        uint64_t zero = cb_kernel_digest(noop, 3, &p, &plain);
        uint64_t wrong = k == noop ? zero ^ 1 : zero;
        why[0] = '\0';
        assert_false(cb_kernel_check(k, 3, wrong, &p, why, sizeof why));
        assert_true(strlen(why) > 0);
    }
    cb_fixtures_stop();
}

static void test_wrong_values_are_explained(void **state)
{
    (void)state;
    char why[160];
    struct concbench_task p = {.io_ms = 30};
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

/* What the hooks saw: calls in order, one letter each. */
struct trace {
    char calls[2048];
    size_t n;
    unsigned checkpoints;
    int64_t first_ns, last_ns; /* when the first and last hook ran */
};

static void note(void *ctx, char c)
{
    struct trace *t = ctx;
    int64_t now = cb_now_ns();
    if (t->n == 0)
        t->first_ns = now;
    t->last_ns = now;
    if (t->n + 1 < sizeof t->calls)
        t->calls[t->n++] = c;
}

static void on_checkpoint(void *ctx)
{
    struct trace *t = ctx;
    t->checkpoints++;
    if (t->checkpoints == 1)
        note(ctx, 'c');
}

static void on_block_begin(void *ctx)
{
    note(ctx, 'b');
}

static void on_block_end(void *ctx)
{
    note(ctx, 'e');
}

static void on_task_begin(void *ctx)
{
    note(ctx, 'T');
}

static void on_task_end(void *ctx)
{
    note(ctx, 't');
}

static const struct concbench_hooks tracing = {.checkpoint = on_checkpoint,
                                        .block_begin = on_block_begin,
                                        .block_end = on_block_end,
                                        .task_begin = on_task_begin,
                                        .task_end = on_task_end};

/* A worker whose hooks trace into t, cleared. */
static struct cb_worker traced(struct trace *t)
{
    *t = (struct trace){0};
    return (struct cb_worker){.slot = 0, .hooks = &tracing, .ctx = t};
}

/*
 * logpow calls checkpoint once every CB_CHECKPOINT_EVERY iterations of each
 * of its two loops and nothing else, and its sum is bit for bit the same.
 */
static void test_logpow_checkpoints(void **state)
{
    (void)state;
    struct trace t;
    struct cb_worker w = traced(&t);
    uint64_t with = cb_kernel_value(kernel("logpow"), 0, &params, &w);
    uint64_t without = cb_kernel_value(kernel("logpow"), 0, &params, &plain);
    assert_int_equal(with, without);
    unsigned per_loop = (500000 + CB_CHECKPOINT_EVERY - 1) / CB_CHECKPOINT_EVERY;
    assert_int_equal(t.checkpoints, 2 * per_loop);
    assert_string_equal(t.calls, "c");
}

/* io_sleep brackets its sleep with block_begin and block_end, once. */
static void test_io_sleep_blocks(void **state)
{
    (void)state;
    struct trace t;
    struct cb_worker w = traced(&t);
    uint64_t slept = cb_kernel_value(kernel("io_sleep"), 0, &params, &w);
    assert_string_equal(t.calls, "be");
    assert_true(slept >= 30000000u);
    /* The sleep is inside the bracket. */
    assert_true(t.last_ns - t.first_ns >= (int64_t)slept);
}

/* gmp_pow is one library call and noop nothing: no hooks, same values. */
static void test_single_step_kernels_call_no_hooks(void **state)
{
    (void)state;
    static const char *const names[] = {"gmp_pow", "noop"};
    for (size_t i = 0; i < 2; i++) {
        struct trace t;
        struct cb_worker w = traced(&t);
        assert_int_equal(cb_kernel_value(kernel(names[i]), 0, &params, &w),
                         cb_kernel_value(kernel(names[i]), 0, &params, &plain));
        assert_int_equal(t.n, 0);
        assert_int_equal(t.checkpoints, 0);
    }
}

/*
 * cb_task_run calls task_begin before the kernel and task_end after it,
 * both inside the task's measured interval, and the digest still checks.
 */
static void test_task_run_calls_task_hooks(void **state)
{
    (void)state;
    struct trace t;
    struct cb_job job = {.kernel = kernel("io_sleep"), .params = params,
                         .tasks = 1, .workers = 1};
    struct cb_worker w = traced(&t);
    struct cb_task_result r;
    cb_task_run(&job, 0, &w, NULL, &r);
    assert_string_equal(t.calls, "Tbet");
    assert_true(r.start_ns <= t.first_ns && t.last_ns <= r.end_ns);
    char why[160];
    assert_true(cb_kernel_check(job.kernel, 0, r.digest, &job.params, why,
                                sizeof why));

    job.kernel = kernel("noop");
    w = traced(&t);
    cb_task_run(&job, 0, &w, NULL, &r);
    assert_string_equal(t.calls, "Tt");
}

/* Only io_sleep is a pure wait; a waited time makes a digest that checks. */
static void test_wait_ns(void **state)
{
    (void)state;
    for (size_t i = 0; i < cb_kernel_count; i++) {
        const struct cb_kernel *k = cb_kernels[i];
        int64_t w = cb_kernel_wait_ns(k, &params);
        if (strcmp(k->name, "io_sleep") == 0)
            assert_int_equal(w, 30 * 1000000);
        else
            assert_int_equal(w, -1);
    }
    for (size_t i = 0; i < cb_fault_kernel_count; i++)
        assert_int_equal(cb_kernel_wait_ns(&cb_fault_kernels[i], &params), -1);
    /* A copy of the table entry is the same kernel. */
    struct cb_kernel copy = *kernel("io_sleep");
    assert_int_equal(cb_kernel_wait_ns(&copy, &params), 30 * 1000000);

    char why[160];
    const struct cb_kernel *k = kernel("io_sleep");
    assert_true(cb_kernel_check(k, 5, cb_kernel_value_digest(5, 30000001),
                                &params, why, sizeof why));
    assert_false(cb_kernel_check(k, 5, cb_kernel_value_digest(5, 29999999),
                                 &params, why, sizeof why));
    assert_false(cb_kernel_check(k, 6, cb_kernel_value_digest(5, 30000001),
                                 &params, why, sizeof why));
    assert_int_equal(cb_kernel_value_digest(7, 0),
                     cb_kernel_digest(kernel("noop"), 7, &params, &plain));
}

static void test_find(void **state)
{
    (void)state;
    assert_null(cb_kernel_find("fault_crash"));
    assert_null(cb_kernel_find("gmp"));
    assert_non_null(cb_kernel_by_name("fault_crash"));
    assert_null(cb_kernel_by_name("gmp"));
    assert_ptr_equal(cb_kernel_by_name("noop"), cb_kernel_find("noop"));
    assert_ptr_equal(cb_kernel_by_name("fault_crash"),
                     &cb_fault_kernels[0]);
    assert_non_null(cb_kernel_added(0));
    assert_null(cb_kernel_added(cb_fault_kernel_count));
}

/*
 * The allocator tuning the driver and the spawned workers do first: it
 * works (0), or is skipped in a sanitizer build (1), whose allocator is not
 * glibc's; it never fails there (ASan's mallopt returns 0), also twice.
 */
static void test_kernels_init(void **state)
{
    (void)state;
    int rc = cb_kernels_init();
    assert_true(rc == 0 || rc == 1);
    assert_int_equal(cb_kernels_init(), rc);
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
        cmocka_unit_test(test_logpow_checkpoints),
        cmocka_unit_test(test_io_sleep_blocks),
        cmocka_unit_test(test_single_step_kernels_call_no_hooks),
        cmocka_unit_test(test_task_run_calls_task_hooks),
        cmocka_unit_test(test_wait_ns),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_kernels_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
