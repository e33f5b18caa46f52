/*
 * Starting the own executable in a role, and reading a role's command line
 * back (role.h has its form).
 *
 * EXE is the program running now, whichever binary it is (the driver or a
 * test): the path /proc/self/exe names, read at each spawn, or, once that
 * file has been removed or rebuilt (the link then ends in " (deleted)"),
 * /proc/self/exe itself, which still opens the running image. The path, not
 * the link, comes first because valgrind answers the readlink with its
 * client's path, while exec of the link would start valgrind itself.
 */
#include "role.h"

#include "child.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

enum {
    BAD_USAGE = 2,
    /*
     * EXE FLAG KERNEL LIBRARY IO_MS PAYLOAD PARAM TASKS WORKERS
     * TIMEOUT_MS, then OPT... ARG... PARENT (role.h)
     */
    FIXED_ARGS = 11,
    MAX_ARGV = FIXED_ARGS + CB_MAX_MODE_OPTIONS + CB_ROLE_MAX_ARGS + 1,
};

/* The executable to start: path[] if it is still the running image. */
static const char *self_exe(char *path, size_t len)
{
    static const char deleted[] = " (deleted)";
    ssize_t n = readlink("/proc/self/exe", path, len - 1);
    if (n <= 0 || (size_t)n >= len - 1)
        return "/proc/self/exe";
    path[n] = '\0';
    size_t tail = sizeof deleted - 1;
    if ((size_t)n >= tail && strcmp(path + n - tail, deleted) == 0)
        return "/proc/self/exe";
    return path;
}

int cb_role_check_kernel(const struct cb_executor *ex, struct cb_error *err)
{
    if (cb_kernel_by_name(ex->job.kernel->name) == ex->job.kernel)
        return 0;
    cb_error_set(err, "kernel %s: a fresh program image cannot find it by "
                 "name", ex->job.kernel->name);
    return -1;
}

static size_t n_options(const struct cb_mode *mode)
{
    size_t n = 0;
    while (mode->options && mode->options[n])
        n++;
    return n;
}

/* The kernel's parameter as PARAM: hexadecimal, "-" for none. */
static void param_arg(const struct cb_params *p,
                      char out[2 * CONCBENCH_PARAM_MAX + 2])
{
    static const char hex[] = "0123456789abcdef";
    unsigned n = p->param_bytes;
    if (n == 0 || n > CONCBENCH_PARAM_MAX) {
        strcpy(out, "-");
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[p->param[i] >> 4];
        out[2 * i + 1] = hex[p->param[i] & 15];
    }
    out[2 * n] = '\0';
}

/* PARAM back into p; -1 if it is not what param_arg writes. */
static int param_parse(const char *s, struct cb_params *p)
{
    p->param_bytes = 0;
    p->param[0] = 0;
    if (strcmp(s, "-") == 0)
        return 0;
    size_t len = strlen(s);
    if (len == 0 || len % 2 || len / 2 > CONCBENCH_PARAM_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (v < 0)
            return -1;
        p->param[i / 2] = (unsigned char)(i % 2 ? p->param[i / 2] << 4 | v
                                                : v);
    }
    p->param_bytes = (unsigned)(len / 2);
    p->param[p->param_bytes] = 0;
    return 0;
}

/*
 * posix_spawn EXE with argv (argv[0] is filled in here) and fds[i] as fd
 * CB_ROLE_FD + i. Returns 0 or an errno value.
 */
