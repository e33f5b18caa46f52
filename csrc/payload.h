/*
 * A task's data (--payload): an input of B bytes, different for every task
 * and made before the timed region, that the task reads whole, and an
 * output of B bytes it answers with, which the caller checks byte for
 * byte. What it costs a strategy to get the input to its worker and the
 * output back is what threads and processes differ in most: threads pass
 * pointers, processes copy through pipes or share memory.
 *
 * The inputs and outputs of a batch live in one shared mapping of a memfd,
 * made when the executor is: threads use it as memory, forked workers
 * inherit it, fresh images map the fd; which of them use it, and which
 * copy through pipes instead, is each mode's (its transport option).
 */
#ifndef CB_PAYLOAD_H
#define CB_PAYLOAD_H

#include "cb_facts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest payload a task: CB_MAX_PAYLOAD (cb_facts.h). */

struct cb_error;

struct cb_payload {
    uint64_t bytes;  /* per task */
    unsigned tasks;
    int fd;          /* the memfd, for fresh images; -1 when none */
    unsigned char *in, *out; /* tasks x bytes each, in the one mapping */
    size_t map_len;
};

/*
 * Make the area of tasks inputs and outputs of bytes each, and fill the
 * inputs. Returns 0, or -1 with err set.
 */
int cb_payload_make(struct cb_payload *p, unsigned tasks, uint64_t bytes,
                    struct cb_error *err);
void cb_payload_free(struct cb_payload *p);

/*
 * Map an area another process made, from its fd (a fresh image's).
 * Returns 0, or -1 with errno set.
 */
int cb_payload_map(struct cb_payload *p, int fd, unsigned tasks,
                   uint64_t bytes);

static inline const unsigned char *cb_payload_input(const struct cb_payload *p,
                                                    unsigned task)
{
    return p->in + (size_t)task * p->bytes;
}

static inline unsigned char *cb_payload_output(const struct cb_payload *p,
                                               unsigned task)
{
    return p->out + (size_t)task * p->bytes;
}

/*
 * The task's answer to its input: out = in with every 8-byte word mixed
 * with the task's tag, so that reading all of it is needed, and another
 * task's output, or last batch's, does not pass for this one's.
 */
void cb_payload_answer(const unsigned char *in, unsigned char *out,
                       uint64_t bytes, unsigned task);

/* Before a batch: spoil every output's first and last word. */
void cb_payload_clear(struct cb_payload *p);

/*
 * Whether task's output is its answer to its input; on false, why[] says
 * where it is not ("output byte 4096 of 1048576 is wrong").
 */
bool cb_payload_check(const struct cb_payload *p, unsigned task, char *why,
                      size_t why_len);

/*
 * Parse "0", "4096", "4K", "1M", "16M", "1G" (binary units) into bytes,
 * 0 to CB_MAX_PAYLOAD. Returns 0, -EINVAL or -ERANGE.
 */
int cb_payload_parse(const char *text, uint64_t *bytes);

/* bytes as the shortest exact "16M", "4K", "1000". */
void cb_payload_format(uint64_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
