/*
 * The machine description that goes into the JSON's context, read from
 * /proc and /sys where Google Benchmark's own context does not have it.
 */
#include "sysinfo.h"

#include <gmp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* First line of path, without its newline, or "unknown". */
static void read_line(const char *path, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)len, f))
        out[strcspn(out, "\n")] = '\0';
    else
        snprintf(out, len, "unknown");
    fclose(f);
}

static void cpu_model(char *out, size_t len)
{
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        /* x86 says "model name", arm64 only "CPU part"; take the first. */
        if (strncmp(line, "model name", 10) == 0) {
            const char *colon = strchr(line, ':');
            if (colon) {
                colon += strspn(colon + 1, " \t") + 1;
                snprintf(out, len, "%s", colon);
                out[strcspn(out, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

int cb_self_memory(unsigned long long *rss_bytes,
                   unsigned long long *mapped_bytes)
{
    *rss_bytes = *mapped_bytes = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    unsigned long long size, resident;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    if (n != 2 || page <= 0)
        return -1;
    *rss_bytes = resident * (unsigned long long)page;
    *mapped_bytes = size * (unsigned long long)page;
    return 0;
}

unsigned cb_cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? (unsigned)n : 1;
}

static void compiler(char *out, size_t len)
{
#if defined(__clang__)
    snprintf(out, len, "clang %s", __clang_version__);
#elif defined(__GNUC__)
    snprintf(out, len, "gcc %s", __VERSION__);
#else
    snprintf(out, len, "unknown");
#endif
}

static void kernel(char *out, size_t len)
{
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(out, len, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(out, len, "unknown");
}

static void cpus_online(char *out, size_t len)
{
    snprintf(out, len, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
}

static void cpus_allowed(char *out, size_t len)
{
    snprintf(out, len, "%u", cb_cpus_allowed());
}

static void gmp(char *out, size_t len)
{
    snprintf(out, len, "%s", gmp_version);
}

static void governor(char *out, size_t len)
{
    read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", out,
              len);
}

static void smt(char *out, size_t len)
{
    read_line("/sys/devices/system/cpu/smt/active", out, len);
}

size_t cb_sysinfo(struct cb_sysinfo_item *items, size_t max)
{
    static const struct {
        const char *key;
        void (*fill)(char *out, size_t len);
    } spec[] = {
        {"cpu_model", cpu_model},     {"cpus_online", cpus_online},
        {"cpus_allowed", cpus_allowed}, {"kernel", kernel},
        {"compiler", compiler},       {"gmp_version", gmp},
        {"governor", governor},       {"smt", smt},
    };
    size_t n = 0;
    for (; n < sizeof spec / sizeof spec[0] && n < max; n++) {
        items[n].key = spec[n].key;
        spec[n].fill(items[n].value, sizeof items[n].value);
    }
    return n;
}
