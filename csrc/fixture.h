/*
 * Kernels' fixtures (concbench_kernel.h: struct concbench_fixture): what a
 * kernel needs ready for the whole run, a server its tasks talk to, a file
 * they read. The driver sets up the fixtures of the kernels it will run
 * once, in its own process, after its flags are read and before the first
 * repetition (before any fork), and gives each job of a kernel the
 * parameter its fixture's setup wrote (cb_params: it reaches every task,
 * in every mode, fresh program images included); it tears them down at
 * the end. The framework names no kernel: a kernel declares its fixture.
 *
 * A setup and a teardown run under the driver's guard (guard.h): one that
 * calls exit() or crashes ends the run with a line naming the kernel. The
 * processes a setup starts are noted (CB_OWN_FIXTURE, child.h): the sweep
 * leaves them alone, a signal that ends the driver kills them, and what a
 * teardown left of them is killed after it.
 */
#ifndef CB_FIXTURE_H
#define CB_FIXTURE_H

#include "executor.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Set up the fixtures of kernels[0..n) that have one, each once (a kernel
 * given twice is set up once), in order, their setups told settings'
 * io_ms and timeout_ms. Returns 0, or -1 with err naming the kernel whose
 * setup failed and why, having torn down those set up before it.
 */
int cb_fixtures_start(const struct cb_kernel *const *kernels, size_t n,
                      const struct cb_params *settings, struct cb_error *err);

/*
 * Give params kernel's parameter: what its fixture's setup wrote, or none
 * (a kernel without a fixture, or whose fixture is not set up).
 */
void cb_fixture_params(const struct cb_kernel *kernel,
                       struct cb_params *params);

/*
 * The state kernel's fixture's setup made, or NULL: for the kernel's own
 * tests, which know what it is.
 */
void *cb_fixture_state(const struct cb_kernel *kernel);

/*
 * Tear down every fixture set up, the last first; then kill and reap what
 * their setups started that is still running. Nothing when none is set
 * up; a second call does nothing.
 */
void cb_fixtures_stop(void);

#ifdef __cplusplus
}
#endif

#endif
