/* http.c - request writing and response parsing for clients. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/http.h"

/* ------------------------------------------------------------ requests */

int throng__http_text_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
    return 1;
}

/* 1 for the bytes of an HTTP token (RFC 9110 5.6.2): visible ASCII but
 * the delimiters ()<>@,;:\"/[]?={}; bytes from 128 are 0. */
static const unsigned char token_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0,
};

int throng__http_token_ok(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!token_byte[(unsigned char)s[i]]) return 0;
    return 1;
}

int throng__http_begin(throng__buf_t *b, const char *method, size_t mlen, const char *path,
                       size_t plen)
{
    if (throng__buf_reserve(b, mlen + plen + 12) != 0) return -1;
    char *p = b->data + b->len;
    memcpy(p, method, mlen), p += mlen;
    *p++ = ' ';
    memcpy(p, path, plen), p += plen;
    memcpy(p, " HTTP/1.1\r\n", 11), p += 11;
    b->len = (size_t)(p - b->data);
    return 0;
}

int throng__http_header(throng__buf_t *b, const char *name, size_t nlen, const char *value,
                        size_t vlen)
{
    if (throng__buf_reserve(b, nlen + vlen + 4) != 0) return -1;
    char *p = b->data + b->len;
    memcpy(p, name, nlen), p += nlen;
    *p++ = ':', *p++ = ' ';
    memcpy(p, value, vlen), p += vlen;
    *p++ = '\r', *p++ = '\n';
    b->len = (size_t)(p - b->data);
    return 0;
}

static int method_has_body(const char *m, size_t n)
{
    return (n == 4 && memcmp(m, "POST", 4) == 0) || (n == 3 && memcmp(m, "PUT", 3) == 0) ||
           (n == 5 && memcmp(m, "PATCH", 5) == 0);
}

int throng__http_finish(throng__buf_t *b, const char *method, size_t mlen, const char *body,
                        size_t blen)
{
    if (blen > 0 || method_has_body(method, mlen)) {
        if (throng__buf_puts(b, "Content-Length: ") != 0 || throng__buf_putu(b, blen) != 0 ||
            throng__buf_append(b, "\r\n", 2) != 0)
            return -1;
    }
    if (throng__buf_append(b, "\r\n", 2) != 0) return -1;
    return blen ? throng__buf_append(b, body, blen) : 0;
}

/* ----------------------------------------------------------- responses */

static throng__http_response_t *from_parser(llhttp_t *p)
{
    return (throng__http_response_t *)p->data;
}

/* Gives back to the budget what the response held of it. */
static void discharge(throng__http_response_t *r)
{
    if (r->budget) r->budget->used -= r->charged;
    r->charged = 0;
}

/* Appends received bytes to the response buffer, borrowing one from the
 * pool on first use, and charges them to the budget; on failure makes
 * llhttp stop with a reason. Bytes that fit the buffer are copied in place
 * (a header's few bytes, its '\0'), without a call to grow it. */
static int keep(llhttp_t *p, const char *at, size_t n)
{
    throng__http_response_t *r = from_parser(p);
    throng__http_budget_t *b = r->budget;
    if (n == 0) return 0; /* no buffer taken for nothing: one in use always has data */
    if (b && b->limit && n > b->limit - b->used) { /* used <= limit always */
        r->over_budget = 1;
        return HPE_USER;
    }
    throng__buf_t *buf = r->buf;
    if (!buf && !(buf = r->buf = throng__bufpool_get(r->pool))) goto nomem;
    if (r->in_headers && buf->len + n > THRONG__HTTP_MAX_HEADERS) {
        llhttp_set_error_reason(p, "header block larger than 1 MiB");
        return HPE_USER;
    }
    if (n <= buf->cap - buf->len) {
        memcpy(buf->data + buf->len, at, n);
        buf->len += n;
    } else if (throng__buf_append(buf, at, n) != 0) {
        goto nomem;
    }
    if (b) b->used += n;
    r->charged += n;
    return 0;
nomem:
    llhttp_set_error_reason(p, "out of memory for the response");
    return HPE_USER;
}

/* keep(p, "", 1), the '\0' after a header's name or value: written in
 * place when the buffer has room and the budget allows. */
static int keep_nul(llhttp_t *p)
{
    throng__http_response_t *r = from_parser(p);
    throng__http_budget_t *b = r->budget;
    throng__buf_t *buf = r->buf;
    if (!buf || buf->len >= buf->cap || buf->len >= THRONG__HTTP_MAX_HEADERS ||
        (b && b->limit && b->used >= b->limit))
        return keep(p, "", 1);
    buf->data[buf->len++] = '\0';
    if (b) b->used++;
    r->charged++;
    return 0;
}

