/* address.c - parsing and resolving server addresses. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/address.h"
#include "util/error.h"

/* Strips "http://" or "https://" (setting *tls) and a trailing "/";
 * refuses other schemes and paths, which a persona sets, not the address. */
static int strip_url(const char *text, const char *what, char *out, size_t cap, int *default_port,
                     int *tls, char *err)
{
    const char *p = text;
    const char *scheme_end = strstr(text, "://");
    if (scheme_end) {
        size_t n = (size_t)(scheme_end - text);
        *tls = n == 5 && strncasecmp(text, "https", 5) == 0;
        if (!*tls && (n != 4 || strncasecmp(text, "http", 4) != 0))
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': only http:// and https:// are supported", what, text);
        p = scheme_end + 3;
        *default_port = *tls ? 443 : 80;
    }
    size_t len = strlen(p);
    const char *slash = strchr(p, '/');
    if (slash) {
        if (strcmp(slash, "/") != 0)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': give only host and port; paths come from the persona",
                                what, text);
        len = (size_t)(slash - p);
    }
    if (len == 0 || len >= cap)
        return throng__fail(err, THRONG_EADDR, "%s '%s': missing or overlong host", what, text);
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 0 || v > 65535) return -1;
    *port = (int)v;
    return 0;
}

int throng__address_parse(const char *text, int default_port, const char *what,
                          throng__address_t *a, char *err)
{
    char hp[300];
    memset(a, 0, sizeof *a);
    if (!text || !*text) return throng__fail(err, THRONG_EADDR, "%s is empty", what);
    int tls = 0;
    int rc = strip_url(text, what, hp, sizeof hp, &default_port, &tls, err);
    if (rc) return rc;

    const char *host = hp, *port = NULL;
    char *close;
    if (hp[0] == '[') { /* [v6]:port */
        close = strchr(hp, ']');
        if (!close) return throng__fail(err, THRONG_EADDR, "%s '%s': missing ']'", what, text);
        *close = '\0';
        host = hp + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return throng__fail(err, THRONG_EADDR, "%s '%s': expected ':' after ']'", what, text);
    } else {
        char *colon = strrchr(hp, ':');
        if (colon && strchr(hp, ':') != colon)
            return throng__fail(err, THRONG_EADDR,
                                "%s '%s': write IPv6 addresses in brackets, as [::1]:5050", what,
                                text);
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    a->port = default_port;
    a->tls = tls;
    if (port && parse_port(port, &a->port) != 0)
        return throng__fail(err, THRONG_EADDR, "%s '%s': '%s' is not a port number", what, text,
                            port);
    if (!*host || strlen(host) >= sizeof a->host)
        return throng__fail(err, THRONG_EADDR, "%s '%s': missing host", what, text);
    snprintf(a->host, sizeof a->host, "%s", host);
    snprintf(a->authority, sizeof a->authority, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
             a->port);
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
