/* inflate.h - a response body's Content-Encoding (gzip, deflate) undone as
 * the body streams in, with zlib.
 *
 * One inflater per compressed response, made when its headers name an
 * encoding and freed with the response: about 7 KB of zlib state and its
 * 32 KB window, so a response that is not compressed costs nothing. The
 * decoded bytes go to a sink piece by piece (at most
 * THRONG__INFLATE_CHUNK at a time); the sink counts and limits them, so a
 * small body that decodes to gigabytes (a "zip bomb") is stopped at the
 * sink's limit, not held in memory. "deflate" is the zlib format (RFC
 * 9110 8.4.1.2), but some servers send raw deflate data: the first byte
 * tells which. */
#ifndef THRONG_INFLATE_H
#define THRONG_INFLATE_H

#include <stddef.h>

#define THRONG__INFLATE_CHUNK 16384

typedef enum {
    THRONG__ENCODING_IDENTITY, /* none, or "identity" */
    THRONG__ENCODING_GZIP,     /* "gzip" or "x-gzip" */
    THRONG__ENCODING_DEFLATE,  /* "deflate": zlib-wrapped or raw */
    THRONG__ENCODING_UNKNOWN   /* anything else ("br", "zstd", "gzip, br" ...) */
} throng__encoding_t;

/* The encoding a Content-Encoding header value names (NULL: none). */
throng__encoding_t throng__inflate_encoding(const char *value);

/* Where decoded bytes go: 0 to go on, non-zero to stop decoding (the
 * sink's own limit reached: feed then returns -2). */
typedef int (*throng__inflate_sink)(void *data, const char *at, size_t n);

typedef struct throng__inflate throng__inflate_t;

/* A new inflater for gzip or deflate, or NULL when memory runs out. */
throng__inflate_t *throng__inflate_new(throng__encoding_t encoding);

/* Decodes n more bytes of the body into sink. Returns 0, -1 when the data
 * is not valid for its encoding (or continues past the compressed
 * stream's end), with the reason in err, or -2 when the sink stopped. */
int throng__inflate_feed(throng__inflate_t *z, const char *in, size_t n, throng__inflate_sink sink,
                         void *data, char *err, size_t errlen);

/* The body ended: 0 when the compressed stream was complete, -1 (with
 * err) when it was cut short. */
int throng__inflate_finish(const throng__inflate_t *z, char *err, size_t errlen);

void throng__inflate_free(throng__inflate_t *z);

#endif
