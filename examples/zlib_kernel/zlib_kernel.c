/*
 * An example concbench kernel library: a task compresses 256 KiB of text
 * with zlib (level 6) and decompresses it again, a realistic CPU-bound
 * task that is not concbench's own. The text is made once per process, in
 * the kernel's init, so every task does the same work; the value is the
 * compressed size and CRC-32, checked against what init computed, and the
 * round trip must give the text back.
 *
 * Build it with the Makefile beside this file (or any build that compiles
 * it -fPIC -shared against concbench_kernel.h and links -lz), then:
 *
 *     concbench --kernel-lib=./libzlib_kernel.so --kernels=zlib_deflate
 */
#include <concbench_kernel.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { TEXT_BYTES = 256 * 1024 };

static unsigned char *text;  /* what every task compresses */
static uint64_t expected;    /* its value, as init computed it */

/* Compress text and back; the value (size << 32 | crc), or 0 on failure. */
static uint64_t round_trip(void)
{
    uLongf packed_len = compressBound(TEXT_BYTES);
    unsigned char *packed = malloc(packed_len);
    unsigned char *back = malloc(TEXT_BYTES);
    uint64_t value = 0;
    if (packed && back &&
        compress2(packed, &packed_len, text, TEXT_BYTES, 6) == Z_OK) {
        uLongf back_len = TEXT_BYTES;
        if (uncompress(back, &back_len, packed, packed_len) == Z_OK &&
            back_len == TEXT_BYTES && memcmp(back, text, TEXT_BYTES) == 0)
            value = (uint64_t)packed_len << 32 |
                    crc32(0, packed, (uInt)packed_len);
    }
    free(packed);
    free(back);
    return value;
}

/* Words of a small vocabulary in a fixed pseudo-random order. */
static int make_text(char *why, size_t why_len)
{
    static const char *const words[] = {
        "thread", "process", "pool", "task", "batch", "worker", "kernel",
        "fork", "spawn", "lock", "queue", "result", "digest", "round"};
    text = malloc(TEXT_BYTES);
    if (!text) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t i = 0; i < TEXT_BYTES;) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const char *w = words[x % (sizeof words / sizeof words[0])];
        for (size_t j = 0; w[j] && i < TEXT_BYTES; j++)
            text[i++] = (unsigned char)w[j];
        if (i < TEXT_BYTES)
            text[i++] = ' ';
    }
    expected = round_trip();
    if (expected == 0) {
        snprintf(why, why_len, "zlib could not compress and uncompress");
        return -1;
    }
    return 0;
}

static uint64_t deflate_run(const struct concbench_task *t)
{
    (void)t;
    return round_trip();
}

static int deflate_check(uint64_t value, const struct concbench_task *t,
                         char *why, size_t why_len)
{
    (void)t;
    if (value == expected)
        return 1;
    snprintf(why, why_len, "value %#llx, expected %#llx",
             (unsigned long long)value, (unsigned long long)expected);
    return 0;
}

static const struct concbench_kernel kernels[] = {
    {.name = "zlib_deflate",
     .summary = "compress 256 KiB of text with zlib and back (CPU-bound)",
     .run = deflate_run,
     .check = deflate_check,
     .init = make_text},
};

CONCBENCH_EXPORT const struct concbench_kernel_table CONCBENCH_KERNEL_TABLE = {
    CONCBENCH_KERNEL_ABI, sizeof kernels / sizeof kernels[0], kernels};
