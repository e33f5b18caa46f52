/*
 * Every measurement in a process of its own, forked from the same process,
 * so that every one starts from the same state: what one leaves behind
 * where it ran (the allocator's arenas of the threads that ran tasks, an
 * OpenMP runtime's idle threads, a kernel's globals) goes with that
 * process, and what the driver gathers as the run goes on (every
 * repetition's results) is not in it either.
 *
 * The driver starts a forker when everything the measurements need is set
 * up and nothing measured yet: a child that forks one measuring process
 * per request, waits for it, and passes its answer back. (It starts one
 * again, stopping the first, when it has changed what a benchmark runs:
 * bench/rounds.cc, the batches of --batches and of the later rounds.) The
 * forker stays as small as it started; the driver grows, but nothing is
 * forked from it. Measured here (docs/results/isolation-vm/): with every
 * repetition in the driver itself, the driver grew from 6.3 to 23.1 MiB
 * resident and from 11 MiB to 1.1 GiB mapped over two rounds of the
 * default suite (an arena and a stack for every thread that ran gmp_pow,
 * libgomp's idle threads), and fork+_exit+waitpid from it cost 0.44 ms a
 * task in round 1 and 0.92 ms in round 2; with each repetition forked from
 * the driver, its results alone grew it from 6.5 to 10.0 MiB, and
 * fork+_exit+waitpid cost 8 % more in rounds 4 and on than in round 1 and
 * 22 % more than in a run alone. From the forker: the same in round 1, in
 * rounds 4 and on, and alone, within noise
 * (docs/results/verdicts-vm/).
 *
 * It also keeps the driver alive when a kernel ends the process that runs
 * it (exit, a crash, an abort in an in-process mode): that measurement
 * fails and the run goes on.
 */
#ifndef CB_ISOLATE_H
#define CB_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cb_error;

/*
 * What runs in a measuring process: measurement what, then its answer, a
 * buffer from malloc and its length (NULL: nothing to say, an empty
 * answer).
 */
typedef void (*cb_isolated_fn)(uint32_t what, char **answer, size_t *len);

struct cb_forker;

/*
 * Fork the forker now, with fn to run in each measuring process. It dies
 * with this process; stdout and stderr are flushed first. Returns 0 with
 * *out set, or -1 with err set.
 */
int cb_forker_start(cb_isolated_fn fn, struct cb_forker **out,
                    struct cb_error *err);

/*
 * Measurement what in a process of its own, forked by the forker; the
 * process _exits without running exit handlers. 0 with *answer (malloc'd,
 * NUL-terminated after *len bytes) once it has answered and exited with
 * status 0; -1 with err saying how it ended otherwise ("it was killed by
 * signal 11 (Segmentation fault)", "it exited with status 0 before it
 * answered"), or why it could not be run. Processes that it left holding
 * its answer's pipe do not keep this waiting once it has ended, and what
 * it left running is ended with it. A forker that has died is started
 * again, from this process as it now is.
 */
int cb_forker_run(struct cb_forker *f, uint32_t what, char **answer,
                  size_t *len, struct cb_error *err);

/* End the forker and free f (NULL: nothing). */
void cb_forker_stop(struct cb_forker *f);

#ifdef __cplusplus
}
#endif

#endif
