/*
 * One measurement in a process of its own, so that every measurement starts
 * from the same process: what one leaves behind where it ran (the
 * allocator's arenas of the threads that ran tasks, an OpenMP runtime's
 * idle threads, a kernel's globals) goes with that process, and the next
 * one starts from the driver as it was. Measured here before this: over
 * the default suite's first round the driver grew from 7 to 21 MB
 * resident and from 60 MB to 1.1 GB mapped (an arena and a stack for each
 * thread that ran gmp_pow), and fork+_exit+waitpid from it cost 0.3 ms in
 * round 1 and 0.9 to 1.3 ms in round 2.
 *
 * It also keeps the driver alive when a kernel ends the process that runs
 * it (exit, a crash, an abort in an in-process mode): that measurement
 * fails and the run goes on.
 */
#ifndef CB_ISOLATE_H
#define CB_ISOLATE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cb_error;

/*
 * What runs in the child: the measurement, then its answer, a buffer from
 * malloc and its length (NULL: nothing to say, an empty answer).
 */
typedef void (*cb_isolated_fn)(void *arg, char **answer, size_t *len);

/*
 * Fork a child that dies with this process, run fn(arg) there and send its
 * answer back; the child then _exits without running exit handlers. Here:
 * 0 with *answer (malloc'd, NUL-terminated after *len bytes) once the child
 * has answered and exited with status 0; -1 with err saying how it ended
 * otherwise ("it was killed by signal 11 (Segmentation fault)", "it exited
 * with status 0 before it answered"), or why it could not start. Grandchildren
 * that hold the answer's pipe do not keep this waiting once the child has
 * ended. stdout and stderr are flushed first, so that the child's own exit
 * does not print again what this process had buffered.
 */
int cb_isolated(cb_isolated_fn fn, void *arg, char **answer, size_t *len,
                struct cb_error *err);

#ifdef __cplusplus
}
#endif

#endif
