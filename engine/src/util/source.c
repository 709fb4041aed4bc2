/* source.c - the local addresses a group's connections come from: the
 * list's parser, the address each client takes, and the family check
 * against the server's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/source.h"
#include "throng.h"

#define ITEM_MAX 100 /* longer than any address or range of two */

static const char *family_name(int family)
{
    return family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : "another family";
}

/* One address, bare or (IPv6 only) in brackets, into bytes; its family,
 * or 0 when it is none. */
static int parse_address(const char *text, uint8_t bytes[16])
{
    char inner[ITEM_MAX];
    size_t n = strlen(text);
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        snprintf(inner, sizeof inner, "%.*s", (int)(n - 2), text + 1);
        return inet_pton(AF_INET6, inner, bytes) == 1 ? AF_INET6 : 0;
    }
    if (inet_pton(AF_INET, text, bytes) == 1) return AF_INET;
    if (inet_pton(AF_INET6, text, bytes) == 1) return AF_INET6;
    return 0;
}

static uint32_t v4_of(const uint8_t b[16])
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void span_text(int family, const throng__sources_span_t *sp, char *buf, size_t len)
{
    if (!inet_ntop(family, sp->first, buf, (socklen_t)len)) snprintf(buf, len, "?");
}

/* Adds a span to s, checking its family against the list's and the
 * list's size against the cap. */
static int add_span(throng__sources_t *s, int family, const uint8_t first[16], uint64_t count,
                    const char *item, char *err)
{
    if (s->family && family != s->family) {
        char before[INET6_ADDRSTRLEN];
        span_text(s->family, &s->spans[0], before, sizeof before);
        return throng__fail(err, THRONG_EINVAL,
                            "source '%s' is %s while '%s' before it is %s: every source address "
                            "has one family, the server's",
                            item, family_name(family), before, family_name(s->family));
    }
    if (s->count + count > THRONG__SOURCES_MAX)
        return throng__fail(err, THRONG_EINVAL,
                            "source '%s' brings the list to %llu addresses, at most %u", item,
                            (unsigned long long)(s->count + count), THRONG__SOURCES_MAX);
    if ((s->nspans & (s->nspans - 1)) == 0) { /* 0, 1, 2, 4, ...: full, grow */
        size_t cap = s->nspans ? s->nspans * 2 : 1;
        throng__sources_span_t *grown = realloc(s->spans, cap * sizeof *grown);
        if (!grown) return throng__fail(err, THRONG_ENOMEM, "out of memory reading the sources");
        s->spans = grown;
    }
    throng__sources_span_t *sp = &s->spans[s->nspans++];
    memcpy(sp->first, first, sizeof sp->first);
    sp->count = (uint32_t)count;
    s->family = family;
    s->count += (unsigned)count;
    return 0;
}

/* "127.0.0.2-127.0.0.40": IPv4 only, the first not above the last. */
static int add_range(throng__sources_t *s, const char *item, const char *dash, char *err)
{
    char lo[ITEM_MAX], hi[ITEM_MAX];
    uint8_t a[16] = {0}, b[16] = {0};
    snprintf(lo, sizeof lo, "%.*s", (int)(dash - item), item);
    snprintf(hi, sizeof hi, "%s", dash + 1);
    int fa = parse_address(lo, a), fb = parse_address(hi, b);
    if (fa == AF_INET6 || fb == AF_INET6 || strchr(item, ':'))
        return throng__fail(err, THRONG_EINVAL,
                            "source '%s': ranges are IPv4 only; list IPv6 addresses one by one",
                            item);
    if (fa != AF_INET)
        return throng__fail(err, THRONG_EINVAL, "source '%s': '%s' is not an IPv4 address", item,
                            lo);
    if (fb != AF_INET)
        return throng__fail(err, THRONG_EINVAL, "source '%s': '%s' is not an IPv4 address", item,
                            hi);
    uint32_t first = v4_of(a), last = v4_of(b);
    if (first > last)
        return throng__fail(err, THRONG_EINVAL,
                            "source '%s': the range runs backwards (%s is above %s)", item, lo, hi);
    return add_span(s, AF_INET, a, (uint64_t)last - first + 1, item, err);
}

/* One item of the list, without the spaces around it. */
static int add_item(throng__sources_t *s, const char *item, char *err)
{
    const char *dash = strchr(item, '-');
    if (dash) return add_range(s, item, dash, err);
    uint8_t bytes[16] = {0};
    int family = parse_address(item, bytes);
    if (!family)
        return throng__fail(err, THRONG_EINVAL,
                            "source '%s' is not an IP address (IPv4, IPv6, or an IPv4 range "
                            "such as 127.0.0.2-127.0.0.40; no names, no port)",
                            item);
    return add_span(s, family, bytes, 1, item, err);
}

int throng__sources_parse(const char *text, throng__sources_t *s, char *err)
{
    memset(s, 0, sizeof *s);
    if (!text || !text[strspn(text, " \t")]) return 0;
    const char *p = text;
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *a = p, *b = p + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a == b)
            return throng__fail(err, THRONG_EINVAL,
                                "source '%s': an empty item in the list (two commas, or one at "
                                "an end)",
                                text);
        if (b - a >= ITEM_MAX)
            return throng__fail(err, THRONG_EINVAL, "source '%.40s...' is not an IP address", a);
        char item[ITEM_MAX];
        snprintf(item, sizeof item, "%.*s", (int)(b - a), a);
        int rc = add_item(s, item, err);
        if (rc) return rc;
        if (!p[n]) return 0;
        p += n + 1;
    }
}

void throng__sources_free(throng__sources_t *s)
{
    free(s->spans);
    memset(s, 0, sizeof *s);
}

socklen_t throng__sources_pick(const throng__sources_t *s, uint64_t k, struct sockaddr_storage *ss)
{
    uint32_t i = (uint32_t)(k % s->count);
    const throng__sources_span_t *sp = s->spans;
    while (i >= sp->count)
        i -= sp++->count;
    memset(ss, 0, sizeof *ss);
    if (s->family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(v4_of(sp->first) + i);
        return sizeof *in;
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, sp->first, 16);
    return sizeof *in6;
}

int throng__sources_check_family(const throng__sources_t *s, const struct sockaddr *sa,
                                 const char *server_text, char *err)
{
    if (!s->count || sa->sa_family == s->family) return 0;
    char first[INET6_ADDRSTRLEN];
    span_text(s->family, &s->spans[0], first, sizeof first);
    return throng__fail(err, THRONG_EADDR,
                        "source %s is %s but the server %s is %s: connections come from "
                        "addresses of the server's family",
                        first, family_name(s->family), server_text, family_name(sa->sa_family));
}

void throng__sources_text(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *addr = sa->sa_family == AF_INET6
                           ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                           : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    if (!inet_ntop(sa->sa_family, addr, buf, (socklen_t)len)) snprintf(buf, len, "?");
}
