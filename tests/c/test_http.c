/* test_http.c - HTTP on the client side: requests written byte for byte as
 * the reference server expects them, and responses parsed the same however
 * the bytes arrive (whole, one at a time, in random pieces), with every way
 * a response can end: Content-Length, chunked, no body, the connection's
 * end, a malformed status line or chunk, an interim 100 Continue. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/http.h"
#include "util/rng.h"

#define S(lit) lit, sizeof lit - 1

static throng__bufpool_t pool;
static throng__rng_t rng;

/* ------------------------------------------------------------ requests */

static void test_post_request(void)
{
    static const char body[] = "{\"value\":{\"x\":1,\"y\":2}}";
    throng__buf_t b = {0};
    CHECK_INT(sizeof body - 1, 23);
    CHECK_INT(throng__http_begin(&b, S("POST"), S("/Xy")), 0);
    CHECK_INT(throng__http_header(&b, S("Host"), S("h:1")), 0);
    CHECK_INT(throng__http_header(&b, S("Content-Type"), S("application/json")), 0);
    CHECK_INT(throng__http_finish(&b, S("POST"), body, sizeof body - 1), 0);
    static const char want[] = "POST /Xy HTTP/1.1\r\n"
                               "Host: h:1\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 23\r\n"
                               "\r\n"
                               "{\"value\":{\"x\":1,\"y\":2}}";
    CHECK_INT(b.len, sizeof want - 1);
    CHECK(b.len == sizeof want - 1 && memcmp(b.data, want, b.len) == 0);
    throng__buf_free(&b);
}

static int contains(const throng__buf_t *b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->data + i, needle, n) == 0) return 1;
    return 0;
}

static void test_get_and_empty_post(void)
{
    throng__buf_t b = {0};
    throng__http_begin(&b, S("GET"), S("/Xy?x=3&y=4"));
    throng__http_header(&b, S("Host"), S("h:1"));
    throng__http_finish(&b, S("GET"), NULL, 0);
    static const char want[] = "GET /Xy?x=3&y=4 HTTP/1.1\r\nHost: h:1\r\n\r\n";
    CHECK(b.len == sizeof want - 1 && memcmp(b.data, want, b.len) == 0);
    CHECK(!contains(&b, "Content-Length"));

    /* A POST without a body still says so: servers wait for a length. */
    b.len = 0;
    throng__http_begin(&b, S("POST"), S("/p"));
    throng__http_header(&b, S("Host"), S("h:1"));
    throng__http_finish(&b, S("POST"), "", 0);
    static const char want_post[] = "POST /p HTTP/1.1\r\nHost: h:1\r\nContent-Length: 0\r\n\r\n";
    CHECK(b.len == sizeof want_post - 1 && memcmp(b.data, want_post, b.len) == 0);

    /* Appending after other content: the buffer is extended, not reset. */
    b.len = 0;
    throng__buf_puts(&b, "X");
    throng__http_begin(&b, S("GET"), S("/"));
    CHECK(b.len > 2 && memcmp(b.data, "XGET / HTTP/1.1\r\n", 17) == 0);
    throng__buf_free(&b);
}

static void test_text_and_token(void)
{
    CHECK(throng__http_text_ok(S("application/json")));
    CHECK(throng__http_text_ok(S("a value with spaces")));
    CHECK(!throng__http_text_ok(S("evil\r\nX-Injected: 1")));
    CHECK(!throng__http_text_ok(S("a\rb")));
    CHECK(!throng__http_text_ok(S("a\nb")));
    CHECK(!throng__http_text_ok("a\0b", 3));

    CHECK(throng__http_token_ok(S("Content-Type")));
    CHECK(throng__http_token_ok(S("X-Request_Id.1")));
    CHECK(!throng__http_token_ok(S("Content Type")));
    CHECK(!throng__http_token_ok(S("Host:")));
    CHECK(!throng__http_token_ok(S("")));
    CHECK(!throng__http_token_ok(S("a\r\nb")));
}

/* ----------------------------------------------------------- responses */

/* What came of parsing one response. */
typedef struct parsed {
    int rc;      /* the last feed's result */
    size_t used; /* bytes taken in all */
    int status;
    char body[512];
    size_t body_len;
    char error[120];
} parsed_t;

