/*
 * What the gil mode records about its global lock in a batch, for the tests
 * (which check from it that no two tasks ever computed at once) and for a
 * counter (time a task spent waiting for the lock, switches).
 */
#ifndef CB_GIL_H
#define CB_GIL_H

#include "executor.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One time a task held the lock, CLOCK_MONOTONIC ns: [start_ns, end_ns]. */
struct cb_gil_hold {
    unsigned task;
    int64_t start_ns, end_ns;
    /*
     * Whether the lock came to this hold by a hand-off: the task had waited
     * for it while another held it (not a lock found free).
     */
    bool handoff;
    int cpu;          /* the CPU the task took the lock on (-1: unknown) */
    int64_t state_ns; /* of the hold, spent writing the shared state */
};

/* The lock in the last batch of an executor. */
struct cb_gil_stats {
    /* Times a waiter's switch interval ran out and it asked for the lock. */
    uint64_t drop_requests;
    /* Times the lock went to another task than the one that last held it. */
    uint64_t switches;
    /* Holds not recorded because the array was full (0 in any sane batch). */
    size_t holds_lost;
    /* Holds, hand-offs among them, and those to another CPU than the
     * dropper's; the time from the drop to the take, over the hand-offs. */
    uint64_t holds, handoffs, cross_cpu;
    int64_t handoff_ns;
    /* Cache lines of the shared state written (every hold writes them all),
     * and the time that took, over all holds and over the hand-offs. */
    uint64_t lines_written;
    int64_t state_ns, handoff_state_ns;
    /* The fewest and most writes any one object of the state got (each
     * hold writes each once: both the holds; 0 without a state). */
    uint64_t state_refs_min, state_refs_max;
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

/*
 * The interpreter's state every thread writes (gil.c): KiB that each new
 * holder of the lock writes when it takes it, 0 for none.
 */
extern const struct cb_option cb_option_shared_kib;

/* The size of a cache line the shared state is cut into: an object each. */
#define CB_GIL_LINE 64

#ifdef __cplusplus
}
#endif

#endif
