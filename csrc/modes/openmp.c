/*
 * openmp: `#pragma omp parallel for` over the batch's tasks with W threads
 * and dynamic scheduling, one task at a time: what a C programmer writes
 * instead of a pool, and the baseline the two pools are measured against.
 *
 * libgomp keeps its threads between parallel regions, so this is a pool
 * too: start runs one empty region of W threads, so that creating them is
 * start-up (pool_start_s), not the first batch's cost. libgomp exits the
 * program if it cannot create a thread, so start makes sure it can.
 *
 * Between regions libgomp's idle threads wait by its wait policy, which
 * the wait option sets (spin.h): passive is OMP_WAIT_POLICY=passive (park
 * at once); active is libgomp's own default (GOMP_SPINCOUNT=300000 and
 * OMP_WAIT_POLICY unset: spin, 100 checks only where its threads exceed
 * the CPUs), what this mode measured before the option, under its name
 * alone. libgomp reads them once, as it loads, so the regions are in a
 * module of their own (openmp_team.h) that start loads, with the policy's
 * variables set, in the process that measures (every repetition is
 * measured in a process of its own, isolate.h), and nothing else of
 * concbench loads libgomp. A process that has loaded it under one policy
 * cannot start the other (a test's process: that start is its error).
 *
 * An OpenMP thread cannot be cancelled, and the region ends only when every
 * task has: a hanging task hangs the batch, as in serial. The timeout is
 * checked before each task, and once it has passed the tasks left are
 * skipped and the batch fails, so that tasks that give up at the timeout
 * (a request to a server that went silent) end it then.
 */
#include "executor.h"
#include "openmp_team.h"
#include "spin.h"

#include "cb_config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The probe's threads wait here until all of them exist. */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t open_cond;
    bool open;
};

static void *wait_at_gate(void *arg)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->open_cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

/*
 * libgomp ends the whole program when it cannot create a thread. So first
 * create the W - 1 threads the team needs ourselves, all alive at once (as
 * the team's will be, against a process limit such as RLIMIT_NPROC), then
 * let them end and join them: a process out of threads is then this
 * benchmark's error, and the team is made at once, and later batches reuse
 * it.
 */
static int probe_threads(unsigned n, struct cb_error *err)
{
    pthread_t tids[CB_MAX_WORKERS];
    struct gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                     false};
    unsigned made = 0;
    int e = 0;
    while (made < n &&
           (e = pthread_create(&tids[made], NULL, wait_at_gate, &g)) == 0)
        made++;
    pthread_mutex_lock(&g.lock);
    g.open = true;
    pthread_cond_broadcast(&g.open_cond);
    pthread_mutex_unlock(&g.lock);
    for (unsigned i = 0; i < made; i++)
        pthread_join(tids[i], NULL);
    if (made == n)
        return 0;
    cb_error_set(err, "worker %u: pthread_create: %s", made + 1, strerror(e));
    return -1;
}

/* The module loaded in this process, and the policy it was loaded under. */
static const struct cb_omp_team *team;
static unsigned team_policy;

/*
 * Where the module is: beside the build's programs when this program is
 * one of them; else where meson install put it; else, for a concbench
 * copied elsewhere with its libraries (BIN/concbench, LIB/ beside BIN/:
 * a self-contained bundle), in the lib folder beside its own.
 */