static void record(throng__http_response_t *r, int rc, size_t used, parsed_t *out)
{
    out->rc = rc;
    out->used = used;
    out->status = r->status;
    size_t len;
    const char *body = throng__http_response_body(r, &len);
    out->body_len = len;
    memcpy(out->body, body, len < sizeof out->body ? len : sizeof out->body);
    snprintf(out->error, sizeof out->error, "%s", r->error);
}

/* Feeds text in pieces of at most `piece` bytes (0 = random sizes) until
 * the response completes or fails. */
static void parse_in_pieces(throng__http_response_t *r, const char *text, size_t len, size_t piece,
                            parsed_t *out)
{
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        size_t n = piece ? piece : (size_t)throng__rng_range(&rng, 1, 17);
        if (n > len - off) n = len - off;
        size_t used = 0;
        rc = throng__http_response_feed(r, text + off, n, &used);
        if (rc != 0) {
            off += used;
            break;
        }
        CHECK_INT(used, n);
        off += n;
    }
    record(r, rc, off, out);
}

static void parse(const char *text, size_t len, size_t piece, parsed_t *out)
{
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    parse_in_pieces(&r, text, len, piece, out);
    throng__http_response_release(&r);
}

/* Parses text whole, byte by byte and in random pieces; all three must
 * come to the same status and body. */
static void check_response(const char *text, int status, const char *body, size_t body_len)
{
    size_t len = strlen(text);
    for (int way = 0; way < 12; way++) {
        parsed_t p;
        parse(text, len, way == 0 ? len : way == 1 ? 1 : 0, &p);
        if (p.rc != 1 || p.used != len || p.status != status || p.body_len != body_len ||
            memcmp(p.body, body, body_len) != 0) {
            fprintf(stderr, "way %d: rc %d used %zu/%zu status %d body '%.*s' error '%s'\n", way,
                    p.rc, p.used, len, p.status, (int)p.body_len, p.body, p.error);
            CHECK(!"response parsed as expected");
            return;
        }
    }
}

static void test_content_length(void)
{
    check_response("HTTP/1.1 200 OK\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: 27\r\n"
                   "\r\n"
                   "{\"value\":[\"t\",[[1,2]],[]]}\n",
                   200, S("{\"value\":[\"t\",[[1,2]],[]]}\n"));
    check_response("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nBusy", 500,
                   S("Busy"));
    check_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, S(""));
}

static void test_chunked(void)
{
    check_response("HTTP/1.1 200 OK\r\n"
                   "Transfer-Encoding: chunked\r\n"
                   "\r\n"
                   "5\r\nhello\r\n"
                   "1;name=value\r\n \r\n"
                   "B\r\n[[1,2],[3]]\r\n"
                   "0\r\n"
                   "\r\n",
                   200, S("hello [[1,2],[3]]"));
    /* Trailers are headers after the body, not part of it. */
    check_response("HTTP/1.1 200 OK\r\n"
                   "Transfer-Encoding: chunked\r\n"
                   "\r\n"
                   "3\r\nabc\r\n"
                   "3;ext\r\ndef\r\n"
                   "0\r\n"
                   "X-Trailer: yes\r\n"
                   "\r\n",
                   200, S("abcdef"));
}

static void test_no_body(void)
{
    /* 204 and 304 have no body, even with a Content-Length. */
    check_response("HTTP/1.1 204 No Content\r\n\r\n", 204, S(""));
    check_response("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", 304, S(""));
    /* RFC 9110 8.6: a 304 may carry the Content-Length of the representation
     * it stands for; the response still ends at the blank line. */
    check_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, S(""));

    /* The answer to HEAD says how long the body would be, and has none. */
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 1);
    size_t used = 0;
    CHECK_INT(throng__http_response_feed(&r, S(head), &used), 1);
    CHECK_INT(used, sizeof head - 1);
    CHECK_INT(r.status, 200);
    size_t len = 99;
    throng__http_response_body(&r, &len);
    CHECK_INT(len, 0);
    CHECK_STR(throng__http_response_header(&r, "content-length"), "1000");
    CHECK(throng__http_response_keep_alive(&r));

    /* The same bytes for a GET wait for the body. */
    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(&r, S(head), &used), 0);
    throng__http_response_release(&r);
}

