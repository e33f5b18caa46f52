/* Strict number parsing for command-line values. */
#ifndef CB_PARSE_H
#define CB_PARSE_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Parse s, a whole decimal number in [min, max], into *out. Returns 0,
 * -EINVAL when s is not a plain decimal number (empty, sign, spaces, junk),
 * or -ERANGE when it is one but out of range.
 */
int cb_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

#ifdef __cplusplus
}
#endif

#endif
