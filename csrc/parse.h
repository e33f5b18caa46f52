/* Strict number parsing for command-line values. */
#ifndef CB_PARSE_H
#define CB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse s, a whole decimal number in [min, max], into *out. Returns 0,
 * -EINVAL when s is not a plain decimal number (empty, sign, spaces, junk),
 * or -ERANGE when it is one but out of range.
 */
int cb_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/*
 * Parse a size, "0", "4096", "4K", "1M", "16M", "1G" (binary units), into
 * bytes, 0 to max (--payload, --parent-rss). Returns 0, -EINVAL or -ERANGE.
 */
int cb_parse_size(const char *s, uint64_t max, uint64_t *bytes);

/* bytes as the shortest exact "16M", "4K", "1000": how names show a size. */
void cb_format_size(uint64_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
