/* fuzz_http_response.c - the client's response parser (util/http.c over
 * llhttp) on any bytes a server may send, as a connection feeds them: in
 * pieces of sizes the input's first bytes choose (each piece in a buffer of
 * its exact length), response after response while the bytes last (a
 * complete response's leftover bytes start the next), and the connection's
 * end at the last. The same bytes fed whole must give the same responses:
 * where the reads fall never changes what is parsed.
 *
 * Input: one byte of flags (bit 0: the request was HEAD; bit 1: a small
 * max_body of 64 bytes), one byte k, k bytes of piece sizes (1..256, used
 * in turn), then the server's bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/http.h"

#define MAX_RESPONSES 64

/* What parsing one stream gave: each response's outcome, checked against
 * the same stream fed whole. */
typedef struct trace {
    int n;
    struct {
        int rc; /* 1 complete, -1 refused, 0 still incomplete at the end */
        int status, keep_alive;
        uint64_t body_hash, headers_hash;
        size_t body_len, headers_len;
    } r[MAX_RESPONSES];
    int eof_rc;
} trace_t;

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

/* Records the response just ended and checks what the accessors return. */
static void record(trace_t *t, throng__http_response_t *res, int rc)
{
    size_t blen, hlen;
    const char *body = throng__http_response_body(res, &blen);
    const char *headers = throng__http_response_headers(res, &hlen);
    FUZZ_CHECK(rc != 1 || blen <= res->max_body);
    FUZZ_CHECK(rc != 1 || (res->status >= 100 && res->status <= 599));
    FUZZ_CHECK(rc != -1 || res->error[0]);
    FUZZ_CHECK(memchr(res->error, '\0', sizeof res->error));
    if (rc == 1) {
        (void)throng__http_response_header(res, "content-length");
        (void)throng__http_response_header(res, "Content-Type");
    }
    t->r[t->n].rc = rc;
    t->r[t->n].status = rc == 1 ? res->status : 0;
    t->r[t->n].keep_alive = rc == 1 ? throng__http_response_keep_alive(res) : 0;
    t->r[t->n].body_hash = rc == 1 ? hash(body, blen) : 0;
    t->r[t->n].headers_hash = rc == 1 ? hash(headers, hlen) : 0;
    t->r[t->n].body_len = rc == 1 ? blen : 0;
    t->r[t->n].headers_len = rc == 1 ? hlen : 0;
    t->n++;
}

/* Feeds stream[0..len) in pieces of the given sizes (all of it at once when
 * nsizes is 0) and fills the trace. */
static void parse(const uint8_t *stream, size_t len, const uint8_t *sizes, size_t nsizes, int head,
                  size_t max_body, trace_t *t)
{
    throng__bufpool_t pool;
    throng__bufpool_init(&pool);
    throng__http_response_t res;
    throng__http_response_init(&res, &pool);
    throng__http_response_reset(&res, head);
    if (max_body) res.max_body = max_body;
    memset(t, 0, sizeof *t);
    size_t off = 0, turn = 0;
    int rc = 0;
    while (off < len && rc >= 0 && t->n < MAX_RESPONSES - 1) {
        size_t n = nsizes ? (size_t)sizes[turn++ % nsizes] + 1 : len - off;
        if (n > len - off) n = len - off;
        char *piece = malloc(n);
        if (!piece) break;
        memcpy(piece, stream + off, n);
        size_t at = 0;
        while (at < n && t->n < MAX_RESPONSES - 1) {
            size_t used = 0;
            rc = throng__http_response_feed(&res, piece + at, n - at, &used);
            FUZZ_CHECK(used <= n - at);
            if (rc == 0) {
                at = n;
            } else if (rc == 1) {
                record(t, &res, 1);
                throng__http_response_release(&res);
                throng__http_response_reset(&res, head);
                if (max_body) res.max_body = max_body;
                at += used;
            } else {
                record(t, &res, -1);
                break;
            }
        }
        free(piece);
        off += n;
    }
    if (rc >= 0) {
        int started = throng__http_response_started(&res);
        t->eof_rc = throng__http_response_eof(&res);
        FUZZ_CHECK(t->eof_rc != 0 || !started);
        if (t->eof_rc != 0) record(t, &res, t->eof_rc);
    }
    throng__http_response_release(&res);
    throng__bufpool_destroy(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    uint8_t flags = fuzz_byte(&in);
    size_t nsizes = fuzz_byte(&in) % 16;
    if (nsizes > in.size) nsizes = in.size;
    const uint8_t *sizes = in.data;
    in.data += nsizes;
    in.size -= nsizes;
    int head = flags & 1;
    size_t max_body = flags & 2 ? 64 : 0;

    static trace_t pieces, whole;
    parse(in.data, in.size, sizes, nsizes, head, max_body, &pieces);
    parse(in.data, in.size, NULL, 0, head, max_body, &whole);
    /* Fed byte by byte too, when the input is small enough to be quick. */
    static const uint8_t one[1] = {0};
    static trace_t bytes;
    if (in.size <= 4096) parse(in.data, in.size, one, 1, head, max_body, &bytes);
    FUZZ_CHECK(pieces.n == whole.n);
    for (int i = 0; i < whole.n; i++) {
        FUZZ_CHECK(pieces.r[i].rc == whole.r[i].rc);
        FUZZ_CHECK(pieces.r[i].status == whole.r[i].status);
        FUZZ_CHECK(pieces.r[i].keep_alive == whole.r[i].keep_alive);
        FUZZ_CHECK(pieces.r[i].body_len == whole.r[i].body_len);
        FUZZ_CHECK(pieces.r[i].body_hash == whole.r[i].body_hash);
        FUZZ_CHECK(pieces.r[i].headers_len == whole.r[i].headers_len);
        FUZZ_CHECK(pieces.r[i].headers_hash == whole.r[i].headers_hash);
    }
    FUZZ_CHECK(pieces.eof_rc == whole.eof_rc);
    if (in.size <= 4096) {
        FUZZ_CHECK(bytes.n == whole.n);
        for (int i = 0; i < whole.n; i++) {
            FUZZ_CHECK(bytes.r[i].rc == whole.r[i].rc);
            FUZZ_CHECK(bytes.r[i].body_hash == whole.r[i].body_hash);
        }
    }
    return 0;
}
