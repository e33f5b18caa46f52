/*
 * Options of single modes (a pool's chunk size, gil's switch interval),
 * declared by the modes that take them, in their struct cb_mode. The driver
 * makes a flag of each (--name, with '-' for '_'), --help lists them, the
 * context records their values under their names, and a benchmark's name
 * shows those marked in_name when not at their default. A value is a whole
 * number in [min, max] or, where the option allows it, "auto", resolved
 * per job; either is resolved once, when the executor is made.
 */
#ifndef CB_OPTIONS_H
#define CB_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most options one mode may take. */
#define CB_MAX_MODE_OPTIONS 4

struct cb_job;

struct cb_option {
    const char *name;    /* context key and label key; the flag's name */
    const char *metavar; /* "N", "N|auto" */
    const char *help;    /* one line for --help, without range or default */
    unsigned min, max, def;
    /* NULL, or the value "auto" is allowed and resolved for a job so. */
    unsigned (*resolve_auto)(const struct cb_job *job);
    bool in_name; /* /name:value in benchmark names when not def */
    /*
     * NULL, or the value is one of these words (NULL-terminated), and the
     * number stands for its index: min 0, max the last index.
     */
    const char *const *choices;
};

/* An option's value as the user gave it. */
struct cb_option_value {
    unsigned value; /* when not is_auto */
    bool is_auto;
};

/* The pools' chunk: tasks a worker takes at a time (1 to T, or auto). */
extern const struct cb_option cb_option_chunk;

/*
 * How the process-based modes move a task's payload: through pipes (as
 * Python's multiprocessing pickles through its pipes) or through memory
 * shared beforehand (as multiprocessing.shared_memory).
 */
extern const struct cb_option cb_option_transport;
enum { CB_TRANSPORT_PIPE, CB_TRANSPORT_SHM };

/*
 * How a pool's idle workers, and its caller waiting for a batch's results,
 * wait (thread_pool, process_pool, openmp): passive parks them in the
 * kernel at once, to be woken by a system call; active first spins a
 * bounded while (spin.h: the same budget for the three), as libgomp's
 * threads do by default. Named /wait:active when active.
 */
extern const struct cb_option cb_option_wait;
enum { CB_WAIT_PASSIVE, CB_WAIT_ACTIVE };

/*
 * How long a pool's workers live (bench/suite.c owns the lifetime): kept,
 * started once per repetition before its first batch and reused by every
 * batch, the start a counter (pool_start_s) outside the batches' times, as
 * a long-lived Pool is used; fresh, started and ended by each batch inside
 * its time, as Python's seed notes do (with Pool(W) as p: p.map(...)).
 * Listed by the modes whose workers a batch can start and end (the pools,
 * forkserver, mpi_pool); openmp's runtime keeps its threads regardless.
 */
extern const struct cb_option cb_option_pool;
enum { CB_POOL_KEPT, CB_POOL_FRESH };

/* The chunk size Python's Pool.map picks: ceil(T / (4 W)). */
unsigned cb_chunk_auto(unsigned tasks, unsigned workers);

/* An option at its default. */
struct cb_option_value cb_option_default(const struct cb_option *option);

/*
 * Parse text as a value of option into *out. Returns 0, -EINVAL when it is
 * neither a whole number nor (where allowed) "auto", or -ERANGE when it is
 * a whole number out of [min, max].
 */
int cb_option_parse(const struct cb_option *option, const char *text,
                    struct cb_option_value *out);

/* The number value stands for in job. */
unsigned cb_option_resolve(const struct cb_option *option,
                           const struct cb_option_value *value,
                           const struct cb_job *job);

/* value as the user would write it: "auto", the number, or the word. */
void cb_option_format(const struct cb_option *option,
                      const struct cb_option_value *value, char *buf,
                      size_t len);

/* The option's flag, "--switch-us" for switch_us. */
void cb_option_flag(const struct cb_option *option, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
