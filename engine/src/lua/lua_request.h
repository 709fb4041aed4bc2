/* lua_request.h - a persona's request table, written as HTTP. */
#ifndef THRONG_LUA_REQUEST_H
#define THRONG_LUA_REQUEST_H

#include <stddef.h>

#include <lua.h>

#include "util/buf.h"
#include "util/http.h"

struct throng__lua_ctx;

/* The most requests one pipeline holds. */
#define THRONG__PIPELINE_MAX 64

/* Where a request hook's list of requests (a pipeline) is described: each
 * request's name and where its bytes end in the request buffer. */
typedef struct throng__pipeline_out {
    unsigned n; /* requests written (0: the hook returned one request) */
    struct {
        const char *name;
        size_t name_len;
        size_t end; /* its bytes are out->data[previous end .. end) */
    } at[THRONG__PIPELINE_MAX];
} throng__pipeline_out_t;

typedef struct throng__request_out {
    const struct throng__lua_ctx *ctx; /* the state's interned field names */
    throng__buf_t *out;                /* the request's bytes are appended here */
    throng__buf_t *json;               /* scratch for a json body (reused) */
    const char *authority;             /* the Host header unless the persona sets one */
    int head;                          /* the method is HEAD */
    throng__body_use_t body_use;       /* request.response_body: what the response's body is for */
    double timeout;                    /* seconds; 0 = the run's timeout */
    const char *name; /* stats label: request.name, or the path without its query */
    size_t name_len;
    throng__pipeline_out_t *pipe; /* room for a pipeline; NULL: a list of requests is refused */
    /* Cookies (lua_cookies.h): when jar is not NULL, the Cookie header for
     * cookie_host is written from *jar (unless request.cookies is false or
     * the persona wrote its own), and cookie_dir (31 bytes) gets the
     * request's default cookie path; cookies tells whether the response's
     * Set-Cookie lines are to be kept. */
    struct throng__jar *const *jar;
    const char *cookie_host;
    int secure;
    char *cookie_dir;
    int cookies;
    int follow;       /* request.follow, or -1 when not given */
    int compressed;   /* in: the persona's compressed = true, for a request that does not say */
    int slots;        /* set by throng__lua_encode_request: where on the stack it put the table's
                         fields, one slot per field name (0: none, read from the table) */
    unsigned present; /* with slots: the fields the table has, a bit per field name */
} throng__request_out_t;

/* Writes the request table at idx (0: no table) as HTTP into req->out.
 * method and path, when not NULL, take the place of the table's fields
 * (client:get(path, opts)). Fields: method, path, query (a table, its
 * pairs appended to the path), headers, one body of body, json, form
 * (x-www-form-urlencoded) or multipart (form-data), compressed (asks for
 * gzip or deflate), cookies (false: none sent or kept), follow (redirects), name, timeout,
 * response_body ("keep", "shape", "discard"; true, false). The json scratch buffer holds whichever
 * body is encoded. Returns 0, or -1 with the reason in msg. */
int throng__lua_encode_request(lua_State *L, int idx, const char *method, const char *path,
                               throng__request_out_t *req, char *msg, size_t msglen);

#endif
