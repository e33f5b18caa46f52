/*
 * The kernel registry, and what every kernel shares: the digest that binds
 * a value to its task, the check, and the allocator set-up.
 */
#include "kernels.h"

#include <malloc.h>
#include <string.h>

extern const struct cb_kernel cb_kernel_gmp_pow, cb_kernel_logpow,
    cb_kernel_io_sleep, cb_kernel_noop;

const struct cb_kernel *const cb_kernels[] = {
    &cb_kernel_gmp_pow,
    &cb_kernel_logpow,
    &cb_kernel_io_sleep,
    &cb_kernel_noop,
};
const size_t cb_kernel_count = sizeof cb_kernels / sizeof cb_kernels[0];

/* Added kernels: a few tables, filled before main() and only read after. */
enum { MAX_ADDED = 64 };
static const struct cb_kernel *added[MAX_ADDED];
static size_t n_added;

int cb_kernels_add(const struct cb_kernel *table, size_t count)
{
    if (count > MAX_ADDED - n_added)
        return -1;
    for (size_t i = 0; i < count; i++)
        added[n_added++] = &table[i];
    return 0;
}

const struct cb_kernel *cb_kernel_added(size_t i)
{
    return i < n_added ? added[i] : NULL;
}

static const struct cb_kernel *find_in(const struct cb_kernel *const *table,
                                       size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct cb_kernel *cb_kernel_find(const char *name)
{
    return find_in(cb_kernels, cb_kernel_count, name);
}

const struct cb_kernel *cb_kernel_by_name(const char *name)
{
    const struct cb_kernel *k = cb_kernel_find(name);
    return k ? k : find_in(added, n_added, name);
}

int cb_kernels_init(void)
{
    /* Fixing the mmap threshold also turns off glibc's dynamic threshold. */
    if (!mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) ||
        !mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024))
        return -1;
    return 0;
}

/* splitmix64's finaliser: distinct, well-mixed tags for task indices. */
static uint64_t task_tag(unsigned task)
{
    uint64_t z = (uint64_t)task + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

struct concbench_task cb_kernel_task(unsigned task,
                                     const struct cb_params *params,
                                     const struct cb_worker *worker)
{
    return (struct concbench_task){
        .index = task,
        .io_ms = params->io_ms,
        .hooks = worker ? worker->hooks : NULL,
        .hooks_ctx = worker ? worker->ctx : NULL,
    };
}

uint64_t cb_kernel_value(const struct cb_kernel *kernel, unsigned task,
                         const struct cb_params *params,
                         const struct cb_worker *worker)
{
    struct concbench_task t = cb_kernel_task(task, params, worker);
    return kernel->run(&t);
}

uint64_t cb_kernel_digest(const struct cb_kernel *kernel, unsigned task,
                          const struct cb_params *params,
                          const struct cb_worker *worker)
{
    return cb_kernel_value_digest(task,
                                  cb_kernel_value(kernel, task, params,
                                                  worker));
}

int64_t cb_kernel_wait_ns(const struct cb_kernel *kernel,
                          const struct cb_params *params)
{
    return kernel->wait_ns ? kernel->wait_ns(params) : -1;
}

uint64_t cb_kernel_value_digest(unsigned task, uint64_t value)
{
    return value ^ task_tag(task);
}

bool cb_kernel_check(const struct cb_kernel *kernel, unsigned task,
                     uint64_t digest, const struct cb_params *params,
                     char *why, size_t why_len)
{
    struct concbench_task t = cb_kernel_task(task, params, NULL);
    return kernel->check(digest ^ task_tag(task), &t, why, why_len) != 0;
}
