/* address.c - parsing URLs and server addresses, and resolving them. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/address.h"
#include "util/error.h"

/* The scheme before "://", when the text has one: sets a->tls and the
 * scheme's default port, and *rest to what follows. Text without a scheme
 * is a bare "host:port". */
static int parse_scheme(const char *text, const char *what, throng__address_t *a, int *default_port,
                        const char **rest, char *err)
{
    const char *sep = strstr(text, "://");
    *rest = text;
    if (!sep) return 0;
    for (const char *q = text; q < sep; q++)
        if (!isalnum((unsigned char)*q) && *q != '+' && *q != '-' && *q != '.')
            return 0; /* "://" inside a path, not a scheme */
    size_t n = (size_t)(sep - text);
    if (n == 4 && strncasecmp(text, "http", 4) == 0) {
        *default_port = 80;
    } else if (n == 5 && strncasecmp(text, "https", 5) == 0) {
        a->tls = 1;
        *default_port = 443;
    } else if (n == 0) {
        return throng__fail(err, THRONG_EADDR, "%s '%s': missing scheme before '://'", what, text);
    } else {
        return throng__fail(err, THRONG_EADDR,
                            "%s '%s': scheme '%.*s://' is not supported (http:// or https://)",
                            what, text, (int)n, text);
    }
    *rest = sep + 3;
    return 0;
}

/* Checks a host name's characters: letters, digits, '-', '.', '_', '~'. */
static int check_host_name(const char *text, const char *what, const char *host, char *err)
{
    for (const unsigned char *c = (const unsigned char *)host; *c; c++) {
        if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') continue;
        if (*c <= ' ' || *c == 0x7f)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': the host holds a space or a control character", what,
                                text);
        if (*c >= 0x80)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': the host holds non-ASCII characters (write an "
                                "international name in its xn-- form)",
                                what, text);
        return throng__fail(err, THRONG_EADDR, "%s '%s': the host holds '%c'", what, text, *c);
    }
    return 0;
}

/* Checks a bracketed IPv6 host ("::1", "fe80::1%25eth0" with its zone). */
static int check_ipv6(const char *text, const char *what, const char *host, char *err)
{
    char ip[INET6_ADDRSTRLEN + 1];
    struct in6_addr addr;
    size_t n = strcspn(host, "%");
    if (n < sizeof ip) {
        memcpy(ip, host, n);
        ip[n] = '\0';
        if (inet_pton(AF_INET6, ip, &addr) == 1) return 0;
    }
    return throng__fail(err, THRONG_EADDR, "%s '%s': '[%s]' is not an IPv6 address", what, text,
                        host);
}

/* A port: decimal digits only, 0 to 65535. */
static int parse_port(const char *s, size_t len, int *port)
{
    long v = 0;
    if (len == 0 || len > 5) return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535) return -1;
    *port = (int)v;
    return 0;
}

/* Splits the authority (auth, len bytes: "host", "host:port", "[v6]:port")
 * into a->host and a->port. */
static int parse_authority(const char *text, const char *what, const char *auth, size_t len,
                           int default_port, throng__address_t *a, char *err)
{
    const char *host = auth, *port = NULL, *end = auth + len;
    size_t hlen;
    if (memchr(auth, '@', len))
        return throng__fail(err, THRONG_EADDR,
                            "%s '%s': user names and passwords in URLs are not supported (send "
                            "an Authorization header instead)",
                            what, text);
    if (len && auth[0] == '[') {
        const char *close = memchr(auth, ']', len);
        if (!close) return throng__fail(err, THRONG_EADDR, "%s '%s': missing ']'", what, text);
        host = auth + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < end && close[1] == ':')
            port = close + 2;
        else if (close + 1 < end)
            return throng__fail(err, THRONG_EADDR, "%s '%s': expected ':' after ']'", what, text);
    } else {
        const char *colon = memchr(auth, ':', len);
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': write IPv6 addresses in brackets, as [::1]:5050", what,
                                text);
        hlen = colon ? (size_t)(colon - auth) : len;
        if (colon) port = colon + 1;
    }
    if (hlen == 0) return throng__fail(err, THRONG_EADDR, "%s '%s': missing host", what, text);
    if (hlen >= sizeof a->host)
        return throng__fail(err, THRONG_EADDR, "%s '%s': the host is longer than %zu characters",
                            what, text, sizeof a->host - 1);
    memcpy(a->host, host, hlen);
    a->host[hlen] = '\0';
    int rc = host == auth ? check_host_name(text, what, a->host, err)
                          : check_ipv6(text, what, a->host, err);
    if (rc) return rc;
    a->port = default_port;
    if (port && port == end)
        return throng__fail(err, THRONG_EADDR, "%s '%s': missing port number after ':'", what,
                            text);
    if (port && parse_port(port, (size_t)(end - port), &a->port) != 0)
        return throng__fail(err, THRONG_EADDR, "%s '%s': '%.*s' is not a port number (0 to 65535)",
                            what, text, (int)(end - port), port);
    snprintf(a->authority, sizeof a->authority, host == auth ? "%s:%d" : "[%s]:%d", a->host,
             a->port);
    return 0;
}

