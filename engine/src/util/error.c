/* error.c - names and messages of the THRONG_E* codes, and the message
 * buffer helper every object uses to say what went wrong. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

const char *throng_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define XX(name, code, msg)                                                                        \
    case THRONG_##name:                                                                            \
        return msg;
        THRONG_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *throng_err_name(int err)
{
    switch (err) {
    case 0:
        return "OK";
#define XX(name, code, msg)                                                                        \
    case THRONG_##name:                                                                            \
        return #name;
        THRONG_ERRNO_MAP(XX)
#undef XX
    }
    return "EUNKNOWN";
}

void throng_free(void *p)
{
    free(p);
}

int throng__fail(char *buf, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, THRONG__ERRMSG_LEN, fmt, ap);
    va_end(ap);
    return err;
}
