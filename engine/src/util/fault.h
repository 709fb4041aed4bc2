/* fault.h - the names of the fault kinds, as reports, logs and personas
 * spell them, from one table in throng_fault_t order. */
#ifndef THRONG_FAULT_H
#define THRONG_FAULT_H

#include "throng.h"

/* X(kind, name): every fault kind, in the order of throng_fault_t. */
#define THRONG__FAULTS(X)                                                                          \
    X(THRONG_FAULT_NOT_CONNECTED, "not-connected")                                                 \
    X(THRONG_FAULT_TIMED_OUT, "timed-out")                                                         \
    X(THRONG_FAULT_ABANDONED, "abandoned")                                                         \
    X(THRONG_FAULT_CLOSED, "closed")                                                               \
    X(THRONG_FAULT_BUSY, "busy")                                                                   \
    X(THRONG_FAULT_INVALID, "invalid")                                                             \
    X(THRONG_FAULT_HTTP_ERROR, "http-error")                                                       \
    X(THRONG_FAULT_SCRIPT_ERROR, "script-error")                                                   \
    X(THRONG_FAULT_ABORTED, "aborted")                                                             \
    X(THRONG_FAULT_TLS, "tls")

/* The names, NULL-terminated (for luaL_checkoption). */
extern const char *const throng__fault_names[THRONG_FAULT_KINDS + 1];

#endif