/* Checks the path and query: what a request line can carry as it is. */
static int check_path(const char *text, const char *what, const char *path, size_t len, char *err)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c <= ' ' || c == 0x7f)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': the path holds a space or a control character (write "
                                "a space as %%20)",
                                what, text);
        if (c >= 0x80)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': the path holds non-ASCII characters (write them "
                                "percent-encoded, as %%C3%%A9 for an e with an acute accent)",
                                what, text);
    }
    return 0;
}

int throng__url_parse(const char *text, int default_port, const char *what, throng__address_t *a,
                      const char **path, size_t *path_len, char *err)
{
    memset(a, 0, sizeof *a);
    *path = "";
    *path_len = 0;
    if (!text || !*text) return throng__fail(err, THRONG_EADDR, "%s is empty", what);
    const char *rest;
    int rc = parse_scheme(text, what, a, &default_port, &rest, err);
    if (rc) return rc;
    size_t alen = strcspn(rest, "/?#");
    rc = parse_authority(text, what, rest, alen, default_port, a, err);
    if (rc) return rc;
    const char *p = rest + alen;
    size_t plen = strcspn(p, "#");
    rc = check_path(text, what, p, plen, err);
    if (rc) return rc;
    *path = p;
    *path_len = plen;
    return 0;
}

int throng__address_parse(const char *text, int default_port, const char *what,
                          throng__address_t *a, char *err)
{
    const char *path;
    size_t len;
    int rc = throng__url_parse(text, default_port, what, a, &path, &len, err);
    if (rc) return rc;
    if (len > 1 || (len == 1 && path[0] != '/'))
        return throng__fail(err, THRONG_EADDR,
                            "%s '%s': give only host and port; paths come from the persona (the "
                            "url persona loads a URL's path)",
                            what, text);
    return 0;
}

int throng_parse_url(const char *text, throng_url_t *url, char *errbuf, size_t errlen)
{
    char err[THRONG__ERRMSG_LEN];
    throng__address_t a;
    const char *path;
    size_t len;
    if (!url) return THRONG_EINVAL;
    memset(url, 0, sizeof *url);
    int rc = throng__url_parse(text, 80, "URL", &a, &path, &len, err);
    if (rc) {
        if (errbuf && errlen) snprintf(errbuf, errlen, "%s", err);
        return rc;
    }
    url->tls = a.tls;
    url->port = a.port;
    snprintf(url->host, sizeof url->host, "%s", a.host);
    snprintf(url->origin, sizeof url->origin, "%s://%s", a.tls ? "https" : "http", a.authority);
    url->path = path;
    url->path_len = len;
    return 0;
}

int throng__address_resolve(throng__address_t *a, char *err)
{
    struct addrinfo hints = {0}, *res = NULL, *pick = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[8];
    snprintf(port, sizeof port, "%d", a->port);
    int rc = getaddrinfo(a->host, port, &hints, &res);
    if (rc != 0 || !res)
        return throng__fail(err, THRONG_ERESOLVE, "cannot resolve '%s': %s", a->host,
                            gai_strerror(rc));
    for (struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) pick = ai;
    if (!pick) pick = res;
    memset(&a->sa, 0, sizeof a->sa);
    memcpy(&a->sa, pick->ai_addr, pick->ai_addrlen);
    a->salen = pick->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

void throng__sockaddr_set_port(struct sockaddr_storage *ss, int port)
{
    if (ss->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

void throng__sockaddr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(buf, len, "[%s]:%d", ip, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(buf, len, "%s:%d", ip, ntohs(s4->sin_port));
    }
}
