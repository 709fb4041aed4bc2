/* http.h - HTTP/1.1 on the client side: writing requests into a buffer and
 * reading responses with llhttp. */
#ifndef THRONG_HTTP_H
#define THRONG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "util/buf.h"

/* ---- requests ----
 * A request is written in three steps into a buffer the caller owns:
 * begin (the request line), headers (Host among them), then finish
 * (Content-Length and body). Each returns 0, or -1 when memory runs out.
 * Text holding CR, LF or NUL is refused beforehand with throng__http_text_ok(). */
int throng__http_begin(throng__buf_t *b, const char *method, size_t mlen, const char *path,
                       size_t plen);
int throng__http_header(throng__buf_t *b, const char *name, size_t nlen, const char *value,
                        size_t vlen);
/* Writes Content-Length when there is a body or the method usually carries
 * one (POST, PUT, PATCH), then the blank line and the body. */
int throng__http_finish(throng__buf_t *b, const char *method, size_t mlen, const char *body,
                        size_t blen);

/* 1 when s[0..n) can go into a request line or header: no CR, LF or NUL. */
int throng__http_text_ok(const char *s, size_t n);
/* 1 when s[0..n) is a valid header name (an HTTP token). */
int throng__http_token_ok(const char *s, size_t n);

/* ---- responses ---- */

/* The default largest body a response may carry (max_body), and the
 * largest header block: beyond either, the response is refused. */
#define THRONG__HTTP_MAX_BODY (8u << 20)
#define THRONG__HTTP_MAX_HEADERS (1u << 20)

typedef struct throng__http_response {
    llhttp_t parser;
    throng__bufpool_t *pool;
    throng__buf_t *buf; /* headers as "name\0value\0" pairs, then the body */
    size_t body_off;    /* where the body starts in buf */
    size_t max_body;    /* the largest body kept (THRONG__HTTP_MAX_BODY after init) */
    int status;
    unsigned head : 1;     /* the request was HEAD: no body follows */
    unsigned complete : 1; /* a final (non-1xx) response is complete */
    unsigned in_headers : 1;
    unsigned too_large : 1; /* parsing stopped at max_body */
    unsigned interim : 1;   /* an interim (1xx) response just ended; the real one follows */
    unsigned line_pos : 4;  /* how much of the status line's start is checked (13: all) */
    char line[13];          /* the status line's start, as received, for the check */
    char error[120];        /* why parsing failed */
} throng__http_response_t;

void throng__http_response_init(throng__http_response_t *r, throng__bufpool_t *pool);

/* Prepares for the response to a new request. */
void throng__http_response_reset(throng__http_response_t *r, int head_request);

/* Parses received bytes. Returns 1 when the response is complete (*used is
 * how many bytes it took; more bytes would be a protocol error, as only one
 * request is in flight), 0 when more bytes are needed, -1 on a malformed
 * response or one whose body exceeds r->max_body (r->error says why). Each status line must begin
 * "HTTP/x.y NNN" followed by a space or the line's end, NNN a status code
 * in 100..599. */
int throng__http_response_feed(throng__http_response_t *r, const char *data, size_t len,
                               size_t *used);

/* The connection reached end of file. Returns 1 when that completes the
 * response (a body delimited by the connection's end), 0 when no byte of a
 * response had arrived, -1 when a response was cut short. */
int throng__http_response_eof(throng__http_response_t *r);

/* 1 when the connection can carry another request after this response. */
int throng__http_response_keep_alive(const throng__http_response_t *r);

/* 1 once any byte of the response has been parsed. */
int throng__http_response_started(const throng__http_response_t *r);

const char *throng__http_response_body(const throng__http_response_t *r, size_t *len);
/* The header block as "name\0value\0" pairs (names as received). */
const char *throng__http_response_headers(const throng__http_response_t *r, size_t *len);
/* A header's value by case-insensitive name, or NULL. */
const char *throng__http_response_header(const throng__http_response_t *r, const char *name);

/* Returns the buffer to the pool; call once the response has been handled. */
void throng__http_response_release(throng__http_response_t *r);

#endif