/* Header names and values are kept as "name\0value\0"; trailers after a
 * chunked body are not (they would land after the body). A name's '\0' is
 * written when its value starts, or when the value ends having had no
 * bytes: one callback fewer per header than a name-complete callback. */
static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
    throng__http_response_t *r = from_parser(p);
    if (!r->in_headers) return 0;
    if (!r->in_name) r->name_len = 0;
    if (r->name_len == 0 && n) r->name_first = (unsigned char)(at[0] | 0x20);
    r->in_name = 1;
    r->name_len = n < 63 - r->name_len ? r->name_len + (uint32_t)n : 63; /* at most 63 */
    return keep(p, at, n);
}

/* The bit of a name of len bytes starting with first (lowercased) in
 * name_marks: its length (up to 63) plus its first byte, modulo 64. None
 * of Set-Cookie, Content-Encoding and Location shares its bit with another
 * usual response header. */
static uint64_t name_mark(size_t len, unsigned char first)
{
    return (uint64_t)1 << (((len < 63 ? len : 63) + first) & 63);
}

/* A header's name ended: its mark is noted, so that a lookup of a name no
 * header has the mark of (Content-Encoding and Set-Cookie, on every
 * response) ends without a walk over the header block. */
static int name_done(llhttp_t *p, throng__http_response_t *r)
{
    r->in_name = 0;
    r->name_marks |= name_mark(r->name_len, r->name_first);
    return keep_nul(p);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
    throng__http_response_t *r = from_parser(p);
    if (!r->in_headers) return 0;
    if (r->in_name) {
        int rc = name_done(p, r);
        if (rc) return rc;
    }
    return keep(p, at, n);
}

static int on_header_value_complete(llhttp_t *p)
{
    throng__http_response_t *r = from_parser(p);
    if (!r->in_headers) return 0;
    if (r->in_name) { /* an empty value: the name ends here */
        int rc = name_done(p, r);
        if (rc) return rc;
    }
    return keep_nul(p);
}

static int start_decoding(throng__http_response_t *r);

static int on_headers_complete(llhttp_t *p)
{
    throng__http_response_t *r = from_parser(p);
    r->status = llhttp_get_status_code(p);
    if (r->status < 100 || r->status > 599) { /* the line check stops these first */
        llhttp_set_error_reason(p, "status code outside 100..599");
        return HPE_USER;
    }
    r->body_off = r->buf ? r->buf->len : 0;
    r->in_headers = 0;
    /* Responses to HEAD, and 204 and 304, have headers only, whatever
     * Content-Length says (RFC 9110 6.4.1). */
    if (r->head || r->status == 204 || r->status == 304) return 1;
    if (start_decoding(r) != 0) return HPE_USER;
    /* A body announced larger than max_body is refused before any of it
     * is buffered, not after max_body bytes of it. */
    if (!r->streamed && (p->flags & F_CONTENT_LENGTH) && p->content_length > r->max_body) {
        r->too_large = 1;
        return HPE_USER;
    }
    return 0;
}

/* The body's Content-Encoding: an inflater when it is gzip or deflate and
 * the body is used; -1 (with r->error) for an encoding throng cannot undo. */
static int start_decoding(throng__http_response_t *r)
{
    if (r->streamed && !r->on_body) return 0; /* dropped: only counted, as sent */
    const char *value = throng__http_response_header(r, "content-encoding");
    throng__encoding_t enc = throng__inflate_encoding(value);
    if (enc == THRONG__ENCODING_IDENTITY) return 0;
    r->decode_failed = 1;
    if (enc == THRONG__ENCODING_UNKNOWN) {
        snprintf(r->error, sizeof r->error,
                 "response Content-Encoding '%.40s' is not one throng decodes (gzip, deflate)",
                 value);
        return -1;
    }
    if (!(r->inflate = throng__inflate_new(enc))) {
        snprintf(r->error, sizeof r->error, "out of memory decoding the response body");
        return -1;
    }
    r->decode_failed = 0;
    return 0;
}

/* A decoded piece of a body: kept or passed on as a raw one is, with
 * max_body counted on the decoded size. */
static int decoded_piece(void *data, const char *at, size_t n)
{
    throng__http_response_t *r = data;
    if (n > r->max_body - r->decoded) { /* decoded <= max_body always */
        r->too_large = 1;
        return 1;
    }
    r->decoded += n;
    if (r->streamed) {
        r->on_body(r->on_body_data, at, n);
        return 0;
    }
    return keep(&r->parser, at, n) != 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
    throng__http_response_t *r = from_parser(p);
    r->body_bytes += n;
    if (r->inflate) {
        int rc =
            throng__inflate_feed(r->inflate, at, n, decoded_piece, r, r->error, sizeof r->error);
        if (rc == -1) r->decode_failed = 1;
        return rc == 0 ? 0 : HPE_USER;
    }
    if (r->streamed) {
        if (r->on_body) r->on_body(r->on_body_data, at, n);
        return 0;
    }
    size_t have = r->buf ? r->buf->len - r->body_off : 0;
    if (n > r->max_body - have) { /* have <= max_body always */
        r->too_large = 1;
        return HPE_USER;
    }
    return keep(p, at, n);
}

