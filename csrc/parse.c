/* Strict number parsing: strtoull plus end-pointer, errno and range checks. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
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
