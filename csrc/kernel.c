/*
 * The kernel registry, and what every kernel shares: the digest that binds
 * a value to its task, the check, and the allocator set-up.
 */
#include "kernels.h"

#include "child.h"
#include "guard.h"

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct cb_kernel cb_kernel_gmp_pow, cb_kernel_logpow,
    cb_kernel_io_sleep, cb_kernel_net_echo, cb_kernel_noop;

const struct cb_kernel *const cb_kernels[] = {
    &cb_kernel_gmp_pow,
    &cb_kernel_logpow,
    &cb_kernel_io_sleep,
    &cb_kernel_net_echo,
    &cb_kernel_noop,
};
const size_t cb_kernel_count = sizeof cb_kernels / sizeof cb_kernels[0];

/*
 * A library built for version 1 of the interface reads a task and gives
 * its kernels in the same places as before: version 2 uses only what was
 * reserved space (concbench_kernel.h).
 */
struct abi1_task {
    unsigned index, io_ms;
    const unsigned char *input;
    size_t input_bytes;
    const struct concbench_hooks *hooks;
    void *hooks_ctx;
    unsigned port, timeout_ms;
    void *reserved[3];
};
struct abi1_kernel {
    const char *name, *summary;
    uint64_t (*run)(const struct concbench_task *task);
    int (*check)(uint64_t, const struct concbench_task *, char *, size_t);
    int (*init)(char *why, size_t why_len);
    void *reserved[4];
};
#define SAME_PLACE(a, b, field) \
    (offsetof(struct a, field) == offsetof(struct b, field))
_Static_assert(sizeof(struct abi1_task) == sizeof(struct concbench_task) &&
                   SAME_PLACE(abi1_task, concbench_task, timeout_ms) &&
                   SAME_PLACE(abi1_task, concbench_task, hooks_ctx) &&
                   offsetof(struct concbench_task, param) >=
                       offsetof(struct abi1_task, reserved) &&
                   sizeof(size_t) == sizeof(void *),
               "concbench_task: version 1's fields moved");
_Static_assert(sizeof(struct abi1_kernel) == sizeof(struct concbench_kernel) &&
                   SAME_PLACE(abi1_kernel, concbench_kernel, init) &&
                   offsetof(struct concbench_kernel, fixture) ==
                       offsetof(struct abi1_kernel, reserved),
               "concbench_kernel: version 1's fields moved");

/*
 * Added kernels (the tests', before main()) and loaded ones (from kernel
 * libraries, while the command line is read): filled before any batch
 * runs, and only read after.
 */
enum { MAX_ADDED = 64, MAX_LOADED = 256 };
static const struct cb_kernel *added[MAX_ADDED];
static size_t n_added;
static const struct cb_kernel *loaded[MAX_LOADED];
static size_t n_loaded;

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

const struct cb_kernel *cb_kernel_loaded(size_t i)
{
    return i < n_loaded ? loaded[i] : NULL;
}

/* Whether name is [a-z0-9_]{1,31}. */
static bool well_formed(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++)
        if (!((name[n] >= 'a' && name[n] <= 'z') ||
              (name[n] >= '0' && name[n] <= '9') || name[n] == '_'))
            return false;
    return n >= 1 && n <= 31;
}

static int lib_load(const char *path, char *why, size_t why_len);

/*
 * Its constructors and inits run under the guard (guard.h). What the
 * framework relies on and they may change is saved before and put back
 * after: SIGCHLD's action (ignored, or with SA_NOCLDWAIT, children reap
 * themselves and every wait fails; a handler of its own could reap them
 * first) and the signal mask (blocked signals would never stop the run).
 * Put back rather than refused: a library may have reasons of its own
 * (helpers it does not wait for), and the suite's sweep (child.h) reaps
 * what it leaves. The guard's own handlers are put back by cb_guard_arm.
 */
int cb_kernel_lib_load(const char *path, char *why, size_t why_len)
{
    struct sigaction chld;
    sigset_t mask;
    sigaction(SIGCHLD, NULL, &chld);
    pthread_sigmask(SIG_SETMASK, NULL, &mask);
    cb_guard_library(path);
    int rc = lib_load(path, why, why_len);
    cb_guard_library(NULL);
    /* Helpers its inits started are its, not a task's leftovers. */
    cb_children_own_strays();
    sigaction(SIGCHLD, &chld, NULL);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    return rc;
}

