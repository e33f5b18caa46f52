/* Child processes: start, watch, reap, describe, kill; their records. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The children this process started and has not reaped (cb_child_own): a
 * fixed table, so that a signal handler may read it (without the lock: the
 * process is dying then). Slots [0, own_used) are scanned; a free one has
 * pid 0. A full table turns the sweep off rather than guess.
 */
enum { OWN_MAX = 4 * CB_MAX_WORKERS + 64 };
static struct {
    _Atomic pid_t pid;
    _Atomic int kind; /* enum cb_own_kind */
} own[OWN_MAX];
static _Atomic unsigned own_used;
static atomic_bool own_full, adopting;
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;

void cb_child_own(pid_t pid, enum cb_own_kind kind)
{
    pthread_mutex_lock(&own_lock);
    unsigned used = atomic_load(&own_used), i = 0;
    /* A child noted already gets its new kind; else the first free slot. */
    while (i < used && atomic_load(&own[i].pid) != pid)
        i++;
    if (i == used) {
        i = 0;
        while (i < used && atomic_load(&own[i].pid) != 0)
            i++;
    }
    if (i == OWN_MAX) {
        atomic_store(&own_full, true);
    } else {
        atomic_store(&own[i].kind, (int)kind);
        atomic_store(&own[i].pid, pid);
        if (i == used)
            atomic_store(&own_used, used + 1);
    }
    pthread_mutex_unlock(&own_lock);
}

static void child_forget(pid_t pid)
{
    if (pid <= 0)
        return;
    pthread_mutex_lock(&own_lock);
    unsigned used = atomic_load(&own_used);
    for (unsigned i = 0; i < used; i++) {
        if (atomic_load(&own[i].pid) == pid) {
            atomic_store(&own[i].pid, 0);
            break;
        }
    }
    while (used > 0 && atomic_load(&own[used - 1].pid) == 0)
        used--;
    atomic_store(&own_used, used);
    pthread_mutex_unlock(&own_lock);
}

/* The kind of own child pid is (enum cb_own_kind), or -1: not own. */
static int own_kind(pid_t pid)
{
    unsigned used = atomic_load(&own_used);
    for (unsigned i = 0; i < used; i++)
        if (atomic_load(&own[i].pid) == pid)
            return atomic_load(&own[i].kind);
    return -1;
}

void cb_child_init(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before prctl: then nobody waits for us. */
    if (getppid() != parent)
        _exit(CB_EXIT_ORPHAN);
}

/* Whether this kernel has pidfd_open; found out once. */
static bool have_pidfds(void)
{
    static int have = -1;
    if (have < 0) {
        int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        have = fd >= 0 || errno != ENOSYS;
        if (fd >= 0)
            close(fd);
    }
    return have;
}

int cb_pidfd_open(pid_t pid)
{
    if (!have_pidfds())
        return -1;
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int cb_child_fork(struct cb_child *c, bool exit_fd, const char **call)
{
    const char *unused;
    if (!call)
        call = &unused;
    bool pidfds = exit_fd && have_pidfds();
    int hup[2] = {-1, -1};
    if (exit_fd && !pidfds && pipe2(hup, O_CLOEXEC) < 0) {
        *call = "pipe";
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (hup[0] >= 0) {
            close(hup[0]);
            close(hup[1]);
        }
        errno = e;
        *call = "fork";
        return -1;
    }
    if (pid == 0) {
        cb_child_init(parent);
        return 0;
    }
    cb_child_own(pid, CB_OWN_FORK);
    *c = (struct cb_child){.pid = pid, .fd = hup[0]};
    if (pidfds) {
        c->fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (c->fd < 0) {
            int e = errno;
            cb_children_kill(c, 1);
            errno = e;
            *call = "pidfd_open";
            return -1;
        }
    } else if (hup[1] >= 0) {
        close(hup[1]);
    }
    return 1;
}

int cb_child_reap(struct cb_child *c)
{
    int status = 0;
    if (c->pid <= 0) /* waitpid(0) would take any child of the group */
        return status;
    while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
        ;
    child_forget(c->pid);
    if (c->fd >= 0)
        close(c->fd);
    *c = (struct cb_child){.pid = 0, .fd = -1};
    return status;
}

int cb_child_end(struct cb_child *c, int64_t deadline_ns)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid || (r < 0 && errno != EINTR))
            break;
        if (cb_now_ns() >= deadline_ns) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        usleep(1000);
    }
    child_forget(c->pid);
    if (c->fd >= 0)
        close(c->fd);
    *c = (struct cb_child){.pid = 0, .fd = -1};
    return status;
}

