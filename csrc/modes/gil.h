/*
 * What the gil mode records about its global lock in a batch, for the tests
 * (which check from it that no two tasks ever computed at once) and for a
 * counter (time a task spent waiting for the lock, switches).
 */
#ifndef CB_GIL_H
#define CB_GIL_H

#include "executor.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One time a task held the lock, CLOCK_MONOTONIC ns: [start_ns, end_ns]. */
struct cb_gil_hold {
    unsigned task;
    int64_t start_ns, end_ns;
};

/* The lock in the last batch of an executor. */
struct cb_gil_stats {
    /* Times a waiter's switch interval ran out and it asked for the lock. */
    uint64_t drop_requests;
    /* Times the lock went to another task than the one that last held it. */
    uint64_t switches;
    /* Holds not recorded because the array was full (0 in any sane batch). */
    size_t holds_lost;
    /* Per task 0..T-1: ns it spent waiting to take the lock. */
    const int64_t *wait_ns;
};

/*
 * The holds of ex's last batch, in the order they ended (which is the order
 * they began: they never overlap); returns how many. ex must come from
 * cb_mode_gil.start, and the batch must be over (run returned, whether it
 * failed or not, and left no thread running).
 */
size_t cb_gil_holds(const struct cb_executor *ex,
                    const struct cb_gil_hold **holds);

/* The counters of ex's last batch, on the same terms as cb_gil_holds. */
void cb_gil_stats(const struct cb_executor *ex, struct cb_gil_stats *st);

extern const struct cb_mode cb_mode_gil;

/* gil's switch interval, Python's sys.getswitchinterval(): 5 ms default. */
extern const struct cb_option cb_option_switch_us;

#ifdef __cplusplus
}
#endif

#endif