static int on_message_begin(llhttp_t *p)
{
    throng__http_response_t *r = from_parser(p);
    r->in_headers = 1;
    r->in_name = 0;
    r->name_marks = 0;
    if (r->buf) r->buf->len = 0;
    discharge(r); /* an interim response's headers are gone */
    r->body_off = 0;
    r->body_bytes = 0;
    return 0;
}

static int on_message_complete(llhttp_t *p)
{
    throng__http_response_t *r = from_parser(p);
    /* An interim response (100 Continue, 103 Early Hints) precedes the real
     * one: pause, so that the next status line is checked from its start. */
    if (r->inflate) {
        int rc = throng__inflate_finish(r->inflate, r->error, sizeof r->error);
        throng__inflate_free(r->inflate);
        r->inflate = NULL;
        if (rc != 0) {
            r->decode_failed = 1;
            return HPE_USER;
        }
    }
    if (r->status >= 100 && r->status < 200 && r->status != 101)
        r->interim = 1;
    else
        r->complete = 1;
    return HPE_PAUSED; /* stop here: anything after it is not ours */
}

static const llhttp_settings_t response_settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_header_value_complete = on_header_value_complete,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void throng__http_response_init(throng__http_response_t *r, throng__bufpool_t *pool)
{
    memset(r, 0, sizeof *r);
    r->pool = pool;
    r->max_body = THRONG__HTTP_MAX_BODY;
    llhttp_init(&r->parser, HTTP_RESPONSE, &response_settings);
    r->parser.data = r;
}

void throng__http_response_reset(throng__http_response_t *r, int head_request)
{
    llhttp_init(&r->parser, HTTP_RESPONSE, &response_settings);
    r->parser.data = r;
    r->status = 0;
    r->body_off = 0;
    r->head = head_request ? 1 : 0;
    r->complete = 0;
    r->in_headers = 0;
    r->in_name = 0;
    r->name_marks = 0;
    r->interim = 0;
    r->too_large = 0;
    r->over_budget = 0;
    r->streamed = 0;
    r->on_body = NULL;
    r->on_body_data = NULL;
    r->body_bytes = 0;
    r->line_pos = 0;
    r->error[0] = '\0';
    if (r->buf) r->buf->len = 0;
    discharge(r);
    throng__inflate_free(r->inflate);
    r->inflate = NULL;
    r->decoded = 0;
    r->decode_failed = 0;
}

void throng__http_response_stream(throng__http_response_t *r, throng__http_body_cb cb, void *data)
{
    r->streamed = 1;
    r->on_body = cb;
    r->on_body_data = data;
}

static void set_error(throng__http_response_t *r, llhttp_errno_t e)
{
    if (r->too_large) {
        snprintf(r->error, sizeof r->error, "body larger than max_body (%zu bytes)%s", r->max_body,
                 r->inflate ? " once decoded (Content-Encoding)" : "");
        return;
    }
    if (r->decode_failed) return; /* r->error says why */
    if (r->over_budget) {
        snprintf(r->error, sizeof r->error,
                 "response refused: it would take the worker's buffered responses past "
                 "buffer_budget (%zu bytes)",
                 r->budget->limit);
        return;
    }
    const char *reason = llhttp_get_error_reason(&r->parser);
    snprintf(r->error, sizeof r->error, "malformed response: %s",
             reason && *reason ? reason : llhttp_errno_name(e));
}

