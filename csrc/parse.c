/* Strict number parsing: strtoull plus end-pointer, errno and range checks. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int cb_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    /* strtoull accepts leading space and a sign ("-1" wraps): refuse both. */
    if (!s || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *out = (unsigned)v;
    return 0;
}

int cb_parse_size(const char *s, uint64_t max, uint64_t *bytes)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    unsigned shift = 0;
    if (*end == 'K')
        shift = 10;
    else if (*end == 'M')
        shift = 20;
    else if (*end == 'G')
        shift = 30;
    if (shift)
        end++;
    if (*end != '\0')
        return -EINVAL;
    if (v > (max >> shift))
        return -ERANGE;
    *bytes = (uint64_t)v << shift;
    return 0;
}

void cb_format_size(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = {'G', 'M', 'K'};
    for (unsigned u = 0; u < 3; u++) {
        unsigned shift = 30 - 10 * u;
        if (bytes && bytes % (1ull << shift) == 0) {
            snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift, units[u]);
            return;
        }
    }
    snprintf(buf, len, "%" PRIu64, bytes);
}
