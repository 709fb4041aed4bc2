/* inflate.c - gzip and deflate bodies decoded as they stream, with zlib. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "util/inflate.h"

struct throng__inflate {
    z_stream zs;
    throng__encoding_t encoding;
    unsigned started : 1; /* inflateInit2 was called (deflate waits for its first byte) */
    unsigned ended : 1;   /* the compressed stream's end was reached */
};

throng__encoding_t throng__inflate_encoding(const char *value)
{
    if (!value) return THRONG__ENCODING_IDENTITY;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    if (n == 0 || (n == 8 && strncasecmp(value, "identity", 8) == 0))
        return THRONG__ENCODING_IDENTITY;
    if ((n == 4 && strncasecmp(value, "gzip", 4) == 0) ||
        (n == 6 && strncasecmp(value, "x-gzip", 6) == 0))
        return THRONG__ENCODING_GZIP;
    if (n == 7 && strncasecmp(value, "deflate", 7) == 0) return THRONG__ENCODING_DEFLATE;
    return THRONG__ENCODING_UNKNOWN;
}

throng__inflate_t *throng__inflate_new(throng__encoding_t encoding)
{
    if (encoding != THRONG__ENCODING_GZIP && encoding != THRONG__ENCODING_DEFLATE) return NULL;
    throng__inflate_t *z = calloc(1, sizeof *z);
    if (!z) return NULL;
    z->encoding = encoding;
    return z;
}

/* Starts zlib once the format is known: gzip's header is checked by
 * zlib; a zlib-wrapped deflate stream starts with a byte whose low four
 * bits are 8 (the deflate method). A raw stream's first byte has them so
 * only for a stored block with padding bits set, which no encoder writes. */
static int start(throng__inflate_t *z, unsigned char first, char *err, size_t errlen)
{
    int bits = 15 + 16; /* gzip only */
    if (z->encoding == THRONG__ENCODING_DEFLATE) bits = (first & 0x0f) == 8 ? 15 : -15;
    if (inflateInit2(&z->zs, bits) != Z_OK) {
        snprintf(err, errlen, "out of memory decoding the %s body",
                 z->encoding == THRONG__ENCODING_GZIP ? "gzip" : "deflate");
        return -1;
    }
    z->started = 1;
    return 0;
}

int throng__inflate_feed(throng__inflate_t *z, const char *in, size_t n, throng__inflate_sink sink,
                         void *data, char *err, size_t errlen)
{
    const char *name = z->encoding == THRONG__ENCODING_GZIP ? "gzip" : "deflate";
    if (n == 0) return 0;
    if (z->ended) {
        snprintf(err, errlen, "Content-Encoding %s: data after the end of the compressed body",
                 name);
        return -1;
    }
    if (!z->started && start(z, (unsigned char)in[0], err, errlen) != 0) return -1;
    unsigned char out[THRONG__INFLATE_CHUNK];
    z->zs.next_in = (unsigned char *)(uintptr_t)in;
    z->zs.avail_in = (uInt)n; /* a read is far below 4 GiB */
    do {
        z->zs.next_out = out;
        z->zs.avail_out = sizeof out;
        int rc = inflate(&z->zs, Z_NO_FLUSH);
        size_t got = sizeof out - z->zs.avail_out;
        if (got && sink(data, (const char *)out, got) != 0) return -2;
        if (rc == Z_STREAM_END) {
            z->ended = 1;
            if (z->zs.avail_in) {
                snprintf(err, errlen,
                         "Content-Encoding %s: data after the end of the compressed body", name);
                return -1;
            }
            return 0;
        }
        if (rc == Z_BUF_ERROR) break; /* no progress possible: needs more input */
        if (rc != Z_OK) {
            snprintf(err, errlen, "Content-Encoding %s: the body is not valid %s data (%s)", name,
                     name, z->zs.msg ? z->zs.msg : "zlib error");
            return -1;
        }
    } while (z->zs.avail_in || z->zs.avail_out == 0);
    return 0;
}

int throng__inflate_finish(const throng__inflate_t *z, char *err, size_t errlen)
{
    if (z->ended || !z->started) return 0; /* an empty body is no stream at all */
    snprintf(err, errlen, "Content-Encoding %s: the compressed body was cut short",
             z->encoding == THRONG__ENCODING_GZIP ? "gzip" : "deflate");
    return -1;
}

void throng__inflate_free(throng__inflate_t *z)
{
    if (!z) return;
    if (z->started) inflateEnd(&z->zs);
    free(z);
}
