/*
 * Error text a mode, a kernel's fixture or the framework hands back: one
 * line naming what failed and why, which becomes a benchmark's error.
 */
#ifndef CB_ERROR_H
#define CB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

struct cb_error {
    char msg[256];
};

void cb_error_set(struct cb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "task 3 (and 2 more) still running after 500 ms: timed out". */
void cb_error_timeout(struct cb_error *err, unsigned first_task,
                      unsigned running, unsigned timeout_ms);

/*
 * The timeout error of a pool, from the task each of its n workers is
 * running (current[i] < 0: none): names the lowest, or says how many of the
 * tasks were done if no worker is busy.
 */
void cb_error_pool_timeout(struct cb_error *err, const int *current,
                           unsigned n, unsigned done, unsigned tasks,
                           unsigned timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
