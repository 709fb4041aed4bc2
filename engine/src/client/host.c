/* host.c - the log of a worker thread's clients. */
#include <stdarg.h>
#include <stdio.h>

#include "client/host.h"

void throng__host_log(const throng__host_t *h, throng_log_level_t level, uint64_t client,
                      const char *fmt, ...)
{
    if ((int)level > h->log_level || !h->set->log) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    h->set->log(level, client, msg, h->set->log_data);
}
