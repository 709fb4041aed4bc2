/* error.h - error codes and the per-object message buffer. */
#ifndef THRONG_ERROR_H
#define THRONG_ERROR_H

#include <stddef.h>

#include "throng.h"

#define THRONG__ERRMSG_LEN 512

/* Formats a message into buf (THRONG__ERRMSG_LEN bytes) and returns err, so
 * that a failing path reads `return throng__fail(e->errmsg, THRONG_EINVAL, ...)`. */
int throng__fail(char *buf, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
