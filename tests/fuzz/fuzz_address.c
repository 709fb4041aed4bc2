/* fuzz_address.c - the URL parser, throng__url_parse (util/address.c), and
 * server and listen addresses over it, throng__address_parse: "host:port",
 * "[::1]:5050", "http://host:port/", "https://host/path?q#frag". Names are
 * never resolved here: only numeric addresses are, which needs no network.
 * An accepted address has a port in 1..65535 (or 0: pick one) and
 * NUL-terminated host and authority; an accepted URL's path lies inside
 * the text, has no fragment, and is empty or starts with '/' or '?'; what
 * the address parser accepts, the URL parser accepts with a path of at
 * most "/". */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/address.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_t in = {data, size};
    int default_port = fuzz_byte(&in) & 1 ? 5050 : 80;
    char *text = fuzz_string(in.data, in.size);
    if (!text) return 0;
    throng__address_t a;
    char err[THRONG__ERRMSG_LEN];
    memset(&a, 0xAA, sizeof a);
    const char *path;
    size_t path_len;
    int url_rc = throng__url_parse(text, default_port, "URL", &a, &path, &path_len, err);
    if (url_rc == 0) {
        FUZZ_CHECK(a.port >= 0 && a.port <= 65535);
        FUZZ_CHECK(path >= text && path + path_len <= text + strlen(text));
        FUZZ_CHECK(!memchr(path, '#', path_len));
        FUZZ_CHECK(path_len == 0 || path[0] == '/' || path[0] == '?');
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0]);
    }
    memset(&a, 0xAA, sizeof a);
    if (throng__address_parse(text, default_port, "server", &a, err) == 0) {
        FUZZ_CHECK(url_rc == 0 && path_len <= 1);
        FUZZ_CHECK(a.port >= 0 && a.port <= 65535);
        FUZZ_CHECK(memchr(a.host, '\0', sizeof a.host));
        FUZZ_CHECK(memchr(a.authority, '\0', sizeof a.authority));
        FUZZ_CHECK(strlen(a.host) <= strlen(text));
        /* Only a numeric host resolves without asking anyone. */
        unsigned char sa[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, a.host, sa) == 1 || inet_pton(AF_INET6, a.host, sa) == 1) {
            char err2[THRONG__ERRMSG_LEN];
            (void)throng__address_resolve(&a, err2);
        }
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0]);
    }
    free(text);
    return 0;
}
