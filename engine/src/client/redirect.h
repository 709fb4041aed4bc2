/* redirect.h - following a response's redirect (follow = N): the next
 * hop's request made from the last one's bytes, for the same exchange.
 *
 * 301, 302 and 303 become a GET without a body (HEAD stays HEAD); 307 and
 * 308 keep the method and the body. The Location is resolved against the
 * request's URL. Host and Cookie are written again for the new target;
 * Content-Length and Content-Type go with a dropped body. The whole is one
 * exchange in the ledger; its latency runs from the first hop's sending to
 * the last response. The state is made only for an exchange that may
 * follow, and reused by the lane after that. */
#ifndef THRONG_REDIRECT_H
#define THRONG_REDIRECT_H

#include <stdint.h>

#include "lua/lua_throng.h"
#include "util/address.h"
#include "util/buf.h"
#include "util/http.h"

typedef struct throng__redirect {
    throng__buf_t req;             /* the last hop's request */
    unsigned left;                 /* hops still allowed */
    unsigned hops;                 /* hops followed so far */
    uint64_t service_ns;           /* the hops' latencies so far */
    const throng__address_t *home; /* the lane's own server, to go back to */
    const throng__address_t *at;   /* where the next hop goes */
    throng__address_t other;       /* a Location's server other than home */
    char url[512];                 /* the last hop's URL */
    int moved;                     /* the lane's conn was sent to another server */
} throng__redirect_t;

/* Before a send: remembers the request in out (follow hops allowed) in
 * *rd, made when NULL; with follow 0 only marks *rd unarmed. 0, or -1
 * when memory ran out. */
int throng__redirect_arm(throng__redirect_t **rd, unsigned follow, const throng__buf_t *out,
                         const throng__address_t *home);

/* After an answer: 0 when res is final (no redirect, or none to follow);
 * 1 when the next hop's request is ready in rd->req for rd->at (who's
 * Set-Cookie lines already kept by the caller, its Cookie header written
 * from who's jar unless cookies is 0); -1 with the reason in msg (too many
 * redirects, a Location that cannot be followed). */
int throng__redirect_next(throng__redirect_t *rd, const throng__http_response_t *res,
                          uint64_t latency_ns, throng__lua_caller_t *who, int cookies, char *msg,
                          size_t msglen);

#endif
