/*
 * The parent's size, a dimension of the workload (--parent-rss): memory
 * that the process measuring a repetition holds, private and touched,
 * before its executor starts and while its batches run, so that a mode
 * pays what it would from a parent of that size. fork copies the page
 * table entries of every resident private page (and the child's exit
 * tears its copy down), so process, and process_pool's workers when they
 * are forked, cost more from a bigger parent; posix_spawn (spawn, and
 * forkserver's server, whose children are forks of that small image)
 * and threads do not.
 *
 * The memory is an anonymous private mapping with every page written
 * once, and marked MADV_NOHUGEPAGE: in 4 KiB pages, as an ordinary heap
 * of small objects is, whatever the machine's transparent huge page
 * setting (with THP "always" a 1 GiB mapping could be 512 huge pages,
 * and fork would copy 512 entries instead of 262144: a measure of the
 * THP setting rather than of the parent's size).
 */
#ifndef CB_PARENT_RSS_H
#define CB_PARENT_RSS_H

#include "cb_facts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cb_error;

struct cb_parent_rss {
    uint64_t bytes; /* as asked */
    void *addr;     /* NULL when none is held */
    size_t len;     /* bytes rounded up to whole pages */
};

/*
 * What this process could hold now: the least of the machine's
 * MemAvailable, what the cgroup's memory.max (cgroup v2, along its path)
 * leaves, and what RLIMIT_AS and RLIMIT_DATA leave, less
 * CB_PARENT_RSS_HEADROOM; UINT64_MAX when none can be read. *limit names
 * the least ("MemAvailable", "the cgroup's memory.max", "RLIMIT_AS",
 * "RLIMIT_DATA"), NULL with UINT64_MAX.
 */
uint64_t cb_memory_room(const char **limit);

/*
 * Whether bytes fit in cb_memory_room(); when not, why[] says so in one
 * line: "1G is more than this process can hold now (742.1 MiB: MemAvailable
 * less 512 MiB)".
 */
bool cb_parent_rss_fits(uint64_t bytes, char *why, size_t why_len);

/*
 * Hold bytes of private memory, every page written (nothing for 0).
 * Returns 0, or -1 with err set (more than cb_memory_room, or mmap
 * failed) and nothing held.
 */
int cb_parent_rss_hold(struct cb_parent_rss *h, uint64_t bytes,
                       struct cb_error *err);

/* Give it back (nothing when none is held); h then holds nothing. */
void cb_parent_rss_release(struct cb_parent_rss *h);

#ifdef __cplusplus
}
#endif

#endif
