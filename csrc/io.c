/* Whole reads and writes (io.h). */
#include "io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

ssize_t cb_read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && got > 0) {
            /* A non-blocking fd inside a record: wait for the rest. */
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                return -1;
            continue;
        }
        if (n < 0)
            return -1;
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO;
            return -1;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int cb_write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

ssize_t cb_read_records(int fd, void *buf, size_t size, size_t max)
{
    ssize_t n;
    while ((n = read(fd, buf, size * max)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n;
    size_t part = (size_t)n % size;
    if (part) {
        ssize_t rest = cb_read_full(fd, (char *)buf + n, size - part);
        if (rest <= 0) {
            if (rest == 0)
                errno = EPROTO;
            return -1;
        }
        n += rest;
    }
    return n / (ssize_t)size;
}