static int spawn_self(char **argv, const int *fds, unsigned nfds, pid_t *pid,
                      const char **call)
{
    *call = "posix_spawn";
    char path[PATH_MAX];
    argv[0] = (char *)self_exe(path, sizeof path);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc)
        return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }
    /*
     * A signal the caller blocks would stay blocked across exec, and an
     * ignored SIGCHLD would make the forkserver's children reap themselves.
     */
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGCHLD);
    sigaddset(&defaults, SIGPIPE);
    rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                             POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&attr, &defaults);

    /*
     * A source fd that is also a target (3, 4, 5) could be overwritten by
     * an earlier dup2, or keep its close-on-exec flag if dup2'd onto
     * itself: such fds are passed through a copy above the targets.
     */
    const int first = CB_ROLE_FD, above = first + (int)nfds;
    int copies[CB_ROLE_MAX_FDS];
    unsigned n_copies = 0;
    for (unsigned i = 0; i < nfds && !rc; i++) {
        int fd = fds[i];
        if (fd < above) {
            fd = fcntl(fd, F_DUPFD_CLOEXEC, above);
            if (fd < 0) {
                rc = errno;
                *call = "fcntl";
                break;
            }
            copies[n_copies++] = fd;
        }
        rc = posix_spawn_file_actions_adddup2(&fa, fd, first + (int)i);
    }
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
    /* The pipes are close-on-exec; this closes what others left open. */
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, above);
#endif
    if (!rc)
        rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
    for (unsigned i = 0; i < n_copies; i++)
        close(copies[i]);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int cb_role_spawn(const struct cb_executor *ex, const unsigned *args,
                  const int *fds, unsigned nfds, pid_t *pid,
                  const char **call)
{
    const struct cb_role *role = ex->mode->role;
    char nums[MAX_ARGV][16];
    char *argv[MAX_ARGV + 1];
    unsigned n = 0, k = 0;
    argv[n++] = NULL; /* EXE, filled in by spawn_self */
    argv[n++] = (char *)role->flag;
    argv[n++] = (char *)ex->job.kernel->name;
    argv[n++] = (char *)(ex->job.kernel->library ? ex->job.kernel->library
                                                 : "-");
    snprintf(argv[n++] = nums[k++], sizeof nums[0], "%u",
             ex->job.params.io_ms);
    snprintf(argv[n++] = nums[k++], sizeof nums[0], "%llu",
             (unsigned long long)ex->job.params.payload);
    char param[2 * CONCBENCH_PARAM_MAX + 2];
    param_arg(&ex->job.params, param);
    argv[n++] = param;
    const unsigned fixed[] = {ex->job.tasks, ex->job.workers,
                              ex->job.timeout_ms};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        snprintf(argv[n++] = nums[k++], sizeof nums[0], "%u", fixed[i]);
    for (size_t i = 0; i < n_options(ex->mode); i++)
        snprintf(argv[n++] = nums[k++], sizeof nums[0], "%u", ex->opt[i]);
    for (unsigned i = 0; i < role->n_args; i++)
        snprintf(argv[n++] = nums[k++], sizeof nums[0], "%u", args[i]);
    snprintf(argv[n++] = nums[k++], sizeof nums[0], "%d", (int)getpid());
    argv[n] = NULL;
    /*
     * A stop signal between the spawn and the image's registration would
     * find it unknown to the handler that ends and waits for what this
     * process keeps (guard.h): held until it is registered. The image
     * itself starts with no signal blocked (spawn_self).
     */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    int rc = spawn_self(argv, fds, nfds < role->n_fds ? nfds : role->n_fds,
                        pid, call);
    if (rc == 0)
        cb_child_own(*pid, role->keeper ? CB_OWN_KEEPER : CB_OWN_IMAGE);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* A role's bad command line: only a person typing one gets here. */
__attribute__((noreturn)) static void bad_usage(char **argv, const char *what)
{
    fprintf(stderr, "%s %s: bad %s (this role is for concbench's own use)\n",
            argv[0], argv[1], what);
    _exit(BAD_USAGE);
}

static unsigned number(char **argv, int i, unsigned min, unsigned max,
                       const char *what)
{
    unsigned v;
    if (cb_parse_uint(argv[i], min, max, &v) < 0)
        bad_usage(argv, what);
    return v;
}

void cb_role_run(const struct cb_mode *mode, int argc, char **argv)
{
    const struct cb_role *role = mode->role;
    size_t n_opt = n_options(mode);
    if (argc != (int)(FIXED_ARGS + n_opt + role->n_args))
        bad_usage(argv, "argument count");
    struct cb_role_call call = {.ex = {.mode = mode}};
    struct cb_job *job = &call.ex.job;
    char why[256];
    /* A loaded kernel's library first, as the caller loaded it. */
    if (strcmp(argv[3], "-") != 0 &&
        cb_kernel_lib_load(argv[3], why, sizeof why) < 0)
        bad_usage(argv, "kernel library");
    job->kernel = cb_kernel_by_name(argv[2]);
    if (!job->kernel)
        bad_usage(argv, "kernel name");
    job->params.io_ms = number(argv, 4, 0, UINT_MAX, "io_ms");
    if (cb_payload_parse(argv[5], &job->params.payload) < 0)
        bad_usage(argv, "payload");
    if (param_parse(argv[6], &job->params) < 0)
        bad_usage(argv, "kernel parameter");
    job->tasks = number(argv, 7, 1, CB_MAX_TASKS, "task count");
    job->workers = number(argv, 8, 1, CB_MAX_WORKERS, "worker count");
    job->timeout_ms = number(argv, 9, 0, UINT_MAX, "timeout");
    job->params.timeout_ms = job->timeout_ms;
    int i = 10;
    for (size_t o = 0; o < n_opt; o++, i++)
        call.ex.opt[o] = number(argv, i, mode->options[o]->min,
                                mode->options[o]->max, mode->options[o]->name);
    for (unsigned a = 0; a < role->n_args; a++, i++)
        call.args[a] = number(argv, i, 0, role->args[a].max,
                              role->args[a].name);
    call.parent = (pid_t)number(argv, i, 1, INT_MAX, "parent pid");
    role->main(&call);
}
