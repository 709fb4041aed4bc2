/* redirect.c - the next hop of a redirect, written from the last one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client/redirect.h"
#include "lua/lua_cookies.h"

int throng__redirect_arm(throng__redirect_t **rd, unsigned follow, const throng__buf_t *out,
                         const throng__address_t *home)
{
    if (!follow) {
        if (*rd) (*rd)->left = (*rd)->hops = 0, (*rd)->req.len = 0;
        return 0;
    }
    if (!*rd && !(*rd = calloc(1, sizeof **rd))) return -1;
    throng__redirect_t *r = *rd;
    r->req.len = 0;
    if (throng__buf_append(&r->req, out->data, out->len) != 0) return -1;
    r->left = follow;
    r->hops = 0;
    r->service_ns = 0;
    r->home = r->at = home;
    r->url[0] = 0;
    return 0;
}

/* The request's parts, pointing into r->req. */
typedef struct {
    const char *method, *target, *headers, *body;
    size_t mlen, tlen, hlen, blen;
} parts_t;

static int split(const throng__buf_t *b, parts_t *p)
{
    const char *d = b->data, *end = d + b->len;
    const char *sp = memchr(d, ' ', b->len);
    const char *eol = memchr(d, '\r', b->len);
    if (!sp || !eol || sp > eol) return -1;
    const char *sp2 = memchr(sp + 1, ' ', (size_t)(eol - sp - 1));
    if (!sp2) return -1;
    const char *blank = NULL;
    for (const char *q = eol; q + 3 < end && !blank; q++)
        if (!memcmp(q, "\r\n\r\n", 4)) blank = q;
    if (!blank) return -1;
    *p = (parts_t){d,
                   sp + 1,
                   eol + 2,
                   blank + 4,
                   (size_t)(sp - d),
                   (size_t)(sp2 - sp - 1),
                   (size_t)(blank + 2 - eol - 2),
                   (size_t)(end - blank - 4)};
    return 0;
}

/* A header the next hop writes again or drops. */
static int rewritten(const char *line, size_t len, int drop_body)
{
    static const char *const always[] = {
        "host:", "cookie:", "content-length:", "transfer-encoding:"};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if (len >= strlen(always[i]) && !strncasecmp(line, always[i], strlen(always[i]))) return 1;
    return drop_body && len >= 13 && !strncasecmp(line, "content-type:", 13);
}

/* The Location resolved against the current target: the new target into
 * path (NUL-ended), and the server into *at (home, or r->other). */
static int resolve(throng__redirect_t *r, const char *loc, const parts_t *p, char *path, size_t cap,
                   char *msg, size_t msglen)
{
    const throng__address_t *cur = r->at;
    if (!strncasecmp(loc, "http://", 7) || !strncasecmp(loc, "https://", 8) ||
        !strncmp(loc, "//", 2)) {
        char full[1024], err[256];
        if (!strncmp(loc, "//", 2))
            snprintf(full, sizeof full, "%s:%s", cur->tls ? "https" : "http", loc);
        else
            snprintf(full, sizeof full, "%s", loc);
        const char *pp;
        size_t pl;
        if (throng__url_parse(full, 80, "Location", &r->other, &pp, &pl, err) != 0) {
            snprintf(msg, msglen, "redirect: %s", err);
            return -1;
        }
        snprintf(path, cap, "%.*s", (int)(pl ? pl : 1), pl ? pp : "/");
        if (!strcasecmp(r->other.host, cur->host) && r->other.port == cur->port &&
            r->other.tls == cur->tls)
            return 0;
        if (!strcasecmp(r->other.host, r->home->host) && r->other.port == r->home->port &&
            r->other.tls == r->home->tls) {
            r->at = r->home;
            return 0;
        }
        r->at = &r->other; /* its address still to resolve */
        return 0;
    }
    if (loc[0] == '/') {
        snprintf(path, cap, "%s", loc);
        return 0;
    }
    /* relative: against the target's directory */
    const char *q = memchr(p->target, '?', p->tlen);
    size_t n = q ? (size_t)(q - p->target) : p->tlen;
    while (n > 0 && p->target[n - 1] != '/')
        n--;
    if (loc[0] == '?') n = q ? (size_t)(q - p->target) : p->tlen;
    snprintf(path, cap, "%.*s%s", (int)n, p->target, loc);
    return 0;
}

int throng__redirect_next(throng__redirect_t *rd, const throng__http_response_t *res,
                          uint64_t latency_ns, throng__lua_caller_t *who, int cookies, char *msg,
                          size_t msglen)
{
    int st = res->status;
    if (!rd || !rd->req.len || !(st == 301 || st == 302 || st == 303 || st == 307 || st == 308))
        return 0;
    const char *loc = throng__http_response_header(res, "location");
    if (!loc || !*loc) return 0;
    rd->service_ns += latency_ns;
    if (rd->left == 0) {
        snprintf(msg, msglen, "too many redirects (%u)", rd->hops);
        return -1;
    }
    parts_t p;
    if (split(&rd->req, &p) != 0) return 0;
    char path[2048];
    if (resolve(rd, loc, &p, path, sizeof path, msg, msglen) != 0) return -1;
    if (!throng__http_text_ok(path, strlen(path)) || strchr(path, ' ')) {
        snprintf(msg, msglen, "redirect: Location '%.60s' cannot be requested", loc);
        return -1;
    }
    int keep = st == 307 || st == 308;
    int head = p.mlen == 4 && !memcmp(p.method, "HEAD", 4);
    const char *m = keep || head ? p.method : "GET";
    size_t mlen = keep || head ? p.mlen : 3;
    throng__buf_t out = {0};
    int rc = throng__http_begin(&out, m, mlen, path, strlen(path));
    for (const char *h = p.headers; !rc && h < p.headers + p.hlen;) {
        const char *e = memchr(h, '\r', (size_t)(p.headers + p.hlen - h));
        size_t len = (size_t)(e - h);
        if (!rewritten(h, len, !keep)) rc = throng__buf_append(&out, h, len + 2);
        h = e + 2;
    }
    const char *auth = rd->at->authority;
    if (!rc) rc = throng__http_header(&out, "Host", 4, auth, strlen(auth));
    if (!rc && cookies && !(who->cookies & THRONG__COOKIES_OFF))
        rc = throng__jar_header(who->jar, rd->at->host, path, strlen(path), rd->at->tls,
                                (int64_t)time(NULL), &out);
    if (!rc) rc = throng__http_finish(&out, m, mlen, keep ? p.body : NULL, keep ? p.blen : 0);
    if (rc) {
        throng__buf_free(&out);
        snprintf(msg, msglen, "out of memory following a redirect");
        return -1;
    }
    throng__buf_free(&rd->req);
    rd->req = out;
    rd->left--;
    rd->hops++;
    snprintf(rd->url, sizeof rd->url, "%s://%s%s", rd->at->tls ? "https" : "http", auth, path);
    return 1;
}