/* The status line's start as received, escaped, for a message. */
static void line_text(const throng__http_response_t *r, char *out, size_t size)
{
    size_t o = 0;
    for (unsigned i = 0; i < r->line_pos && o + 5 < size; i++) {
        unsigned char ch = (unsigned char)r->line[i];
        if (ch >= 32 && ch < 127 && ch != '"' && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", ch);
    }
    out[o] = '\0';
}

/* Checks the start of a status line, "HTTP/x.y NNN" and then a space or
 * the line's end, over the bytes of data that belong to it; llhttp checks
 * the rest. It is more lenient: it takes any number of digits and spaces,
 * so that "HTTP/1.1  200 OK" would be status 0. Returns 0, or -1 with
 * r->error set. */
static int check_line(throng__http_response_t *r, const char *data, size_t len)
{
    static const char shape[] = "HTTP/9.9 999"; /* 9: a digit */
    for (size_t i = 0; i < len && r->line_pos < sizeof r->line; i++) {
        char ch = data[i];
        unsigned at = r->line_pos;
        if (at == 0 && (ch == '\r' || ch == '\n')) continue; /* llhttp skips these too */
        r->line[r->line_pos++] = ch;
        int ok = at < 12 ? (shape[at] == '9' ? ch >= '0' && ch <= '9' : ch == shape[at])
                         : (ch == ' ' || ch == '\r' || ch == '\n');
        char seen[64];
        if (!ok) {
            line_text(r, seen, sizeof seen);
            snprintf(r->error, sizeof r->error,
                     "malformed status line: expected \"HTTP/x.y NNN\", got \"%s\"", seen);
            return -1;
        }
        if (at == 11) {
            int status = (r->line[9] - '0') * 100 + (r->line[10] - '0') * 10 + (ch - '0');
            if (status < 100 || status > 599) {
                snprintf(r->error, sizeof r->error,
                         "malformed response: status code %03d outside 100..599", status);
                return -1;
            }
        }
    }
    return 0;
}

/* check_line's common case at once: a whole, well-formed line start
 * "HTTP/1.x NNN" (NNN 100..599) and its space or end, first in data. 1 when
 * it took it; 0 leaves the line to check_line, byte by byte. */
static int line_at_once(throng__http_response_t *r, const char *d, size_t len)
{
    if (r->line_pos || len < sizeof r->line || memcmp(d, "HTTP/1.", 7) != 0) return 0;
    unsigned v = (unsigned char)d[7] - '0', a = (unsigned char)d[9] - '0',
             b = (unsigned char)d[10] - '0', c = (unsigned char)d[11] - '0';
    char e = d[12];
    if (v > 9 || d[8] != ' ' || a < 1 || a > 5 || b > 9 || c > 9 ||
        (e != ' ' && e != '\r' && e != '\n'))
        return 0;
    memcpy(r->line, d, sizeof r->line);
    r->line_pos = sizeof r->line;
    return 1;
}

int throng__http_response_feed(throng__http_response_t *r, const char *data, size_t len,
                               size_t *used)
{
    const char *p = data, *end = data + len;
    for (;;) {
        if (r->line_pos < sizeof r->line && !line_at_once(r, p, (size_t)(end - p)) &&
            check_line(r, p, (size_t)(end - p)) != 0)
            return -1;
        llhttp_errno_t e = llhttp_execute(&r->parser, p, (size_t)(end - p));
        if (e == HPE_OK) {
            *used = len;
            return 0;
        }
        if (e == HPE_PAUSED && r->complete) {
            *used = (size_t)(llhttp_get_error_pos(&r->parser) - data);
            return 1;
        }
        if (e == HPE_PAUSED && r->interim) {
            /* The real response's status line starts here. */
            r->interim = 0;
            r->line_pos = 0;
            p = llhttp_get_error_pos(&r->parser);
            llhttp_resume(&r->parser);
            continue;
        }
        set_error(r, e);
        return -1;
    }
}

int throng__http_response_started(const throng__http_response_t *r)
{
    return r->status != 0 || r->in_headers;
}

int throng__http_response_eof(throng__http_response_t *r)
{
    if (!throng__http_response_started(r)) return 0;
    llhttp_errno_t e = llhttp_finish(&r->parser);
    if ((e == HPE_OK || e == HPE_PAUSED) && r->complete) return 1;
    if (!r->decode_failed)
        snprintf(r->error, sizeof r->error, "the server closed the connection mid-response");
    return -1;
}

int throng__http_response_keep_alive(const throng__http_response_t *r)
{
    return llhttp_should_keep_alive(&r->parser);
}

const char *throng__http_response_body(const throng__http_response_t *r, size_t *len)
{
    if (!r->buf) {
        *len = 0;
        return "";
    }
    *len = r->buf->len - r->body_off;
    return r->buf->data + r->body_off;
}

const char *throng__http_response_headers(const throng__http_response_t *r, size_t *len)
{
    *len = r->buf ? r->body_off : 0;
    return r->buf ? r->buf->data : "";
}

const char *throng__http_response_header(const throng__http_response_t *r, const char *name)
{
    size_t len, want = strlen(name);
    if (!want || !(r->name_marks & name_mark(want, (unsigned char)(name[0] | 0x20)))) return NULL;
    const char *p = throng__http_response_headers(r, &len), *end = p + len;
    while (p < end) {
        size_t nlen = strlen(p);
        const char *value = p + nlen + 1;
        if (value >= end) break;
        /* Names of another length are passed over without comparing them. */
        if (nlen == want && strcasecmp(p, name) == 0) return value;
        p = value + strlen(value) + 1;
    }
    return NULL;
}

void throng__http_response_release(throng__http_response_t *r)
{
    throng__bufpool_put(r->pool, r->buf);
    r->buf = NULL;
    discharge(r);
    throng__inflate_free(r->inflate);
    r->inflate = NULL;
}
