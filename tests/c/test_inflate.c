/* test_inflate.c - compressed response bodies: gzip, deflate (zlib-wrapped
 * and raw) decoded as they stream, whole, byte by byte and in random
 * pieces, kept or streamed to a reader; a body that decodes past max_body
 * refused without holding it; corrupt, cut-short and unknown encodings
 * refused with a reason a user can act on. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "check.h"
#include "util/http.h"
#include "util/inflate.h"
#include "util/rng.h"

static throng__bufpool_t pool;
static throng__rng_t rng;

/* text compressed with windowBits bits (31 gzip, 15 zlib, -15 raw). */
static size_t compress_with(const char *text, size_t n, int bits, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    CHECK_INT(deflateInit2(&zs, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (unsigned char *)(uintptr_t)text;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    CHECK_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

/* A response with that encoding and body, Content-Length delimited. */
static size_t response(char *out, size_t cap, const char *encoding, const unsigned char *body,
                       size_t n)
{
    int h =
        snprintf(out, cap, "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                 encoding, n);
    CHECK((size_t)h + n <= cap);
    if (n) memcpy(out + h, body, n);
    return (size_t)h + n;
}

/* Feeds data in pieces of at most step bytes (0: random sizes); the
 * result of the last feed. */
static int feed(throng__http_response_t *r, const char *data, size_t len, size_t step)
{
    size_t at = 0;
    while (at < len) {
        size_t n = step ? step : 1 + (size_t)throng__rng_range(&rng, 0, 300);
        if (n > len - at) n = len - at;
        size_t used;
        int rc = throng__http_response_feed(r, data + at, n, &used);
        if (rc != 0) return rc;
        at += n;
    }
    return 0;
}

static char text[200000];
static size_t text_len;
static unsigned char packed[300000];
static char wire[320000];

/* Every format, every way of arriving: the kept body is the text, and
 * body_bytes counts what came on the wire. */
static void test_kept(void)
{
    static const struct {
        const char *encoding;
        int bits;
    } forms[] = {{"gzip", 31}, {"x-gzip", 31}, {"deflate", 15}, {"deflate", -15}, {"GZip", 31}};
    static const size_t steps[] = {0, 1, 7, 1 << 20};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        size_t plen = compress_with(text, text_len, forms[f].bits, packed, sizeof packed);
        size_t wlen = response(wire, sizeof wire, forms[f].encoding, packed, plen);
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            if (steps[s] == 1 && f > 1) continue; /* byte by byte once per format is enough */
            throng__http_response_t r;
            throng__http_response_init(&r, &pool);
            throng__http_response_reset(&r, 0);
            CHECK_INT(feed(&r, wire, wlen, steps[s]), 1);
            size_t blen;
            const char *body = throng__http_response_body(&r, &blen);
            CHECK_INT(blen, text_len);
            CHECK(blen == text_len && memcmp(body, text, blen) == 0);
            CHECK_INT(r.body_bytes, plen);
            throng__http_response_release(&r);
        }
    }
}

static size_t streamed_len;
static int streamed_same;

static void on_piece(void *data, const char *at, size_t n)
{
    if (streamed_len + n > text_len || memcmp(text + streamed_len, at, n) != 0) streamed_same = 0;
    streamed_len += n;
}

/* Streamed (the table persona's shape scan): the reader gets the decoded
 * pieces; chunked transfer on top of gzip. */
static void test_streamed_chunked(void)
{
    size_t plen = compress_with(text, text_len, 31, packed, sizeof packed);
    int h =
        snprintf(wire, sizeof wire,
                 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
    size_t w = (size_t)h;
    for (size_t at = 0; at < plen; at += 1000) {
        size_t n = plen - at < 1000 ? plen - at : 1000;
        w += (size_t)snprintf(wire + w, sizeof wire - w, "%zx\r\n", n);
        memcpy(wire + w, packed + at, n), w += n;
        memcpy(wire + w, "\r\n", 2), w += 2;
    }
    memcpy(wire + w, "0\r\n\r\n", 5), w += 5;
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    streamed_len = 0;
    streamed_same = 1;
    throng__http_response_stream(&r, on_piece, NULL);
    CHECK_INT(feed(&r, wire, w, 0), 1);
    CHECK_INT(streamed_len, text_len);
    CHECK(streamed_same);
    CHECK_INT(r.body_bytes, plen);
    throng__http_response_release(&r);
}

/* 64 MiB of zeros packs into about 64 KB: with max_body 1 MiB it is
 * refused once 1 MiB is decoded, kept or streamed, and never held. */
static void test_bomb(void)
{
    size_t big = (size_t)64 << 20;
    char *zeros = calloc(1, big);
    unsigned char *bomb = malloc(big / 500);
    size_t blen = compress_with(zeros, big, 31, bomb, big / 500);
    free(zeros);
    CHECK(blen < 200000);
    char *w = malloc(blen + 200);
    size_t wlen = response(w, blen + 200, "gzip", bomb, blen);
    for (int streamed = 0; streamed < 2; streamed++) {
        throng__http_response_t r;
        throng__http_response_init(&r, &pool);
        throng__http_response_reset(&r, 0);
        r.max_body = 1 << 20;
        if (streamed) {
            streamed_len = 0;
            throng__http_response_stream(&r, on_piece, NULL);
        }
        CHECK_INT(feed(&r, w, wlen, 4096), -1);
        CHECK(strstr(r.error, "max_body") != NULL);
        CHECK(strstr(r.error, "decoded") != NULL);
        CHECK(r.decoded <= r.max_body);
        if (!streamed) CHECK(r.buf && r.buf->len < (2u << 20));
        throng__http_response_release(&r);
    }
    free(w);
    free(bomb);
}

/* Corrupt data, a cut-short stream, data past the stream's end and an
 * encoding throng does not decode: each refused, saying why. */
static void test_refused(void)
{
    size_t plen = compress_with(text, 5000, 31, packed, sizeof packed);
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);

    unsigned char bad[64];
    memcpy(bad, packed, sizeof bad);
    memset(bad + 12, 0xff, 40); /* the deflate data after gzip's header */
    size_t wlen = response(wire, sizeof wire, "gzip", bad, sizeof bad);
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), -1);
    CHECK(strstr(r.error, "not valid gzip") != NULL);

    wlen = response(wire, sizeof wire, "gzip", packed, plen / 2);
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), -1);
    CHECK(strstr(r.error, "cut short") != NULL);

    memcpy(packed + plen, "tail", 4);
    wlen = response(wire, sizeof wire, "gzip", packed, plen + 4);
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), -1);
    CHECK(strstr(r.error, "after the end") != NULL);

    wlen = response(wire, sizeof wire, "br", (const unsigned char *)"xyz", 3);
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), -1);
    CHECK(strstr(r.error, "'br'") != NULL);

    /* A dropped body is only counted: not decoded, so not refused. */
    throng__http_response_reset(&r, 0);
    throng__http_response_stream(&r, NULL, NULL);
    CHECK_INT(feed(&r, wire, wlen, 0), 1);

    /* The same response object reads a plain body after all that. */
    wlen = (size_t)snprintf(wire, sizeof wire, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), 1);
    size_t blen;
    CHECK(memcmp(throng__http_response_body(&r, &blen), "ok", 2) == 0 && blen == 2);
    throng__http_response_release(&r);
}

