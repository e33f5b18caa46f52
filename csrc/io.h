/*
 * Whole reads and writes on a file descriptor (pipes, sockets), retrying
 * on EINTR: what every process-based mode and role speaks its records
 * with.
 */
#ifndef CB_IO_H
#define CB_IO_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read exactly len bytes, retrying on EINTR. Returns len, 0 at end of file
 * before any byte, or -1 (errno set; EPROTO for a short read).
 */
ssize_t cb_read_full(int fd, void *buf, size_t len);

/* Write all of buf, retrying on EINTR. Returns 0 or -1 with errno set. */
int cb_write_full(int fd, const void *buf, size_t len);

/*
 * Read whole records of size bytes into buf, at most max: what one read
 * gives, with a record cut short completed (waiting for its rest, also on a
 * non-blocking fd). Returns how many, 0 at end of file, or -1 with errno
 * set (EAGAIN: a non-blocking fd had nothing; EPROTO: end of file inside a
 * record).
 */
ssize_t cb_read_records(int fd, void *buf, size_t size, size_t max);

#ifdef __cplusplus
}
#endif

#endif
