/* resolve.c - client:connect()'s servers, resolved with uv_getaddrinfo so
 * that a slow name server stalls no client of the thread: the session
 * asking waits (its coroutine yields), the others go on. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/resolve.h"
#include "util/error.h"

typedef struct waiter {
    throng__resolve_cb cb;
    void *data;
} waiter_t;

typedef enum { ENTRY_NEW, ENTRY_PENDING, ENTRY_READY } entry_state_t;

struct throng__resolve_entry {
    throng__resolver_t *r;
    char *server; /* as the persona wrote it */
    throng__address_t address;
    entry_state_t state;
    uv_getaddrinfo_t req;
    waiter_t *waiters;
    unsigned nwaiters, cap;
    waiter_t *firing; /* the waiters being called back, still cancellable */
    unsigned nfiring;
};

void throng__resolver_init(throng__resolver_t *r, uv_loop_t *loop)
{
    memset(r, 0, sizeof *r);
    r->loop = loop;
}

static throng__resolve_entry_t *find(throng__resolver_t *r, const char *server)
{
    for (unsigned i = 0; i < r->n; i++)
        if (strcmp(r->entries[i]->server, server) == 0) return r->entries[i];
    return NULL;
}

static throng__resolve_entry_t *add(throng__resolver_t *r, const char *server)
{
    throng__resolve_entry_t **grown = realloc(r->entries, (r->n + 1) * sizeof *grown);
    if (!grown) return NULL;
    r->entries = grown;
    throng__resolve_entry_t *e = calloc(1, sizeof *e);
    if (e && !(e->server = strdup(server))) {
        free(e);
        e = NULL;
    }
    if (!e) return NULL;
    e->r = r;
    e->req.data = e;
    r->entries[r->n++] = e;
    return e;
}

/* The address to use among those found: IPv4 first, as
 * throng__address_resolve does, so "localhost" means 127.0.0.1. */
static const struct addrinfo *pick(const struct addrinfo *res)
{
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) return ai;
    return res;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    throng__resolve_entry_t *e = req->data;
    char err[THRONG__ERRMSG_LEN] = "";
    const struct addrinfo *ai = status == 0 ? pick(res) : NULL;
    if (ai && ai->ai_addrlen <= sizeof e->address.sa) {
        memset(&e->address.sa, 0, sizeof e->address.sa);
        memcpy(&e->address.sa, ai->ai_addr, ai->ai_addrlen);
        e->address.salen = ai->ai_addrlen;
        e->state = ENTRY_READY;
    } else {
        snprintf(err, sizeof err, "cannot resolve '%s': %s", e->address.host,
                 status ? uv_strerror(status) : "no address");
        e->state = ENTRY_NEW; /* the next get tries again */
    }
    uv_freeaddrinfo(res);
    /* A waiter's callback may add waiters (another session asking) or
     * cancel others (the run ends): take the list first, and let cancel
     * see it. */
    e->firing = e->waiters;
    e->nfiring = e->nwaiters;
    e->waiters = NULL;
    e->nwaiters = e->cap = 0;
    for (unsigned i = 0; i < e->nfiring; i++) {
        waiter_t w = e->firing[i];
        e->firing[i].cb = NULL;
        if (w.cb) w.cb(w.data, e->state == ENTRY_READY ? &e->address : NULL, err);
    }
    free(e->firing);
    e->firing = NULL;
    e->nfiring = 0;
}

static int wait_on(throng__resolve_entry_t *e, throng__resolve_cb cb, void *data)
{
    if (e->nwaiters == e->cap) {
        unsigned cap = e->cap ? 2 * e->cap : 4;
        waiter_t *grown = realloc(e->waiters, cap * sizeof *grown);
        if (!grown) return -1;
        e->waiters = grown;
        e->cap = cap;
    }
    e->waiters[e->nwaiters++] = (waiter_t){cb, data};
    return 0;
}

int throng__resolver_get(throng__resolver_t *r, const char *server, throng__resolve_cb cb,
                         void *data, const throng__address_t **out, char *err)
{
    throng__resolve_entry_t *e = find(r, server);
    if (e && e->state == ENTRY_READY) {
        *out = &e->address;
        return 0;
    }
    if (!e) {
        throng__address_t a;
        int rc = throng__address_parse(server, 80, "server", &a, err);
        if (rc != 0) return rc;
        if (!(e = add(r, server)))
            return throng__fail(err, THRONG_ENOMEM, "out of memory resolving %s", server);
        e->address = a;
    }
    if (r->closing) return throng__fail(err, THRONG_ESTATE, "the run is ending");
    if (wait_on(e, cb, data) != 0)
        return throng__fail(err, THRONG_ENOMEM, "out of memory resolving %s", server);
    if (e->state == ENTRY_PENDING) return 1;
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%d", e->address.port);
    int rc = uv_getaddrinfo(r->loop, &e->req, on_resolved, e->address.host, port, &hints);
    if (rc < 0) {
        e->nwaiters--;
        return throng__fail(err, THRONG_ERESOLVE, "cannot resolve '%s': %s", e->address.host,
                            uv_strerror(rc));
    }
    e->state = ENTRY_PENDING;
    return 1;
}

void throng__resolver_cancel(throng__resolver_t *r, void *data)
{
    for (unsigned i = 0; i < r->n; i++) {
        throng__resolve_entry_t *e = r->entries[i];
        for (unsigned j = 0; j < e->nwaiters; j++)
            if (e->waiters[j].data == data) e->waiters[j].cb = NULL;
        for (unsigned j = 0; j < e->nfiring; j++)
            if (e->firing[j].data == data) e->firing[j].cb = NULL;
    }
}

void throng__resolver_close(throng__resolver_t *r)
{
    r->closing = 1;
    for (unsigned i = 0; i < r->n; i++)
        if (r->entries[i]->state == ENTRY_PENDING) uv_cancel((uv_req_t *)&r->entries[i]->req);
}

void throng__resolver_free(throng__resolver_t *r)
{
    for (unsigned i = 0; i < r->n; i++) {
        free(r->entries[i]->waiters);
        free(r->entries[i]->server);
        free(r->entries[i]);
    }
    free(r->entries);
    r->entries = NULL;
    r->n = 0;
}
