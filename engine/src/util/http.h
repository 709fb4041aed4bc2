/* http.h - HTTP/1.1 on the client side: writing requests into a buffer and
 * reading responses with llhttp. */
#ifndef THRONG_HTTP_H
#define THRONG_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "util/buf.h"
#include "util/inflate.h"

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

/* The default buffer budget of a worker thread: 32 bodies of the default
 * max_body at once. */
#define THRONG__HTTP_BUFFER_BUDGET ((size_t)256 << 20)

/* What the reader of a response needs of its body. */
typedef enum {
    THRONG__BODY_KEEP,   /* the whole body, buffered (up to max_body) */
    THRONG__BODY_SHAPE,  /* only a table's shape: the body is scanned as it streams, not kept */
    THRONG__BODY_DISCARD /* nothing: the body is only counted */
} throng__body_use_t;

/* A streamed body's pieces, as they arrive. */
typedef void (*throng__http_body_cb)(void *data, const char *at, size_t n);

/* The bytes of response headers and bodies that the connections of one
 * worker thread hold at once, and the most they may (0: no limit). Each
 * response charges what it buffers, and gives it back when it is reset or
 * released. One per thread, so no lock. */
typedef struct throng__http_budget {
    size_t limit;
    size_t used;
} throng__http_budget_t;

typedef struct throng__http_response {
    llhttp_t parser;
    throng__bufpool_t *pool;
    throng__buf_t *buf;            /* headers as "name\0value\0" pairs, then the body */
    size_t body_off;               /* where the body starts in buf */
    size_t max_body;               /* the largest body kept (THRONG__HTTP_MAX_BODY after init) */
    throng__http_budget_t *budget; /* the thread's, or NULL */
    size_t charged;                /* what this response holds of the budget */
    uint64_t body_bytes;           /* body bytes received, kept or not (on the wire: before
                                      any Content-Encoding is undone) */
    throng__inflate_t *inflate;    /* the body's gzip or deflate being undone, or NULL */
    size_t decoded;                /* bytes the inflater gave so far (max_body applies) */
    throng__http_body_cb on_body;  /* a streamed body goes here (NULL: dropped) */
    void *on_body_data;
    int status;
    uint64_t name_marks;      /* a bit per kept header's name: throng__http_response_header */
    uint32_t name_len;        /* bytes of the header name being read */
    unsigned char name_first; /* its first byte, lowercased */
    unsigned head : 1;        /* the request was HEAD: no body follows */
    unsigned complete : 1;    /* a final (non-1xx) response is complete */
    unsigned in_headers : 1;
    unsigned in_name : 1;       /* the last header bytes kept were of a name */
    unsigned too_large : 1;     /* parsing stopped at max_body */
    unsigned over_budget : 1;   /* parsing stopped at the thread's buffer budget */
    unsigned streamed : 1;      /* the body is passed to on_body, not kept */
    unsigned interim : 1;       /* an interim (1xx) response just ended; the real one follows */
    unsigned decode_failed : 1; /* the body's Content-Encoding could not be undone (error set) */
    unsigned line_pos : 4;      /* how much of the status line's start is checked (13: all) */
    char line[13];              /* the status line's start, as received, for the check */
    char error[120];            /* why parsing failed */
} throng__http_response_t;

void throng__http_response_init(throng__http_response_t *r, throng__bufpool_t *pool);

/* Prepares for the response to a new request (its body kept whole). */
void throng__http_response_reset(throng__http_response_t *r, int head_request);

/* After a reset: the body of the coming response is not kept but passed
 * to on_body piece by piece as it arrives (NULL: dropped, only counted);
 * max_body does not apply to it, and its body reads as empty.
 *
 * A body with Content-Encoding gzip or deflate (asked for or not) is
 * decoded as it arrives: the kept body and on_body's pieces are the
 * decoded bytes, and max_body applies to the decoded size, streamed or
 * not, so that a small body decoding to gigabytes is refused. A dropped
 * body (on_body NULL) is not decoded. Another encoding (br, zstd, a list
 * of them) makes the response malformed, its name in r->error.
 * body_bytes counts the bytes received, before decoding. */
void throng__http_response_stream(throng__http_response_t *r, throng__http_body_cb on_body,
                                  void *data);

/* Parses received bytes. Returns 1 when the response is complete (*used is
 * how many bytes it took; more bytes would be a protocol error, as only one
 * request is in flight), 0 when more bytes are needed, -1 on a malformed
 * response, one whose kept body exceeds r->max_body (refused at the
 * headers when its Content-Length says so), or one whose headers
 * and kept body would take the budget past its limit (r->error says
 * why). Each status line must begin
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

/* Returns the buffer to the pool and what it held to the budget; call
 * once the response has been handled. A buffer taken away from r (r->buf
 * set to NULL) stays charged to the budget until r is reset or released. */
void throng__http_response_release(throng__http_response_t *r);

#endif