static void test_eof(void)
{
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    size_t used;

    /* No length: the body runs to the connection's end. */
    static const char open[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(&r, S(open), &used), 0);
    CHECK_INT(throng__http_response_eof(&r), 1);
    size_t len;
    const char *body = throng__http_response_body(&r, &len);
    CHECK(len == 13 && memcmp(body, "until the end", 13) == 0);
    CHECK(!throng__http_response_keep_alive(&r));

    /* The server closed before answering at all. */
    throng__http_response_reset(&r, 0);
    CHECK(!throng__http_response_started(&r));
    CHECK_INT(throng__http_response_eof(&r), 0);

    /* Cut short in the body, and in the headers. */
    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(
                  &r, S("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345"), &used),
              0);
    CHECK(throng__http_response_started(&r));
    CHECK_INT(throng__http_response_eof(&r), -1);
    CHECK(r.error[0] != '\0');

    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(&r, S("HTTP/1.1 200 OK\r\nContent-Le"), &used), 0);
    CHECK(throng__http_response_started(&r));
    CHECK_INT(throng__http_response_eof(&r), -1);

    /* Cut short inside a chunked body. */
    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(
                  &r, S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), &used),
              0);
    CHECK_INT(throng__http_response_eof(&r), -1);
    throng__http_response_release(&r);
}

static void test_continue(void)
{
    check_response("HTTP/1.1 100 Continue\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Real: yes\r\n\r\nok",
                   200, S("ok"));
    /* The interim response's headers are not the final one's. */
    static const char text[] = "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                               "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    size_t used;
    CHECK_INT(throng__http_response_feed(&r, S(text), &used), 1);
    CHECK_INT(r.status, 201);
    CHECK(throng__http_response_header(&r, "X-Interim") == NULL);
    CHECK_STR(throng__http_response_header(&r, "Content-Length"), "0");
    throng__http_response_release(&r);
}

static void check_malformed(const char *text)
{
    parsed_t p;
    for (int way = 0; way < 3; way++) {
        parse(text, strlen(text), way == 0 ? strlen(text) : (size_t)way - 1, &p);
        if (p.rc != -1 || p.error[0] == '\0') {
            fprintf(stderr, "accepted (%d, way %d): %s\n", p.rc, way, text);
            CHECK(!"a malformed response is refused with a reason");
            return;
        }
    }
}

static void test_malformed(void)
{
    check_malformed("HTTP/1.1 abc OK\r\n\r\n");
    check_malformed("XTTP/1.1 200 OK\r\n\r\n");
    check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok");
    check_malformed(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    check_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "fffffffffffffffffffff\r\n");

    parsed_t p;
    parse(S("HTTP/1.1 abc OK\r\n\r\n"), 0, &p);
    CHECK(strstr(p.error, "malformed") != NULL);
}

/* Parses text in every way (whole, byte by byte, random pieces): it must
 * be refused, with a reason holding want. */
static void check_refused(const char *text, const char *want)
{
    for (int way = 0; way < 12; way++) {
        parsed_t p;
        parse(text, strlen(text), way == 0 ? strlen(text) : way == 1 ? 1 : 0, &p);
        if (p.rc != -1 || !strstr(p.error, want)) {
            fprintf(stderr, "way %d: rc %d status %d error '%s' (want '%s'): %s\n", way, p.rc,
                    p.status, p.error, want, text);
            CHECK(!"refused with the expected reason");
            return;
        }
    }
}

/* A status line is "HTTP/x.y NNN reason", NNN in 100..599; anything else
 * is a malformed response, never a status 0 or 999. */