static int lib_load(const char *path, char *why, size_t why_len)
{
    /*
     * A path without a slash would be looked for on the library path, not
     * as the file the user named (and a fresh image would look for it
     * again): take it as a file in the current folder.
     */
    char here[4096];
    if (!strchr(path, '/')) {
        if (snprintf(here, sizeof here, "./%s", path) >= (int)sizeof here) {
            snprintf(why, why_len, "path too long");
            return -1;
        }
        path = here;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, why_len, "cannot load it: %s", e ? e : "unknown");
        return -1;
    }
    const struct concbench_kernel_table *table =
        dlsym(lib, CONCBENCH_KERNEL_TABLE_NAME);
    const struct concbench_kernel *defs = table ? table->kernels : NULL;
    struct cb_kernel *made = NULL;
    if (!table) {
        snprintf(why, why_len, "no %s in it (see concbench_kernel.h)",
                 CONCBENCH_KERNEL_TABLE_NAME);
        goto fail;
    }
    if (table->abi_version < CONCBENCH_KERNEL_ABI_OLDEST ||
        table->abi_version > CONCBENCH_KERNEL_ABI) {
        snprintf(why, why_len, "built for kernel ABI %u, this concbench "
                 "has %u to %u", table->abi_version,
                 CONCBENCH_KERNEL_ABI_OLDEST, CONCBENCH_KERNEL_ABI);
        goto fail;
    }
    /* Version 1 had no fixture: what is there is reserved space. */
    bool fixtures = table->abi_version >= 2;
    if (table->count == 0 || !defs ||
        table->count > MAX_LOADED - n_loaded) {
        snprintf(why, why_len, "%u kernels (1 to %zu can be loaded)",
                 table->count, (size_t)MAX_LOADED - n_loaded);
        goto fail;
    }
    made = calloc(table->count, sizeof *made);
    char *lib_path = strdup(path);
    if (!made || !lib_path) {
        free(lib_path);
        snprintf(why, why_len, "out of memory");
        goto fail;
    }
    for (unsigned i = 0; i < table->count; i++) {
        const struct concbench_kernel *d = &defs[i];
        if (!d->name || !well_formed(d->name)) {
            snprintf(why, why_len, "kernel %u: name '%s' is not 1 to 31 of "
                     "a-z, 0-9 and _", i, d->name ? d->name : "(null)");
            goto fail_path;
        }
        bool twice = cb_kernel_by_name(d->name) != NULL;
        for (unsigned j = 0; j < i; j++)
            twice |= strcmp(defs[j].name, d->name) == 0;
        if (twice) {
            snprintf(why, why_len, "kernel %s: there is a kernel of that "
                     "name already", d->name);
            goto fail_path;
        }
        if (!d->run || !d->check) {
            snprintf(why, why_len, "kernel %s: no %s function", d->name,
                     d->run ? "check" : "run");
            goto fail_path;
        }
        const struct concbench_fixture *f = fixtures ? d->fixture : NULL;
        if (f && !f->setup) {
            snprintf(why, why_len, "kernel %s: a fixture without setup",
                     d->name);
            goto fail_path;
        }
        made[i] = (struct cb_kernel){.name = d->name,
                                     .summary = d->summary ? d->summary : "",
                                     .run = d->run,
                                     .check = d->check,
                                     .init = d->init,
                                     .fixture = f,
                                     .library = lib_path};
    }
    for (unsigned i = 0; i < table->count; i++) {
        char e[160] = "";
        if (made[i].init && made[i].init(e, sizeof e) != 0) {
            snprintf(why, why_len, "kernel %s: init failed: %s",
                     made[i].name, e[0] ? e : "(no reason given)");
            goto fail_path;
        }
    }
    for (unsigned i = 0; i < table->count; i++)
        loaded[n_loaded++] = &made[i];
    return 0; /* the library stays loaded: its kernels run from it */
fail_path:
    free(lib_path);
fail:
    free(made);
    dlclose(lib);
    return -1;
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
    if (!k)
        k = find_in(loaded, n_loaded, name);
    return k ? k : find_in(added, n_added, name);
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
        .timeout_ms = params->timeout_ms,
        .param = params->param_bytes ? params->param : NULL,
        .param_bytes = params->param_bytes,
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
    return kernel->async && kernel->async->wait_ns
               ? kernel->async->wait_ns(params)
               : -1;
}

const struct cb_kernel_async *cb_kernel_exchange(const struct cb_kernel *kernel)
{
    return kernel->async && kernel->async->exchange &&
                   kernel->async->exchange_value
               ? kernel->async
               : NULL;
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
