/*
 * The active wait policy (options.h's wait option): how long a pool's idle
 * worker, or its caller waiting for a batch's results, spins before it
 * parks in the kernel. One budget for thread_pool, process_pool and
 * openmp, and it is libgomp's own default, so that openmp under active is
 * libgomp as it runs when nothing is set (OMP_WAIT_POLICY and
 * GOMP_SPINCOUNT unset), and the pools spin as long as it does:
 *
 * - up to CB_SPIN_COUNT checks of the word waited on, a pause instruction
 *   between two (libgomp's do_spin: a relaxed load, then cpu_relax), then
 *   park;
 * - CB_SPIN_COUNT_THROTTLED checks instead where the pool's threads or
 *   processes that may spin outnumber the CPUs this process may run on,
 *   where a spinning one would only keep a descheduled one that has work
 *   from running. libgomp counts the threads it manages, its team's W,
 *   the master included, which waits at the end of a region as the others
 *   wait for the next; a pool's are its W workers and its caller, which
 *   waits for the results: W + 1.
 *
 * A count, not a time, as libgomp's: 300000 pauses are some 7.5 ms where
 * a pause takes 25 ns (this project's AMD EPYC VM) and 3 to 15 ms on
 * others (libgomp's comment reckons 3 ms); 100 are a few microseconds.
 * Passive is a budget of 0: park at once.
 */
#ifndef CB_SPIN_H
#define CB_SPIN_H

#include "executor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* libgomp's GOMP_SPINCOUNT when OMP_WAIT_POLICY is unset (env.c). */
#define CB_SPIN_COUNT 300000ULL
/* Its throttled count in that case, when threads exceed the CPUs. */
#define CB_SPIN_COUNT_THROTTLED 100ULL

/*
 * The checks a waiting thread or process of ex's pool makes before it
 * parks: 0 under passive; under active CB_SPIN_COUNT, or
 * CB_SPIN_COUNT_THROTTLED where its spinners, the threads or processes
 * that may spin (W + 1 for a pool with a caller that waits, W for
 * openmp), exceed the CPUs allowed.
 */
unsigned long long cb_spin_budget(const struct cb_executor *ex,
                                  unsigned spinners);

/*
 * Between two checks, as libgomp's cpu_relax on x86 ("rep; nop", the pause
 * instruction); elsewhere only a compiler barrier.
 */
static inline void cb_spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    __asm__ __volatile__("" ::: "memory");
#endif
}

#ifdef __cplusplus
}
#endif

#endif
