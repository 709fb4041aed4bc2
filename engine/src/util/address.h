/* address.h - a server address or a URL as users write it ("host:port",
 * "[::1]:5050", "http://host:port/", "https://host/path?query"), parsed
 * by one parser and resolved once, before any load starts.
 *
 * The parser reads: an optional scheme (http://, or https:// which sets
 * tls and makes 443 the default port), a host (a name, an IPv4 address or
 * an IPv6 address in brackets), an optional port, and an optional path
 * with its query; a "#fragment" is never sent, so it is left out. It
 * refuses, naming what is wrong: other schemes, user names and passwords,
 * IPv6 without brackets, ports that are not numbers from 0 to 65535, and
 * spaces, control characters or non-ASCII bytes in the host or path. */
#ifndef THRONG_ADDRESS_H
#define THRONG_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct throng__address {
    char host[256]; /* without brackets */
    int port;
    int tls;             /* 1 for "https://" (default port 443), 0 for "http://" or none */
    char authority[300]; /* "host:port" for the Host header ("[v6]:port") */
    struct sockaddr_storage sa;
    socklen_t salen;
} throng__address_t;

/* Parses a URL: its address into a, and where its path begins in text
 * (*path, *path_len: the path and query, without any fragment; an empty
 * span when the URL has none). Without a scheme or a port, default_port is
 * used (a scheme's own default wins over it when only the port is left
 * out). Returns 0 or THRONG_EADDR with a message in err
 * (THRONG__ERRMSG_LEN bytes) naming what is wrong; `what` names the text
 * in it ("URL", "server"). */
int throng__url_parse(const char *text, int default_port, const char *what, throng__address_t *a,
                      const char **path, size_t *path_len, char *err);

/* Parses a server address: a URL whose path, if any, is "/" (paths are the
 * persona's business). Returns 0 or THRONG_EADDR as throng__url_parse. */
int throng__address_parse(const char *text, int default_port, const char *what,
                          throng__address_t *a, char *err);

/* Resolves a->host into a->sa, preferring IPv4 when a name has both (so
 * that "localhost" means 127.0.0.1 on the client and server sides alike).
 * Returns 0 or THRONG_ERESOLVE with a message in err. */
int throng__address_resolve(throng__address_t *a, char *err);

/* Sets the port of an IPv4 or IPv6 socket address. */
void throng__sockaddr_set_port(struct sockaddr_storage *ss, int port);

/* "127.0.0.1:5050" or "[::1]:5050" for a socket address. */
void throng__sockaddr_text(const struct sockaddr *sa, char *buf, size_t len);

#endif
