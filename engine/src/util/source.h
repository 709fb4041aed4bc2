/* source.h - the local addresses a group's connections come from, as users
 * write them (`--source 127.0.0.2-127.0.0.40,127.0.1.1`), parsed once.
 *
 * A list, comma-separated, of IPv4 addresses ("127.0.0.2"), IPv6 addresses
 * bare or in brackets ("::1", "[::1]"), and IPv4 ranges, both ends included
 * ("127.0.0.2-127.0.0.40"). IPv6 ranges are refused (list the addresses).
 * Every address of a list has one family, the server's (checked when the
 * server is resolved), and a list holds at most THRONG__SOURCES_MAX
 * addresses. Ranges stay ranges: a list costs a span per item, whatever
 * the number of addresses in it.
 *
 * Client k connects from address k mod n: client ids run on across threads
 * and processes, so the clients spread evenly over the addresses. */
#ifndef THRONG_SOURCE_H
#define THRONG_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define THRONG__SOURCES_MAX 65536u

/* count consecutive addresses from first: an IPv6 span holds one. */
typedef struct throng__sources_span {
    uint8_t first[16]; /* network byte order: 4 bytes for IPv4, 16 for IPv6 */
    uint32_t count;
} throng__sources_span_t;

typedef struct throng__sources {
    int family;     /* AF_INET or AF_INET6; 0 for an empty list (the system chooses) */
    unsigned count; /* addresses in all, at most THRONG__SOURCES_MAX */
    size_t nspans;
    throng__sources_span_t *spans; /* owned: throng__sources_free() */
} throng__sources_t;

/* Parses text into s (which it owns afterwards: free it even after a
 * failure). NULL or "" gives the empty list. Returns 0 or THRONG_EINVAL
 * with a message in err (THRONG__ERRMSG_LEN bytes) naming the item that is
 * wrong: not an address, a range that runs backwards, an IPv6 range, two
 * families in one list, more than THRONG__SOURCES_MAX addresses. */
int throng__sources_parse(const char *text, throng__sources_t *s, char *err);

/* Frees what s owns and leaves it empty. */
void throng__sources_free(throng__sources_t *s);

/* The address client k connects from, k mod s->count, with port 0, into
 * ss; returns its length (s must not be empty). */
socklen_t throng__sources_pick(const throng__sources_t *s, uint64_t k, struct sockaddr_storage *ss);

/* 0 when the list is empty or has the family of the server's address sa;
 * else THRONG_EADDR, the message in err naming the first source address
 * and the server (server_text, as the user wrote it) with both families. */
int throng__sources_check_family(const throng__sources_t *s, const struct sockaddr *sa,
                                 const char *server_text, char *err);

/* "127.0.0.2" or "::1": the address of a socket address, without port. */
void throng__sources_text(const struct sockaddr *sa, char *buf, size_t len);

#endif
