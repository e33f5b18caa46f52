/* A task's data: the shared area, the answer, the check (payload.h). */
#include "payload.h"

#include "error.h"
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* splitmix64: a fast, well-mixed stream for the inputs and the tags. */
static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t tag_of(unsigned task)
{
    return mix(0x5f3759df00000000u | task);
}

int cb_payload_make(struct cb_payload *p, unsigned tasks, uint64_t bytes,
                    struct cb_error *err)
{
    *p = (struct cb_payload){.bytes = bytes, .tasks = tasks, .fd = -1};
    size_t len = 2 * (size_t)tasks * bytes;
    p->fd = memfd_create("concbench-payload", MFD_CLOEXEC);
    if (p->fd < 0 || ftruncate(p->fd, (off_t)len) < 0) {
        cb_error_set(err, "payload of %u x %" PRIu64 " bytes: %s", tasks,
                     bytes, strerror(errno));
        cb_payload_free(p);
        return -1;
    }
    if (cb_payload_map(p, p->fd, tasks, bytes) < 0) {
        cb_error_set(err, "payload of %u x %" PRIu64 " bytes: %s", tasks,
                     bytes, strerror(errno));
        cb_payload_free(p);
        return -1;
    }
    /*
     * The outputs touched once now, so that no batch pays for faulting
     * them in (the first would, and look slower than the others).
     */
    memset(p->out, 0, (size_t)tasks * bytes);
    /* Every task's input different, from a stream seeded by its index. */
    for (unsigned t = 0; t < tasks; t++) {
        unsigned char *in = p->in + (size_t)t * bytes;
        uint64_t s = mix(t);
        for (uint64_t i = 0; i < bytes; i += 8) {
            uint64_t word = mix(s + i);
            size_t n = bytes - i < 8 ? (size_t)(bytes - i) : 8;
            memcpy(in + i, &word, n);
        }
    }
    return 0;
}

int cb_payload_map(struct cb_payload *p, int fd, unsigned tasks,
                   uint64_t bytes)
{
    p->bytes = bytes;
    p->tasks = tasks;
    p->map_len = 2 * (size_t)tasks * bytes;
    void *m = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                   0);
    if (m == MAP_FAILED) {
        p->in = p->out = NULL;
        p->map_len = 0;
        return -1;
    }
    p->in = m;
    p->out = p->in + (size_t)tasks * bytes;
    return 0;
}

void cb_payload_free(struct cb_payload *p)
{
    if (p->in)
        munmap(p->in, p->map_len);
    if (p->fd >= 0)
        close(p->fd);
    *p = (struct cb_payload){.fd = -1};
}

void cb_payload_answer(const unsigned char *in, unsigned char *out,
                       uint64_t bytes, unsigned task)
{
    uint64_t tag = tag_of(task);
    uint64_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64_t word;
        memcpy(&word, in + i, 8);
        word ^= tag;
        memcpy(out + i, &word, 8);
    }
    for (; i < bytes; i++)
        out[i] = in[i] ^ (unsigned char)(tag >> (8 * (i % 8)));
}

void cb_payload_clear(struct cb_payload *p)
{
    for (unsigned t = 0; t < p->tasks; t++) {
        unsigned char *out = cb_payload_output(p, t);
        size_t n = p->bytes < 8 ? (size_t)p->bytes : 8;
        memset(out, 0, n);
        memset(out + p->bytes - n, 0, n);
    }
}

bool cb_payload_check(const struct cb_payload *p, unsigned task, char *why,
                      size_t why_len)
{
    const unsigned char *in = cb_payload_input(p, task);
    const unsigned char *out = cb_payload_output(p, task);
    uint64_t tag = tag_of(task);
    for (uint64_t i = 0; i < p->bytes; i++) {
        unsigned char want = in[i] ^ (unsigned char)(tag >> (8 * (i % 8)));
        if (out[i] == want)
            continue;
        /* Whose answer is it, if another task's? Look at the first word. */
        for (unsigned o = 0; o < p->tasks && i == 0 && p->bytes >= 8; o++) {
            unsigned char other = cb_payload_input(p, o)[0] ^
                                  (unsigned char)tag_of(o);
            if (o != task && out[0] == other &&
                memcmp(out, cb_payload_output(p, o), 8) == 0) {
                snprintf(why, why_len, "its output is task %u's", o);
                return false;
            }
        }
        snprintf(why, why_len, "output byte %" PRIu64 " of %" PRIu64
                 " is wrong", i, p->bytes);
        return false;
    }
    return true;
}

int cb_payload_parse(const char *text, uint64_t *bytes)
{
    return cb_parse_size(text, CB_MAX_PAYLOAD, bytes);
}

void cb_payload_format(uint64_t bytes, char *buf, size_t len)
{
    cb_format_size(bytes, buf, len);
}
