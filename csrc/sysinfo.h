/* What a comparison across machines needs to know about this one. */
#ifndef CB_SYSINFO_H
#define CB_SYSINFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cb_sysinfo_item {
    const char *key;
    char value[128];
};

/*
 * Fill items with up to max key/value pairs (cpu_model, cpus_online,
 * cpus_allowed, kernel, compiler, gmp_version, governor, smt); what cannot
 * be read is "unknown". Returns how many were filled.
 */
size_t cb_sysinfo(struct cb_sysinfo_item *items, size_t max);

/*
 * This process's size now, from /proc/self/statm: resident (rss) and
 * mapped (the whole address space) bytes. What fork copies the page
 * tables of, so what a fork-based mode's cost grows with. Returns 0, or
 * -1 (both 0) where it cannot be read.
 */
int cb_self_memory(unsigned long long *rss_bytes,
                   unsigned long long *mapped_bytes);

/* CPUs this process may run on (sched_getaffinity), at least 1. */
unsigned cb_cpus_allowed(void);

#ifdef __cplusplus
}
#endif

#endif
