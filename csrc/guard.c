/*
 * The driver's guard (guard.h): an exit handler and signal handlers that
 * name what was running. Everything a handler does is async-signal-safe:
 * the line is put together by hand and written with one write().
 */
#include "guard.h"

#include "child.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    EXIT_KERNEL = 1,  /* a kernel ended the run: a benchmark failed */
    EXIT_LIBRARY = 2, /* a library's init did: the library is refused */
};

static pid_t guard_pid;     /* 0 until started */
static pid_t measuring_pid; /* the process measuring a repetition, or 0 */
static void (*cleanup_fn)(void);
static const char *_Atomic output;
static const char *_Atomic library;
static const char *_Atomic fixture;
static const char *_Atomic kernel;
static const char *_Atomic mode;
static atomic_bool ending;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

/* The line being put together; one at a time (ending). */
static char line[8192];
static size_t line_len;

static void put(const char *s)
{
    while (s && *s && line_len + 2 < sizeof line)
        line[line_len++] = *s++;
}

static void put_int(int v)
{
    char rev[16], out[18];
    size_t n = 0, k = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do
        rev[k++] = (char)('0' + u % 10);
    while ((u /= 10) && k < sizeof rev);
    if (v < 0)
        out[n++] = '-';
    while (k)
        out[n++] = rev[--k];
    out[n] = '\0';
    put(out);
}

static void put_signal(int sig)
{
    static const struct {
        int sig;
        const char *name;
    } names[] = {
        {SIGSEGV, "Segmentation fault"}, {SIGBUS, "Bus error"},
        {SIGFPE, "Floating point exception"}, {SIGILL, "Illegal instruction"},
        {SIGABRT, "Aborted"},
    };
    put("signal ");
    put_int(sig);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].sig == sig) {
            put(" (");
            put(names[i].name);
            put(")");
        }
    }
}

static void put_no_result(void)
{
    const char *out = atomic_load(&output);
    put(": no result written");
    if (out) {
        put(" to ");
        put(out);
    }
}

static void say(void)
{
    line[line_len++] = '\n';
    for (size_t put_at = 0; put_at < line_len;) {
        ssize_t n = write(STDERR_FILENO, line + put_at, line_len - put_at);
        if (n <= 0)
            break;
        put_at += (size_t)n;
    }
    line_len = 0;
}

/* What every end does first: the driver's cleanup, what tasks left. */
static void tidy(void)
{
    if (cleanup_fn)
        cleanup_fn();
    cb_children_dying();
}

/* Only one thread ends the process; a second one waits for it to. */
static bool first_to_end(void)
{
    if (!atomic_exchange(&ending, true))
        return true;
    for (;;)
        pause();
}

static void on_exit_called(int status, void *arg)
{
    (void)arg;
    if (guard_pid == 0 || getpid() != guard_pid)
        return;
    const char *lib = atomic_load(&library), *k = atomic_load(&kernel);
    const char *fx = atomic_load(&fixture);
    if (!lib && !k && !fx)
        return; /* concbench's own exit */
    first_to_end();
    put("concbench: ");
    if (fx && !lib) {
        put("kernel ");
        put(fx);
        put("'s fixture called exit(");
        put_int(status);
        put("), which ends concbench");
        put_no_result();
    } else if (lib) {
        put("--kernel-lib: ");
        put(lib);
        put(": its init called exit(");
        put_int(status);
        put(")");
    } else {
        put("kernel ");
        put(k);
        put(" called exit(");
        put_int(status);
        put(") in mode ");
        put(atomic_load(&mode));
        put(", which ends concbench");
        put_no_result();
    }
    say();
    tidy();
    _exit(lib ? EXIT_LIBRARY : EXIT_KERNEL);
}

/*
 * Die of sig, as if there were no handler: pending until the handler
 * returns, then fatal. errno as it was, which a handler must not change.
 */
static void die_of(int sig, int saved_errno)
{
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved_errno;
}

static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved_errno = errno;
    if (guard_pid == 0 || getpid() != guard_pid) {
        die_of(sig, saved_errno);
        return;
    }
    first_to_end();
    /* A fault, or raised by this process: what runs here did it. */
    bool here = si->si_code > 0 || si->si_pid == guard_pid;
    const char *lib = atomic_load(&library), *k = atomic_load(&kernel);
    if (here && lib) {
        put("concbench: --kernel-lib: ");
        put(lib);
        put(": its init was killed by ");
        put_signal(sig);
        say();
        tidy();
        _exit(EXIT_LIBRARY);
    }
    const char *fx = atomic_load(&fixture);
    if (here && fx) {
        put("concbench: killed by ");
        put_signal(sig);
        put(" in kernel ");
        put(fx);
        put("'s fixture");
        put_no_result();
        say();
    } else if (here && k) {
        put("concbench: killed by ");
        put_signal(sig);
        put(" while kernel ");
        put(k);
        put(" ran in mode ");
        put(atomic_load(&mode));
        put_no_result();
        say();
    }
    tidy();
    die_of(sig, saved_errno);
}

static void on_stop(int sig)
{
    int saved_errno = errno;
    if (guard_pid != 0 && getpid() == guard_pid) {
        first_to_end();
        tidy();
    } else if (measuring_pid != 0 && getpid() == measuring_pid) {
        first_to_end();
        cb_children_dying();
    }
    die_of(sig, saved_errno);
}

static void install(void)
{
    struct sigaction fatal = {.sa_sigaction = on_fatal,
                              .sa_flags = SA_SIGINFO};
    struct sigaction stop = {.sa_handler = on_stop};
    sigemptyset(&fatal.sa_mask);
    sigemptyset(&stop.sa_mask);
    /* While one handler tidies up, the others wait. */
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaddset(&fatal.sa_mask, stop_signals[i]);
    stop.sa_mask = fatal.sa_mask;
    for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0];
         i++)
        sigaction(fatal_signals[i], &fatal, NULL);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaction(stop_signals[i], &stop, NULL);
}

int cb_guard_start(void (*cleanup)(void))
{
    guard_pid = getpid();
    cleanup_fn = cleanup;
    install();
    if (on_exit(on_exit_called, NULL) != 0)
        return -1;
    return cb_children_adopt();
}

int cb_guard_measuring(void)
{
    measuring_pid = getpid();
    atomic_store(&ending, false);
    cb_children_forget_all();
    install();
    return cb_children_adopt();
}

void cb_guard_arm(void)
{
    install();
    on_exit(on_exit_called, NULL);
}

void cb_guard_output(const char *path)
{
    atomic_store(&output, path);
}

void cb_guard_library(const char *path)
{
    atomic_store(&library, path);
}

void cb_guard_fixture(const char *k)
{
    atomic_store(&fixture, k);
}

void cb_guard_running(const char *k, const char *m)
{
    atomic_store(&mode, m);
    atomic_store(&kernel, k);
}