static void test_status_line(void)
{
    check_refused("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
                  "status code 999 outside 100..599");
    check_refused("HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n",
                  "status code 600 outside 100..599");
    check_refused("HTTP/1.1 000 Odd\r\nContent-Length: 0\r\n\r\n",
                  "status code 000 outside 100..599");
    check_refused("HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n",
                  "status code 099 outside 100..599");
    check_refused("HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n",
                  "malformed status line: expected \"HTTP/x.y NNN\", got \"HTTP/1.1 20 \"");
    check_refused("HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
                  "malformed status line: expected \"HTTP/x.y NNN\", got \"HTTP/1.1  \"");
    check_refused("HTTP/1.1 0200 OK\r\nContent-Length: 0\r\n\r\n", "status code 020 outside");
    check_refused("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "malformed status line");
    check_refused("HTTP/1.1 200\tOK\r\nContent-Length: 0\r\n\r\n", "got \"HTTP/1.1 200\\x09\"");
    check_refused("HTTP/1.1\r\n\r\n", "malformed status line");
    /* The real response after an interim one is checked as well. */
    check_refused("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
                  "status code 999 outside 100..599");
    check_refused("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1  200 OK\r\n\r\n",
                  "malformed status line");

    /* What stays accepted: every class's edges, no reason phrase, HTTP/1.0,
     * an empty line before the status line. */
    check_response("HTTP/1.1 599 Edge\r\nContent-Length: 2\r\n\r\nok", 599, S("ok"));
    check_response("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", 200, S("ok"));
    check_response("HTTP/1.1 404 \r\nContent-Length: 2\r\n\r\nok", 404, S("ok"));
    check_response("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, S("ok"));
    check_response("\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, S("ok"));
    check_response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n"
                   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                   200, S("ok"));
}

/* Parses text in every way with max_body set: rc and error as given. */
static void check_max_body(const char *text, size_t max_body, int want_rc)
{
    for (int way = 0; way < 12; way++) {
        throng__http_response_t r;
        throng__http_response_init(&r, &pool);
        throng__http_response_reset(&r, 0);
        r.max_body = max_body;
        parsed_t p;
        parse_in_pieces(&r, text, strlen(text), way == 0 ? strlen(text) : way == 1 ? 1 : 0, &p);
        size_t held = r.buf ? r.buf->len : 0;
        throng__http_response_release(&r);
        char want[80];
        snprintf(want, sizeof want, "body larger than max_body (%zu bytes)", max_body);
        if (p.rc != want_rc || (want_rc == -1 && strcmp(p.error, want) != 0) ||
            held > 200 + max_body) {
            fprintf(stderr, "way %d: rc %d error '%s' held %zu: %s\n", way, p.rc, p.error, held,
                    text);
            CHECK(!"max_body holds");
            return;
        }
    }
}

/* A body whose Content-Length is over max_body is refused as soon as the
 * headers end, before a byte of it is kept; unless it is not kept at all
 * (streamed), or none follows (HEAD, 304). */
static void check_announced_too_large(void)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n";
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    r.max_body = 1000;
    size_t used = 0;
    CHECK_INT(throng__http_response_feed(&r, S(head), &used), -1);
    CHECK_STR(r.error, "body larger than max_body (1000 bytes)");
    size_t len;
    throng__http_response_body(&r, &len);
    CHECK_INT(len, 0);
    CHECK(r.body_bytes == 0);
    CHECK_INT(r.status, 200);

    /* Streamed: only counted, so the length is no reason to refuse. */
    throng__http_response_reset(&r, 0);
    throng__http_response_stream(&r, NULL, NULL);
    CHECK_INT(throng__http_response_feed(&r, S(head), &used), 0);
    CHECK_INT(throng__http_response_feed(&r, S("0123456789"), &used), 0);
    CHECK(r.body_bytes == 10);

    /* No body follows a HEAD's answer or a 304, whatever the length. */
    throng__http_response_reset(&r, 1);
    CHECK_INT(throng__http_response_feed(&r, S(head), &used), 1);
    throng__http_response_reset(&r, 0);
    CHECK_INT(throng__http_response_feed(
                  &r, S("HTTP/1.1 304 Not Modified\r\nContent-Length: 1000000000\r\n\r\n"), &used),
              1);
    throng__http_response_release(&r);
}

/* A body up to max_body is kept; one byte more and the response is
 * refused, whether its length is given, chunked or up to the end. */
static void test_max_body(void)
{
    check_max_body("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 10, 1);
    check_max_body("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a", 10, -1);
    check_max_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n",
                   10, 1);
    check_max_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\n01234\r\n5\r\n56789\r\n1\r\na\r\n0\r\n\r\n",
                   10, -1);
    check_max_body("HTTP/1.1 200 OK\r\n\r\n0123456789abcdef", 10, -1);
    check_max_body("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n0123456789", 10, -1);
    check_announced_too_large();
    /* The default is well under the old 64 MiB. */
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    CHECK_INT(r.max_body, 8u << 20);
}