void cb_children_kill(struct cb_child *kids, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (kids[i].pid > 0) {
            kill(kids[i].pid, SIGKILL);
            cb_child_reap(&kids[i]);
        }
    }
}

void cb_describe_exit(int status, char *buf, size_t len)
{
    static const char *const causes[] = {
        [CB_EXIT_SETUP - CB_EXIT_SETUP] = "it could not set itself up",
        [CB_EXIT_PROTOCOL - CB_EXIT_SETUP] = "its parent broke the protocol "
                                             "or went away",
        [CB_EXIT_SEND - CB_EXIT_SETUP] = "it could not send its result",
        [CB_EXIT_ORPHAN - CB_EXIT_SETUP] = "its parent died before it "
                                           "started",
    };
    if (WIFSIGNALED(status)) {
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    } else if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code >= CB_EXIT_SETUP && code <= CB_EXIT_ORPHAN)
            snprintf(buf, len, "exited with status %d (%s)", code,
                     causes[code - CB_EXIT_SETUP]);
        else
            snprintf(buf, len, "exited with status %d", code);
    } else {
        snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
    }
}

bool cb_exited_cleanly(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int cb_task_outcome(unsigned task, int status, bool sent,
                    struct cb_error *err)
{
    bool clean = cb_exited_cleanly(status);
    if (clean && sent)
        return 0;
    char how[128];
    cb_describe_exit(status, how, sizeof how);
    if (clean)
        cb_error_set(err, "task %u: worker exited without sending a result",
                     task);
    else
        cb_error_set(err, "task %u: worker %s", task, how);
    return -1;
}

int cb_children_alloc(struct cb_children *set, unsigned n)
{
    set->kids = calloc(n ? n : 1, sizeof *set->kids);
    set->pfds = calloc(n ? n : 1, sizeof *set->pfds);
    if (!set->kids || !set->pfds) {
        cb_children_free(set);
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        set->kids[i].fd = -1;
    return 0;
}

void cb_children_free(struct cb_children *set)
{
    free(set->kids);
    free(set->pfds);
    set->kids = NULL;
    set->pfds = NULL;
}

int cb_children_wait(void *ctx, unsigned n, const bool *busy,
                     int64_t deadline_ns, bool *ready, struct cb_error *err)
{
    struct cb_children *set = ctx;
    for (unsigned s = 0; s < n; s++)
        set->pfds[s] = (struct pollfd){
            .fd = busy[s] ? set->kids[s].fd : -1, .events = POLLIN};
    int rc = cb_poll_until(set->pfds, n, deadline_ns, err);
    for (unsigned s = 0; rc > 0 && s < n; s++)
        ready[s] = set->pfds[s].revents != 0;
    return rc;
}

bool cb_children_abort(void *ctx, unsigned n, const bool *busy,
                       struct cb_error *err)
{
    (void)busy;
    (void)err;
    struct cb_children *set = ctx;
    cb_children_kill(set->kids, n);
    return true;
}

int cb_poll_ms_until(int64_t deadline_ns)
{
    int64_t left = deadline_ns - cb_now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 3600000 ? 3600000 : (int)ms;
}

int cb_poll_until(struct pollfd *pfds, unsigned n, int64_t deadline_ns,
                  struct cb_error *err)
{
    for (;;) {
        int ready = poll(pfds, n, cb_poll_ms_until(deadline_ns));
        if (ready >= 0)
            return ready;
        struct rlimit files;
        if (errno == EINVAL && getrlimit(RLIMIT_NOFILE, &files) == 0 &&
            n > files.rlim_cur) {
            cb_error_set(err, "poll of %u fds: more than the open-file "
                         "limit (%llu)", n,
                         (unsigned long long)files.rlim_cur);
            return -1;
        }
        if (errno != EINTR) {
            cb_error_set(err, "poll: %s", strerror(errno));
            return -1;
        }
    }
}

/* ---- Adopting and sweeping what tasks leave behind ---- */

/* "/proc/<pid>/task" (pid 0: self) into buf; async-signal-safe. */
static char *proc_path(char *buf, size_t len, pid_t pid, const char *tid,
                       const char *tail)
{
    char num[16];
    size_t n = 0, k = 0;
    if (pid == 0) {
        memcpy(num, "self", 5);
    } else {
        char rev[16];
        for (unsigned v = (unsigned)pid; v && k < sizeof rev; v /= 10)
            rev[k++] = (char)('0' + v % 10);
        while (k)
            num[n++] = rev[--k];
        num[n] = '\0';
    }
    const char *parts[] = {"/proc/", num, "/task", tid ? "/" : "",
                           tid ? tid : "", tail ? tail : ""};
    n = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        for (const char *c = parts[i]; *c && n + 1 < len; c++)
            buf[n++] = *c;
    buf[n] = '\0';
    return buf;
}

/*
 * The children of every thread of process pid (0: this one), at most max,
 * from /proc/PID/task/TID/children; async-signal-safe (no stdio, no
 * allocation).
 */
static unsigned children_of(pid_t pid, pid_t *out, unsigned max)
{
    char path[96];
    int dir = open(proc_path(path, sizeof path, pid, NULL, NULL),
                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return 0;
    unsigned n = 0;
    char ents[1024];
    long got;
    while (n < max &&
           (got = syscall(SYS_getdents64, dir, ents, sizeof ents)) > 0) {
        for (long at = 0; at < got && n < max;) {
            /* struct linux_dirent64: ino, off, reclen, type, name */
            unsigned short reclen;
            memcpy(&reclen, ents + at + 16, sizeof reclen);
            const char *name = ents + at + 19;
            at += reclen;
            if (name[0] < '0' || name[0] > '9')
                continue;
            int fd = open(proc_path(path, sizeof path, pid, name,
                                    "/children"),
                          O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            char buf[4096];
            long v = -1;
            ssize_t r;
            /* Space-separated pids; a number cut between reads carries. */
            while (n < max && (r = read(fd, buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < r && n < max; i++) {
                    if (buf[i] >= '0' && buf[i] <= '9') {
                        v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
                    } else if (v >= 0) {
                        out[n++] = (pid_t)v;
                        v = -1;
                    }
                }
            }
            if (v >= 0 && n < max)
                out[n++] = (pid_t)v;
            close(fd);
        }
    }
    close(dir);
    return n;
}

enum { SWEEP_MAX = 1024, SWEEP_PASSES = 64 };

/* /proc/sys/kernel/ns_last_pid, open once adopting; -1 where none. */
static int last_pid_fd = -1;

void cb_children_forget_all(void)
{
    pthread_mutex_lock(&own_lock);
    atomic_store(&own_used, 0u);
    atomic_store(&own_full, false);
    pthread_mutex_unlock(&own_lock);
}

int cb_children_adopt(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        return -1;
    last_pid_fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
    cb_children_own_strays();
    atomic_store(&adopting, true);
    return 0;
}

long cb_children_mark(void)
{
    char buf[24];
    ssize_t n = last_pid_fd >= 0 ? pread(last_pid_fd, buf, sizeof buf - 1, 0)
                                 : -1;
    if (n <= 0)
        return CB_SWEEP_ALWAYS;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* Whether this process has a child at all (one syscall). */
static bool any_child(void)
{
    siginfo_t si;
    return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 ||
           errno != ECHILD;
}

unsigned cb_children_now(pid_t *out, unsigned max)
{
    return children_of(0, out, max);
}

void cb_children_end_fixtures(void)
{
    unsigned used = atomic_load(&own_used);
    for (unsigned i = 0; i < used; i++) {
        pid_t pid = atomic_load(&own[i].pid);
        if (pid > 0 && atomic_load(&own[i].kind) == CB_OWN_FIXTURE) {
            struct cb_child c = {.pid = pid, .fd = -1};
            cb_children_kill(&c, 1);
        }
    }
}

void cb_children_own_strays(void)
{
    pid_t kids[SWEEP_MAX];
    unsigned n = children_of(0, kids, SWEEP_MAX);
    for (unsigned i = 0; i < n; i++)
        if (own_kind(kids[i]) < 0)
            cb_child_own(kids[i], CB_OWN_FOUND);
}

/*
 * SIGKILL the children this process did not start, and the children of
 * its forks (below_own); reap the former, and a found child that has
 * ended, if reap. Returns how many of the former there were.
 */
static unsigned kill_leftovers(bool reap, bool below_own)
{
    pid_t kids[SWEEP_MAX], below[SWEEP_MAX];
    unsigned n = children_of(0, kids, SWEEP_MAX), strays = 0;
    for (unsigned i = 0; i < n; i++) {
        int kind = own_kind(kids[i]);
        if (kind < 0) {
            kill(kids[i], SIGKILL);
            while (reap && waitpid(kids[i], NULL, __WALL) < 0 &&
                   errno == EINTR)
                ;
            strays++;
        } else if (kind == CB_OWN_FORK && below_own) {
            unsigned m = children_of(kids[i], below, SWEEP_MAX);
            for (unsigned j = 0; j < m; j++)
                kill(below[j], SIGKILL);
        } else if (kind == CB_OWN_FOUND && reap &&
                   waitpid(kids[i], NULL, WNOHANG | __WALL) == kids[i]) {
            child_forget(kids[i]);
        }
    }
    return strays;
}

void cb_children_sweep(long since)
{
    if (!atomic_load(&adopting) || atomic_load(&own_full))
        return;
    if (since != CB_SWEEP_ALWAYS && cb_children_mark() == since)
        return; /* nothing made since: nothing new left */
    /*
     * Killing a leftover gives its children to this process: again until
     * a pass finds none.
     */
    for (unsigned pass = 0; pass < SWEEP_PASSES && any_child(); pass++)
        if (kill_leftovers(true, pass == 0) == 0)
            break;
}

void cb_children_dying(void)
{
    if (!atomic_load(&adopting) || atomic_load(&own_full))
        return;
    kill_leftovers(false, true);
    unsigned used = atomic_load(&own_used);
    for (unsigned i = 0; i < used; i++) {
        pid_t pid = atomic_load(&own[i].pid);
        if (pid > 0 && atomic_load(&own[i].kind) == CB_OWN_FIXTURE)
            kill(pid, SIGKILL);
    }
    for (unsigned i = 0; i < used; i++) {
        pid_t pid = atomic_load(&own[i].pid);
        if (pid <= 0 || atomic_load(&own[i].kind) != CB_OWN_KEEPER)
            continue;
        kill(pid, SIGTERM);
        const struct timespec pause = {0, 10000000};
        bool ended = false;
        for (unsigned k = 0; !ended && k < CB_KEEPER_STOP_S * 100; k++) {
            pid_t r = waitpid(pid, NULL, WNOHANG);
            ended = r == pid || (r < 0 && errno != EINTR);
            if (!ended)
                nanosleep(&pause, NULL);
        }
        if (!ended)
            kill(pid, SIGKILL);
    }
}
