/* Helpers the process-based modes share. */
#include "proc.h"

#include "executor.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

ssize_t cb_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int cb_write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

void cb_child_init(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before prctl: then nobody waits for us. */
    if (getppid() != parent)
        _exit(127);
}

void cb_describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, len, "ended with wait status %#x", (unsigned)status);
}

int cb_poll_ms_until(int64_t deadline_ns)
{
    int64_t left = deadline_ns - cb_now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000;
    return ms > 3600000 ? 3600000 : (int)ms;
}

void cb_kill_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int cb_poll_slots(struct pollfd *pfds, const unsigned *tasks, unsigned n,
                  int64_t deadline_ns, unsigned timeout_ms,
                  struct cb_error *err)
{
    for (;;) {
        int ready = poll(pfds, n, cb_poll_ms_until(deadline_ns));
        if (ready > 0)
            return 0;
        if (ready == 0) {
            unsigned first = UINT_MAX, running = 0;
            for (unsigned s = 0; s < n; s++) {
                if (pfds[s].fd < 0)
                    continue;
                running++;
                if (tasks[s] < first)
                    first = tasks[s];
            }
            cb_error_timeout(err, first, running, timeout_ms);
            return -1;
        }
        if (errno != EINTR) {
            cb_error_set(err, "poll: %s", strerror(errno));
            return -1;
        }
    }
}