static const char *team_path(void)
{
    static char exe[4096], beside[4096 + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    size_t root = strlen(CB_BUILD_ROOT);
    if (n <= 0)
        return CB_OPENMP_TEAM_INSTALLED;
    exe[n] = '\0';
    if (strncmp(exe, CB_BUILD_ROOT, root) == 0 && exe[root] == '/')
        return CB_OPENMP_TEAM_BUILT;
    if (access(CB_OPENMP_TEAM_INSTALLED, R_OK) == 0)
        return CB_OPENMP_TEAM_INSTALLED;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return CB_OPENMP_TEAM_INSTALLED;
    *slash = '\0';
    snprintf(beside, sizeof beside, "%s/../lib/cb_openmp_team.so", exe);
    return access(beside, R_OK) == 0 ? beside : CB_OPENMP_TEAM_INSTALLED;
}

/* name=value, or name unset (value NULL); the old value into *old. */
static char *swap_env(const char *name, const char *value)
{
    const char *was = getenv(name);
    char *old = was ? strdup(was) : NULL;
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
    return old;
}

static void restore_env(const char *name, char *old)
{
    if (old)
        setenv(name, old, 1);
    else
        unsetenv(name);
    free(old);
}

/* Load the module, and with it libgomp, under the policy. */
static int load_team(unsigned policy, struct cb_error *err)
{
    const char *names[] = {"passive", "active"};
    if (team) {
        if (team_policy == policy)
            return 0;
        cb_error_set(err, "libgomp was loaded in this process under "
                     "wait=%s and reads its wait policy only as it loads: "
                     "wait=%s needs a process of its own",
                     names[team_policy], names[policy]);
        return -1;
    }
    void *gomp = dlopen("libgomp.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (gomp) {
        dlclose(gomp);
        cb_error_set(err, "libgomp was loaded before the openmp mode "
                     "started (by a kernel library?): its wait policy "
                     "cannot be set");
        return -1;
    }
    char spincount[32];
    snprintf(spincount, sizeof spincount, "%llu", CB_SPIN_COUNT);
    bool active = policy == CB_WAIT_ACTIVE;
    char *old_policy = swap_env("OMP_WAIT_POLICY", active ? NULL : "passive");
    char *old_count = swap_env("GOMP_SPINCOUNT", active ? spincount : NULL);
    const char *path = team_path();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    restore_env("OMP_WAIT_POLICY", old_policy);
    restore_env("GOMP_SPINCOUNT", old_count);
    if (!h) {
        cb_error_set(err, "cannot load its OpenMP module: %s", dlerror());
        return -1;
    }
    const struct cb_omp_team *t = dlsym(h, "cb_omp_team");
    if (!t || t->abi != CB_OPENMP_TEAM_ABI) {
        cb_error_set(err, "%s: not the OpenMP module of this concbench",
                     path);
        dlclose(h);
        return -1;
    }
    team = t; /* never unloaded: libgomp's threads live on */
    team_policy = policy;
    return 0;
}

/* libgomp holds the threads; nothing of ours to keep. */
static int openmp_start(struct cb_executor *ex, struct cb_error *err)
{
    if (probe_threads(ex->job.workers - 1, err) < 0 ||
        load_team(cb_executor_option(ex, &cb_option_wait), err) < 0)
        return -1;
    team->form((int)ex->job.workers);
    return 0;
}

struct loop_arg {
    const struct cb_job *job;
    struct cb_task_result *results;
    int64_t deadline;
};

/* One task, unless the timeout has passed: then skipped (1). */
static int run_one(void *arg, int task, int thread)
{
    const struct loop_arg *a = arg;
    if (cb_now_ns() >= a->deadline)
        return 1;
    cb_task_run(a->job, (unsigned)task,
                &(const struct cb_worker){.slot = thread}, NULL,
                &a->results[task]);
    return 0;
}

static int openmp_run(struct cb_executor *ex, struct cb_task_result *results,
                      struct cb_error *err)
{
    const struct cb_job *job = &ex->job;
    int tasks = (int)job->tasks;
    struct loop_arg arg = {job, results, cb_job_deadline(job)};
    int skipped = team->run(&(const struct cb_omp_loop){
        .tasks = tasks, .threads = (int)job->workers, .body = run_one,
        .arg = &arg});
    if (skipped == 0)
        return 0;
    cb_error_set(err, "%d of %d tasks done after %u ms: timed out",
                 tasks - skipped, tasks, job->timeout_ms);
    return -1;
}

const struct cb_mode cb_mode_openmp = {
    .name = "openmp",
    .summary = "#pragma omp parallel for, W threads, dynamic scheduling "
               "(libgomp's pool)",
    .pool = true,
    .options = (const struct cb_option *const[]){&cb_option_wait, NULL},
    .start = openmp_start,
    .run = openmp_run,
    .cpu_ns = cb_cpu_ns_this_process,
};