/* A HEAD answer and an empty gzip body carry no stream: no fault. */
static void test_empty(void)
{
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    size_t wlen = response(wire, sizeof wire, "gzip", NULL, 0);
    throng__http_response_reset(&r, 0);
    CHECK_INT(feed(&r, wire, wlen, 0), 1);
    throng__http_response_reset(&r, 1);
    wlen = response(wire, sizeof wire, "gzip", NULL, 0);
    CHECK_INT(feed(&r, wire, wlen - 0, 0), 1);
    throng__http_response_release(&r);
    CHECK_INT(throng__inflate_encoding(" gzip "), THRONG__ENCODING_GZIP);
    CHECK_INT(throng__inflate_encoding("identity"), THRONG__ENCODING_IDENTITY);
    CHECK_INT(throng__inflate_encoding("gzip, br"), THRONG__ENCODING_UNKNOWN);
}

int main(void)
{
    throng__rng_seed(&rng, 7);
    throng__bufpool_init(&pool);
    for (size_t i = 0; i < sizeof text; i++) /* compressible, not trivially */
        text[i] = (char)('a' + (throng__rng_range(&rng, 0, 9) + (int64_t)(i / 97)) % 26);
    text_len = sizeof text;
    test_kept();
    test_streamed_chunked();
    test_bomb();
    test_refused();
    test_empty();
    return check_result("test_inflate");
}
