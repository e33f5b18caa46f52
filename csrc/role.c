/*
 * Starting the own executable in a role, and the dispatch at the top of
 * main(). The command lines, the whole of what a fresh image is told:
 *
 *   EXE --cb-spawn-worker KERNEL TASK WORKER IO_MS PARENT   (result: fd 3)
 *   EXE --cb-forkserver KERNEL IO_MS PARENT       (fds 3, 4, 5: see role.h)
 *
 * EXE is the program running now, whichever binary it is (the driver or a
 * test): the path /proc/self/exe names, read at each spawn, or, once that
 * file has been removed or rebuilt (the link then ends in " (deleted)"),
 * /proc/self/exe itself, which still opens the running image. The path, not
 * the link, comes first because valgrind answers the readlink with its
 * client's path, while exec of the link would start valgrind itself. The kernel goes by name, as a fresh
 * image shares none of the caller's memory; PARENT is the pid the role must
 * die with (cb_child_init).
 */
#include "role.h"

#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define ROLE_SPAWN_WORKER "--cb-spawn-worker"
#define ROLE_FORKSERVER "--cb-forkserver"

enum { MAX_ROLE_FDS = 3, BAD_USAGE = 2 };

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

static const struct cb_kernel *kernel_by_name(const char *name)
{
    const struct cb_kernel *k = cb_kernel_find(cb_kernels, cb_kernel_count,
                                               name);
    return k ? k : cb_kernel_find(cb_fault_kernels, cb_fault_kernel_count,
                                  name);
}

int cb_role_check_kernel(const struct cb_kernel *kernel, struct cb_error *err)
{
    if (kernel_by_name(kernel->name) == kernel)
        return 0;
    cb_error_set(err, "kernel %s: a fresh program image cannot find it by "
                 "name", kernel->name);
    return -1;
}

/*
 * posix_spawn EXE with argv (argv[0] is filled in here) and fds[i] as fd
 * CB_ROLE_FD + i. Returns 0 or an errno value.
 */
static int spawn_self(char **argv, const int *fds, unsigned nfds, pid_t *pid)
{
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
    int copies[MAX_ROLE_FDS];
    unsigned n_copies = 0;
    for (unsigned i = 0; i < nfds && !rc; i++) {
        int fd = fds[i];
        if (fd < above) {
            fd = fcntl(fd, F_DUPFD_CLOEXEC, above);
            if (fd < 0) {
                rc = errno;
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

int cb_role_spawn_worker(const struct cb_job *job, unsigned task, int worker,
                         int result_fd, pid_t *pid, struct cb_error *err)
{
    char task_s[16], worker_s[16], io_s[16], parent_s[16];
    snprintf(task_s, sizeof task_s, "%u", task);
    snprintf(worker_s, sizeof worker_s, "%d", worker);
    snprintf(io_s, sizeof io_s, "%u", job->params.io_ms);
    snprintf(parent_s, sizeof parent_s, "%d", (int)getpid());
    char *argv[] = {NULL, ROLE_SPAWN_WORKER, (char *)job->kernel->name,
                    task_s, worker_s, io_s, parent_s, NULL};
    int rc = spawn_self(argv, &result_fd, 1, pid);
    if (rc) {
        cb_error_set(err, "task %u: posix_spawn: %s", task, strerror(rc));
        return -1;
    }
    return 0;
}

int cb_role_spawn_forkserver(const struct cb_job *job, const int fds[3],
                             pid_t *pid, struct cb_error *err)
{
    char io_s[16], parent_s[16];
    snprintf(io_s, sizeof io_s, "%u", job->params.io_ms);
    snprintf(parent_s, sizeof parent_s, "%d", (int)getpid());
    char *argv[] = {NULL, ROLE_FORKSERVER, (char *)job->kernel->name, io_s,
                    parent_s, NULL};
    int rc = spawn_self(argv, fds, 3, pid);
    if (rc) {
        cb_error_set(err, "forkserver: posix_spawn: %s", strerror(rc));
        return -1;
    }
    return 0;
}

/* A role's bad command line: only a person typing one gets here. */
__attribute__((noreturn)) static void bad_usage(char **argv, const char *what)
{
    fprintf(stderr, "%s %s: bad %s (this role is for concbench's own use)\n",
            argv[0], argv[1], what);
    _exit(BAD_USAGE);
}

/* The job a role's command line describes, from argv[2] on. */
static struct cb_job job_from_args(char **argv, const char *io_ms)
{
    struct cb_job job = {.tasks = CB_MAX_TASKS, .workers = CB_MAX_WORKERS};
    job.kernel = kernel_by_name(argv[2]);
    if (!job.kernel)
        bad_usage(argv, "kernel name");
    if (cb_parse_uint(io_ms, 0, UINT_MAX, &job.params.io_ms) < 0)
        bad_usage(argv, "io_ms");
    return job;
}

static pid_t parent_from_arg(char **argv, const char *s)
{
    unsigned pid;
    if (cb_parse_uint(s, 1, INT_MAX, &pid) < 0)
        bad_usage(argv, "parent pid");
    return (pid_t)pid;
}

int cb_role_main(int argc, char **argv)
{
    if (argc < 2)
        return -1;
    if (strcmp(argv[1], ROLE_SPAWN_WORKER) == 0) {
        if (argc != 7)
            bad_usage(argv, "argument count");
        struct cb_job job = job_from_args(argv, argv[5]);
        unsigned task, worker;
        if (cb_parse_uint(argv[3], 0, CB_MAX_TASKS - 1, &task) < 0)
            bad_usage(argv, "task");
        if (cb_parse_uint(argv[4], 0, CB_MAX_WORKERS - 1, &worker) < 0)
            bad_usage(argv, "worker");
        cb_spawn_worker_main(&job, task, (int)worker,
                             parent_from_arg(argv, argv[6]));
    }
    if (strcmp(argv[1], ROLE_FORKSERVER) == 0) {
        if (argc != 5)
            bad_usage(argv, "argument count");
        struct cb_job job = job_from_args(argv, argv[3]);
        cb_forkserver_main(&job, parent_from_arg(argv, argv[4]));
    }
    return -1;
}
