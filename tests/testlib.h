/*
 * Helpers the C tests share: running one batch through a mode from start to
 * stop, and checking that no child process is left behind.
 */
#ifndef CB_TESTLIB_H
#define CB_TESTLIB_H

#include "batch.h"
#include "fault_kernels.h"
#include "fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Start an executor of mode for job with the options given (NULL: the
 * defaults), run `batches` batches through cb_batch_run, stop it. Returns
 * the first failing batch's return value (with err set) or 0; st holds the
 * last batch's figures.
 */
static inline int run_batches_with(const struct cb_mode *mode,
                                   const struct cb_job *job,
                                   const struct cb_option_value *given,
                                   unsigned batches,
                                   struct cb_task_result *results,
                                   struct cb_batch_stats *st,
                                   struct cb_error *err)
{
    struct cb_executor *ex = NULL;
    if (cb_executor_start(mode, job, given, &ex, err) < 0)
        return -1;
    int rc = 0;
    for (unsigned i = 0; i < batches && rc == 0; i++)
        rc = cb_batch_run(ex, results, st, err);
    cb_executor_stop(ex);
    return rc;
}

static inline int run_batches(const struct cb_mode *mode,
                              const struct cb_job *job, unsigned batches,
                              struct cb_task_result *results,
                              struct cb_batch_stats *st, struct cb_error *err)
{
    return run_batches_with(mode, job, NULL, batches, results, st, err);
}

/*
 * Whether a batch of mode failed because the mode cannot run on this
 * machine at all: its start says "NAME: not available here: WHY" (io_uring
 * where the kernel, kernel.io_uring_disabled or a seccomp profile refuses
 * a ring). A test of every mode then leaves it out, saying so, instead of
 * failing; the mode's own tests check the refusal.
 */
static inline bool unavailable_here(const struct cb_mode *mode,
                                    const struct cb_error *err)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%s: not available here: ", mode->name);
    if (strncmp(err->msg, prefix, strlen(prefix)) != 0)
        return false;
    print_message("# %s left out: %s\n", mode->name, err->msg);
    return true;
}

/* The kernel called name, a benchmark or a fault kernel; fails if none. */
static inline const struct cb_kernel *find_kernel(const char *name)
{
    const struct cb_kernel *k = cb_kernel_by_name(name);
    assert_non_null(k);
    return k;
}

/*
 * Whether mode's tasks may start too slowly here to overlap: under a
 * sanitizer (CB_SLOW_EXEC, set by the sanitizer build) a new program image
 * sets up the sanitizer's runtime first, and spawn starts one per task.
 */
static inline bool slow_task_start(const struct cb_mode *mode)
{
    return getenv("CB_SLOW_EXEC") != NULL && mode->role && !mode->pool;
}

/* The entries of a directory such as /proc/self/task, not . and .. */
static inline unsigned dir_entries(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/*
 * This process's open fds, but valgrind's own: it opens some on its first
 * fork, above the fd limit it gives the program.
 */
static inline unsigned open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.' && strtoul(e->d_name, NULL, 10) < 10000;
    closedir(d);
    return n;
}

/*
 * Threads a sanitizer's runtime adds to a process once it has started one:
 * TSan's background thread. CB_EXTRA_THREADS, which the sanitizer build
 * sets (tests/meson.build), or 0.
 */
static inline unsigned extra_threads(void)
{
    const char *e = getenv("CB_EXTRA_THREADS");
    return e ? (unsigned)strtoul(e, NULL, 10) : 0;
}

/*
 * This process's threads, once those that ended are gone: the kernel wakes
 * a thread's joiner before it unlists the thread, so the count may be high
 * for a moment. Waits up to a second for it to come down to want.
 */
static inline unsigned threads_settled(unsigned want)
{
    unsigned n = dir_entries("/proc/self/task");
    for (int i = 0; i < 100 && n > want; i++) {
        usleep(10000);
        n = dir_entries("/proc/self/task");
    }
    return n;
}

/*
 * Run fn(arg, fd) in a forked child that may have at most nproc processes
 * and threads (as user nobody: root ignores RLIMIT_NPROC). What it writes to
 * fd comes back in out[len], NUL-terminated. Fails the test unless the
 * child returns from fn and so exits 0.
 */
static inline void run_with_nproc(unsigned nproc, void (*fn)(void *, int),
                                  void *arg, char *out, size_t len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (geteuid() == 0 && setuid(65534) != 0)
            _exit(90);
        if (setrlimit(RLIMIT_NPROC, &(struct rlimit){nproc, nproc}) != 0)
            _exit(91);
        fn(arg, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    memset(out, 0, len);
    size_t got = 0;
    for (ssize_t n; (n = read(fds[0], out + got, len - 1 - got)) > 0;)
        got += (size_t)n;
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child ended with status %#x: %s", status, out);
}

/*
 * Set up the fixtures of kernels[0..n) (csrc/fixture.h: a server their
 * tasks talk to), told io_ms, as the driver does; a job then gets its
 * kernel's parameter with cb_fixture_params. A test that runs every kernel
 * needs them (and tears them down, cb_fixtures_stop, before it checks that
 * no child is left: a fixture's server is one). What a test that failed
 * before its teardown left set up is torn down first, so that its failure
 * is not the next test's too.
 */
static inline void start_fixtures(const struct cb_kernel *const *kernels,
                                  size_t n, unsigned io_ms)
{
    struct cb_params settings = {.io_ms = io_ms, .timeout_ms = 30000};
    struct cb_error err = {{0}};
    cb_fixtures_stop();
    if (cb_fixtures_start(kernels, n, &settings, &err) < 0)
        fail_msg("%s", err.msg);
}

/* pid's parent, from /proc/PID/stat; 0 if pid is gone. */
static inline pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold anything but ')'. */
    const char *p = strrchr(buf, ')');
    int ppid;
    return p && sscanf(p + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

/* No child of this process is left, zombie or running. */
static inline void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

#endif
