/* Kernels' fixtures (fixture.h): set up, handed out, torn down. */
#include "fixture.h"

#include "child.h"
#include "guard.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixture set up: its kernel, the state and the parameter it made. */
struct running {
    const struct cb_kernel *kernel;
    void *state;
    size_t param_bytes;
    unsigned char param[CONCBENCH_PARAM_MAX + 1];
};

static struct running *running;
static size_t n_running;

static const struct running *find(const struct cb_kernel *kernel)
{
    for (size_t i = 0; i < n_running; i++)
        if (running[i].kernel == kernel)
            return &running[i];
    return NULL;
}

enum { MAX_CHILDREN = 1024 };

/* Whether pid is among kids[0..n). */
static bool among(pid_t pid, const pid_t *kids, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (kids[i] == pid)
            return true;
    return false;
}

/*
 * Set up kernel's fixture into r, under the guard; the children it
 * started are noted as the fixtures'. Returns 0, or -1 with err set.
 */
static int set_up(const struct cb_kernel *kernel,
                  const struct cb_params *settings, struct running *r,
                  struct cb_error *err)
{
    static pid_t before[MAX_CHILDREN], after[MAX_CHILDREN];
    unsigned n_before = cb_children_now(before, MAX_CHILDREN);
    struct concbench_run run = {.io_ms = settings->io_ms,
                                .timeout_ms = settings->timeout_ms};
    *r = (struct running){.kernel = kernel};
    size_t bytes = 0;
    char why[200] = "";
    cb_guard_fixture(kernel->name);
    int rc = kernel->fixture->setup(&run, r->param, &bytes, &r->state, why,
                                    sizeof why);
    cb_guard_fixture(NULL);
    unsigned n_after = cb_children_now(after, MAX_CHILDREN);
    for (unsigned i = 0; i < n_after; i++)
        if (!among(after[i], before, n_before))
            cb_child_own(after[i], CB_OWN_FIXTURE);
    if (rc == 0 && bytes > CONCBENCH_PARAM_MAX) {
        snprintf(why, sizeof why, "a parameter of %zu bytes (at most %d)",
                 bytes, CONCBENCH_PARAM_MAX);
        rc = -1;
        if (kernel->fixture->teardown)
            kernel->fixture->teardown(r->state);
    }
    if (rc != 0) {
        cb_error_set(err, "kernel %s: its fixture: %s", kernel->name,
                     why[0] ? why : "(no reason given)");
        return -1; /* what it started is killed by cb_fixtures_stop */
    }
    r->param_bytes = bytes;
    r->param[bytes] = 0;
    return 0;
}

int cb_fixtures_start(const struct cb_kernel *const *kernels, size_t n,
                      const struct cb_params *settings, struct cb_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!kernels[i]->fixture || find(kernels[i]))
            continue;
        struct running *more = realloc(running,
                                       (n_running + 1) * sizeof *running);
        if (!more) {
            cb_error_set(err, "kernel %s: its fixture: out of memory",
                         kernels[i]->name);
            cb_fixtures_stop();
            return -1;
        }
        running = more;
        if (set_up(kernels[i], settings, &running[n_running], err) < 0) {
            cb_fixtures_stop();
            return -1;
        }
        n_running++;
    }
    return 0;
}

void cb_fixture_params(const struct cb_kernel *kernel,
                       struct cb_params *params)
{
    const struct running *r = find(kernel);
    params->param_bytes = r ? (unsigned)r->param_bytes : 0;
    memcpy(params->param, r ? r->param : (const unsigned char *)"",
           r ? r->param_bytes + 1 : 1);
}

void *cb_fixture_state(const struct cb_kernel *kernel)
{
    const struct running *r = find(kernel);
    return r ? r->state : NULL;
}

void cb_fixtures_stop(void)
{
    while (n_running > 0) {
        struct running *r = &running[--n_running];
        if (r->kernel->fixture->teardown) {
            cb_guard_fixture(r->kernel->name);
            r->kernel->fixture->teardown(r->state);
            cb_guard_fixture(NULL);
        }
    }
    free(running);
    running = NULL;
    cb_children_end_fixtures();
}
