/* The parent's size: memory held, private and touched (parent_rss.h). */
#include "parent_rss.h"

#include "error.h"
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* The number after "key" in a /proc file of "key value kB" lines, in
 * bytes (a kB value times 1024); 0 when absent. */
static uint64_t proc_kb(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t value = 0;
    size_t n = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            value = strtoull(line + n + 1, NULL, 10) * 1024;
            break;
        }
    }
    fclose(f);
    return value;
}

/* A cgroup file holding one number, or "max" (UINT64_MAX); false when it
 * cannot be read. */
static bool cgroup_value(const char *dir, const char *file, uint64_t *out)
{
    char path[PATH_MAX + 32], text[64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    if (strncmp(text, "max", 3) == 0) {
        *out = UINT64_MAX;
        return true;
    }
    char *end;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return errno == 0 && end != text;
}

/* What the cgroup v2 memory.max of this process's cgroup and each above
 * it leaves (memory.max less memory.current), the least; UINT64_MAX
 * when none is set or none can be read. */
static uint64_t cgroup_room(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f)
        return UINT64_MAX;
    char line[PATH_MAX], dir[PATH_MAX + 32] = "";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(dir, sizeof dir, "/sys/fs/cgroup%s",
                     strcmp(line + 3, "/") == 0 ? "" : line + 3);
            break;
        }
    }
    fclose(f);
    uint64_t least = UINT64_MAX;
    while (dir[0]) {
        uint64_t max, current;
        if (cgroup_value(dir, "memory.max", &max) && max != UINT64_MAX &&
            cgroup_value(dir, "memory.current", &current)) {
            uint64_t room = max > current ? max - current : 0;
            if (room < least)
                least = room;
        }
        if (strcmp(dir, "/sys/fs/cgroup") == 0)
            break;
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    return least;
}

/* What a resource limit leaves above used; UINT64_MAX without one. */
static uint64_t rlimit_room(int resource, uint64_t used)
{
    struct rlimit r;
    if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY)
        return UINT64_MAX;
    return (uint64_t)r.rlim_cur > used ? (uint64_t)r.rlim_cur - used : 0;
}

uint64_t cb_memory_room(const char **limit)
{
    struct {
        uint64_t room;
        const char *name;
    } limits[] = {
        {proc_kb("/proc/meminfo", "MemAvailable"), "MemAvailable"},
        {cgroup_room(), "the cgroup's memory.max"},
        {rlimit_room(RLIMIT_AS, proc_kb("/proc/self/status", "VmSize")),
         "RLIMIT_AS"},
        {rlimit_room(RLIMIT_DATA, proc_kb("/proc/self/status", "VmData")),
         "RLIMIT_DATA"},
    };
    if (limits[0].room == 0) /* no MemAvailable: not Linux's /proc */
        limits[0].room = UINT64_MAX;
    uint64_t least = UINT64_MAX;
    *limit = NULL;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (limits[i].room < least) {
            least = limits[i].room;
            *limit = limits[i].name;
        }
    }
    if (least == UINT64_MAX)
        return least;
    return least > CB_PARENT_RSS_HEADROOM ? least - CB_PARENT_RSS_HEADROOM
                                          : 0;
}

bool cb_parent_rss_fits(uint64_t bytes, char *why, size_t why_len)
{
    const char *limit;
    uint64_t room = cb_memory_room(&limit);
    if (bytes <= room)
        return true;
    char size[32];
    cb_format_size(bytes, size, sizeof size);
    snprintf(why, why_len,
             "%s is more than this process can hold now (%.1f MiB: %s "
             "less %llu MiB)",
             size, (double)room / (1 << 20), limit,
             (unsigned long long)(CB_PARENT_RSS_HEADROOM >> 20));
    return false;
}

int cb_parent_rss_hold(struct cb_parent_rss *h, uint64_t bytes,
                       struct cb_error *err)
{
    *h = (struct cb_parent_rss){.bytes = bytes};
    if (bytes == 0)
        return 0;
    char why[200], size[32];
    cb_format_size(bytes, size, sizeof size);
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    if (bytes > SIZE_MAX - (uint64_t)page) {
        cb_error_set(err, "--parent-rss: %s is more than this process can "
                     "address", size);
        return -1;
    }
    if (!cb_parent_rss_fits(bytes, why, sizeof why)) {
        cb_error_set(err, "--parent-rss: %s", why);
        return -1;
    }
    size_t len = (size_t)((bytes + (uint64_t)page - 1) / (uint64_t)page *
                          (uint64_t)page);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        cb_error_set(err, "--parent-rss: holding %s: mmap: %s", size,
                     strerror(errno));
        return -1;
    }
#ifdef MADV_NOHUGEPAGE
    /* EINVAL on a kernel without THP: then there is nothing to turn off. */
    (void)madvise(p, len, MADV_NOHUGEPAGE);
#endif
    /* Every page written, each with a value of its own: resident and
     * private (not the shared zero page, nothing KSM could merge). */
    for (size_t off = 0; off < len; off += (size_t)page)
        *(volatile uint64_t *)((char *)p + off) = off / (size_t)page + 1;
    h->addr = p;
    h->len = len;
    return 0;
}

void cb_parent_rss_release(struct cb_parent_rss *h)
{
    if (h->addr)
        munmap(h->addr, h->len);
    *h = (struct cb_parent_rss){0};
}