static void test_trailing_bytes(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno";
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    size_t used = 0, first = (size_t)(strstr(text, "ok") - text) + 2;
    CHECK_INT(throng__http_response_feed(&r, S(text), &used), 1);
    CHECK_INT(used, first);
    CHECK(used < sizeof text - 1);
    size_t len;
    const char *body = throng__http_response_body(&r, &len);
    CHECK(len == 2 && memcmp(body, "ok", 2) == 0);
    throng__http_response_release(&r);
}

/* Parses one complete response and returns keep-alive. */
static int keep_alive_of(const char *text)
{
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    size_t used;
    int rc = throng__http_response_feed(&r, text, strlen(text), &used);
    CHECK_INT(rc, 1);
    int keep = throng__http_response_keep_alive(&r);
    throng__http_response_release(&r);
    return keep;
}

static void test_keep_alive(void)
{
    CHECK_INT(keep_alive_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 1);
    CHECK_INT(keep_alive_of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
              0);
    CHECK_INT(keep_alive_of("HTTP/1.1 200 OK\r\nconnection: Close\r\nContent-Length: 0\r\n\r\n"),
              0);
    CHECK_INT(keep_alive_of("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), 0);
    CHECK_INT(
        keep_alive_of("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"), 1);
}

static void test_headers(void)
{
    static const char text[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/json\r\n"
                               "X-Empty:\r\n"
                               "x-lower: v2\r\n"
                               "Content-Length: 2\r\n"
                               "\r\n"
                               "[]";
    throng__http_response_t r;
    throng__http_response_init(&r, &pool);
    throng__http_response_reset(&r, 0);
    size_t used;
    CHECK_INT(throng__http_response_feed(&r, S(text), &used), 1);
    CHECK_STR(throng__http_response_header(&r, "content-type"), "application/json");
    CHECK_STR(throng__http_response_header(&r, "CONTENT-TYPE"), "application/json");
    CHECK_STR(throng__http_response_header(&r, "X-Lower"), "v2");
    CHECK_STR(throng__http_response_header(&r, "x-empty"), "");
    CHECK(throng__http_response_header(&r, "X-Missing") == NULL);
    CHECK(throng__http_response_header(&r, "Content") == NULL);
    CHECK(throng__http_response_header(&r, "set-cookie") == NULL);

    /* The raw block keeps the names as received, as name\0value\0 pairs. */
    size_t len;
    const char *h = throng__http_response_headers(&r, &len);
    CHECK(len > 13 && memcmp(h, "Content-Type\0application/json\0", 30) == 0);

    /* Fed a byte at a time (every name and value split), the block is the same. */
    static const char block[] = "Content-Type\0application/json\0X-Empty\0\0x-lower\0v2\0"
                                "Content-Length\0002\0";
    CHECK_INT(len, sizeof block - 1);
    CHECK(memcmp(h, block, sizeof block - 1) == 0);
    throng__http_response_reset(&r, 0);
    int rc = 0;
    for (size_t i = 0; i < sizeof text - 1 && rc == 0; i++)
        rc = throng__http_response_feed(&r, text + i, 1, &used);
    CHECK_INT(rc, 1);
    h = throng__http_response_headers(&r, &len);
    CHECK_INT(len, sizeof block - 1);
    CHECK(memcmp(h, block, sizeof block - 1) == 0);
    CHECK_STR(throng__http_response_header(&r, "x-empty"), "");
    CHECK_STR(throng__http_response_header(&r, "x-lower"), "v2");
    /* Names split into bytes are found by their whole length. */
    CHECK_STR(throng__http_response_header(&r, "content-type"), "application/json");
    CHECK_STR(throng__http_response_header(&r, "content-length"), "2");
    CHECK(throng__http_response_header(&r, "content-encoding") == NULL);

    /* Names of 31 bytes and more, and none of an interim response (its
     * headers are gone with it). */
    static const char longer[] =
        "HTTP/1.1 103 Early Hints\r\n"
        "X-Interim-Name-Of-Thirty-Two-By: a\r\n"
        "\r\n"
        "HTTP/1.1 200 OK\r\n"
        "X-A-Name-Of-Thirty-One-Bytes-Xy: b\r\n"
        "X-A-Name-Of-Forty-Bytes-Is-Longer-Still: c\r\n"
        "X-A-Name-Of-Seventy-Bytes-Is-Longer-Than-Any-Mark-Counts-Up-To-Abcdefgh: d\r\n"
        "Connection: keep-alive\r\n"
        "Set-Cookie: a=1\r\n"
        "Content-Length: 0\r\n"
        "\r\n";
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        throng__http_response_reset(&r, 0);
        rc = 0;
        if (bytewise)
            for (size_t i = 0; i < sizeof longer - 1 && rc == 0; i++)
                rc = throng__http_response_feed(&r, longer + i, 1, &used);
        else
            rc = throng__http_response_feed(&r, S(longer), &used);
        CHECK_INT(rc, 1);
        CHECK_INT(r.status, 200);
        CHECK_STR(throng__http_response_header(&r, "x-a-name-of-thirty-one-bytes-xy"), "b");
        CHECK_STR(throng__http_response_header(&r, "x-a-name-of-forty-bytes-is-longer-still"), "c");
        CHECK(throng__http_response_header(&r, "X-Interim-Name-Of-Thirty-Two-By") == NULL);
        CHECK(throng__http_response_header(&r, "x-a-name-of-forty-bytes-is-longer-stil!") == NULL);
        CHECK_STR(
            throng__http_response_header(
                &r, "x-a-name-of-seventy-bytes-is-longer-than-any-mark-counts-up-to-abcdefgh"),
            "d");
        /* Set-Cookie has Connection's length: each is found, neither for the other. */
        CHECK_STR(throng__http_response_header(&r, "set-cookie"), "a=1");
        CHECK_STR(throng__http_response_header(&r, "connection"), "keep-alive");
    }
    throng__http_response_release(&r);
}

static size_t free_buffers(const throng__bufpool_t *p)
{
    size_t n = 0;
    for (const throng__buf_t *b = p->free; b; b = b->next)
        n++;
    return n;
}

/* One response object serves a connection's many responses; its buffer
 * goes back to the pool after each and comes back for the next. */
static void test_reuse(void)
{
    throng__bufpool_t own;
    throng__bufpool_init(&own);
    throng__http_response_t r;
    throng__http_response_init(&r, &own);
    throng__buf_t *first = NULL;
    int ok = 1;
    for (int i = 0; i < 500; i++) {
        char text[128], want[16];
        int n = snprintf(want, sizeof want, "body %d", i);
        /* 200..203: statuses that carry a body (204 would not). */
        snprintf(text, sizeof text, "HTTP/1.1 %d OK\r\nContent-Length: %d\r\n\r\n%s", 200 + i % 4,
                 n, want);
        throng__http_response_reset(&r, 0);
        size_t used, len;
        if (throng__http_response_feed(&r, text, strlen(text), &used) != 1) ok = 0;
        const char *body = throng__http_response_body(&r, &len);
        if (r.status != 200 + i % 4 || len != (size_t)n || memcmp(body, want, len) != 0) ok = 0;
        if (!first) first = r.buf;
        if (r.buf != first) ok = 0;
        throng__http_response_release(&r);
        if (r.buf != NULL || free_buffers(&own) != 1) ok = 0;
    }
    CHECK(ok);
    CHECK(first != NULL);
    CHECK_INT(free_buffers(&own), 1);

    /* A released response holds nothing; releasing again is harmless. */
    throng__http_response_release(&r);
    CHECK_INT(free_buffers(&own), 1);
    throng__bufpool_destroy(&own);
}

int main(void)
{
    throng__rng_seed(&rng, 42);
    throng__bufpool_init(&pool);
    test_post_request();
    test_get_and_empty_post();
    test_text_and_token();
    test_content_length();
    test_chunked();
    test_no_body();
    test_eof();
    test_continue();
    test_malformed();
    test_status_line();
    test_max_body();
    test_trailing_bytes();
    test_keep_alive();
    test_headers();
    test_reuse();
    throng__bufpool_destroy(&pool);
    return check_result("test_http");
}
