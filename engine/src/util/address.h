/* address.h - a server address as users write it ("host:port", "[::1]:5050",
 * "http://host:port/", "https://host/"), resolved once, before any load starts. */
#ifndef THRONG_ADDRESS_H
#define THRONG_ADDRESS_H

#include <sys/socket.h>

typedef struct throng__address {
    char host[256]; /* without brackets */
    int port;
    int tls;             /* 1 for "https://" (default port 443), 0 for "http://" or none */
    char authority[300]; /* "host:port" for the Host header ("[v6]:port") */
    struct sockaddr_storage sa;
    socklen_t salen;
} throng__address_t;

/* Parses text; without a port, default_port is used. Returns 0 or THRONG_EADDR
 * with a message in err (THRONG__ERRMSG_LEN bytes) naming what is wrong;
 * `what` names the address in it ("server", "listen address"). */
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
