/*
 * The four benchmark kernels. Each is faithful to the Python experiment it
 * comes from: 99999**99999, a running sum of log and pow over 500000
 * elements, time.sleep(0.1), and nothing at all (to expose the strategy's own
 * cost per task).
 */
#include "kernels.h"

#include <errno.h>
#include <gmp.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* splitmix64's finaliser: distinct, well-mixed tags for task indices. */
static uint64_t task_tag(unsigned task)
{
    uint64_t z = (uint64_t)task + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t gmp_pow_run(unsigned task, const struct cb_params *params)
{
    (void)task;
    (void)params;
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

static bool gmp_pow_check(uint64_t value, const struct cb_params *params,
                          char *why, size_t why_len)
{
    (void)params;
    uint64_t bits = value >> 32, mod = value & 0xffffffffu;
    if (bits == CB_GMP_POW_BITS && mod == CB_GMP_POW_MOD)
        return true;
    snprintf(why, why_len,
             "99999^99999 has %" PRIu64 " bits and is %" PRIu64
             " mod 1000000007, expected %u and %u",
             bits, mod, CB_GMP_POW_BITS, CB_GMP_POW_MOD);
    return false;
}

static void checkpoint(const struct cb_hooks *hooks)
{
    if (hooks && hooks->checkpoint)
        hooks->checkpoint(hooks->ctx);
}

static uint64_t logpow_run(unsigned task, const struct cb_params *params)
{
    (void)task;
    enum { N = 500000, EVERY = CB_CHECKPOINT_EVERY };
    const struct cb_hooks *hooks = params->hooks;
    /*
     * One running sum in the original's order: all logs, then all powers.
     * The loops are cut into runs of EVERY iterations with a checkpoint
     * between them; the additions stay the same and in the same order.
     */
    double sum = 0.0;
    for (int i = 0; i < N;) {
        int stop = N - i > EVERY ? i + EVERY : N;
        for (; i < stop; i++)
            sum += log((double)i + 1.0);
        checkpoint(hooks);
    }
    for (int i = 0; i < N;) {
        int stop = N - i > EVERY ? i + EVERY : N;
        for (; i < stop; i++)
            sum += pow((double)i, 1.1);
        checkpoint(hooks);
    }
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    return bits;
}

static bool logpow_check(uint64_t value, const struct cb_params *params,
                         char *why, size_t why_len)
{
    (void)params;
    double sum;
    memcpy(&sum, &value, sizeof sum);
    if (fabs(sum - CB_LOGPOW_SUM) <= CB_LOGPOW_RTOL * CB_LOGPOW_SUM)
        return true;
    snprintf(why, why_len, "sum is %.17g, expected %.17g", sum,
             CB_LOGPOW_SUM);
    return false;
}

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The value is the time actually slept, so the check can prove the sleep. */
static uint64_t io_sleep_run(unsigned task, const struct cb_params *params)
{
    (void)task;
    const struct cb_hooks *hooks = params->hooks;
    if (hooks && hooks->block_begin)
        hooks->block_begin(hooks->ctx);
    int64_t begin = monotonic_ns();
    int64_t end_ns = begin + (int64_t)params->io_ms * 1000000;
    struct timespec until = {
        .tv_sec = end_ns / 1000000000,
        .tv_nsec = end_ns % 1000000000,
    };
    /* An absolute deadline makes a restart after a signal sleep no longer. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
           EINTR)
        ;
    uint64_t slept = (uint64_t)(monotonic_ns() - begin);
    if (hooks && hooks->block_end)
        hooks->block_end(hooks->ctx);
    return slept;
}


static bool io_sleep_check(uint64_t value, const struct cb_params *params,
                           char *why, size_t why_len)
{
    uint64_t want = (uint64_t)params->io_ms * 1000000;
    /*
     * No batch outlives the longest timeout, an hour: a larger value is not
     * a sleep time but a digest mixed up with another task's.
     */
    uint64_t most = want + 3600ull * 1000000000;
    if (value >= want && value <= most)
        return true;
    if (value < want)
        snprintf(why, why_len, "slept %" PRIu64 " ns, less than the %u ms "
                 "asked", value, params->io_ms);
    else
        snprintf(why, why_len, "%" PRIu64 " ns is no sleep time", value);
    return false;
}

static uint64_t noop_run(unsigned task, const struct cb_params *params)
{
    (void)task;
    (void)params;
    return 0;
}

static bool noop_check(uint64_t value, const struct cb_params *params,
                       char *why, size_t why_len)
{
    (void)params;
    if (value == 0)
        return true;
    snprintf(why, why_len, "value %" PRIu64 ", expected 0", value);
    return false;
}

int cb_kernels_init(void)
{
    /*
     * A sanitizer with an allocator of its own (ASan, TSan, MSan, HWASan)
     * answers mallopt with 0: there is no glibc heap to tune.
     */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    defined(__SANITIZE_HWADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer) || __has_feature(hwaddress_sanitizer)
    return 1;
#endif
#endif
    /* Fixing the mmap threshold also turns off glibc's dynamic threshold. */
    if (!mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) ||
        !mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024))
        return -1;
    return 0;
}

const struct cb_kernel cb_kernels[] = {
    {"gmp_pow", "99999^99999 with GMP's mpz_pow_ui (CPU-bound)", gmp_pow_run,
     gmp_pow_check},
    {"logpow", "sum of log(i+1) and pow(i, 1.1) for i < 500000 (CPU-bound)",
     logpow_run, logpow_check},
    {"io_sleep", "block --io-ms milliseconds without using the CPU (I/O-bound)",
     io_sleep_run, io_sleep_check},
    {"noop", "return at once (the strategy's own cost per task)", noop_run,
     noop_check},
};
const size_t cb_kernel_count = sizeof cb_kernels / sizeof cb_kernels[0];

const struct cb_kernel *cb_kernel_find(const struct cb_kernel *table,
                                       size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

uint64_t cb_kernel_digest(const struct cb_kernel *kernel, unsigned task,
                          const struct cb_params *params)
{
    return cb_kernel_value_digest(task, kernel->run(task, params));
}

int64_t cb_kernel_wait_ns(const struct cb_kernel *kernel,
                          const struct cb_params *params)
{
    /* By function, so that a copy of the table entry is one too. */
    if (kernel->run == io_sleep_run)
        return (int64_t)params->io_ms * 1000000;
    return -1;
}

uint64_t cb_kernel_value_digest(unsigned task, uint64_t value)
{
    return value ^ task_tag(task);
}

bool cb_kernel_check(const struct cb_kernel *kernel, unsigned task,
                     uint64_t digest, const struct cb_params *params,
                     char *why, size_t why_len)
{
    return kernel->check(digest ^ task_tag(task), params, why, why_len);
}
