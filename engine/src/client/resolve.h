/* resolve.h - the servers a worker thread's sessions connect to
 * (client:connect), each resolved once, off the loop's thread
 * (uv_getaddrinfo), and kept for the run. */
#ifndef THRONG_RESOLVE_H
#define THRONG_RESOLVE_H

#include <uv.h>

#include "util/address.h"

/* Called once per waiting get: the address (kept by the resolver for the
 * run), or NULL and the reason. */
typedef void (*throng__resolve_cb)(void *data, const throng__address_t *address, const char *err);

typedef struct throng__resolve_entry throng__resolve_entry_t;

typedef struct throng__resolver {
    uv_loop_t *loop;
    throng__resolve_entry_t **entries;
    unsigned n;
    int closing; /* the loop is ending: no new lookups */
} throng__resolver_t;

void throng__resolver_init(throng__resolver_t *r, uv_loop_t *loop);

/* The address of server text ("host:port"). Returns 0 with *out set when
 * it is known; 1 when a lookup is under way, and cb(data, ...) will be
 * called from the loop; or a negative THRONG_E* code with the reason in err
 * (THRONG__ERRMSG_LEN bytes) when it cannot be had. */
int throng__resolver_get(throng__resolver_t *r, const char *server, throng__resolve_cb cb,
                         void *data, const throng__address_t **out, char *err);

/* Forgets every wait of data (its owner is going away). */
void throng__resolver_cancel(throng__resolver_t *r, void *data);

/* Cancels what can be cancelled before the loop's end: a lookup already
 * running still ends, with nobody waiting. */
void throng__resolver_close(throng__resolver_t *r);

/* Frees what the resolver holds (the loop has ended). */
void throng__resolver_free(throng__resolver_t *r);

#endif
