/* test_address.c - server addresses and URLs as users write them:
 * host:port, a bare host, http:// and https:// URLs with paths and queries,
 * bracketed IPv6; refusals that say what is wrong; name resolution for both
 * families and for a name that does not exist; and the text form of socket
 * addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/address.h"
#include "check.h"
#include "util/error.h"

static char err[THRONG__ERRMSG_LEN];

static void check_parsed(const char *text, int default_port, const char *host, int port,
                         const char *authority)
{
    throng__address_t a;
    err[0] = '\0';
    int rc = throng__address_parse(text, default_port, "server", &a, err);
    if (rc != 0 || strcmp(a.host, host) != 0 || a.port != port ||
        strcmp(a.authority, authority) != 0) {
        fprintf(stderr, "'%s' -> rc %d host '%s' port %d authority '%s' (%s)\n", text, rc, a.host,
                a.port, a.authority, err);
        CHECK(!"address parsed");
    }
}

/* Refused with THRONG_EADDR and a message holding want. */
static void check_refused(const char *text, const char *want)
{
    throng__address_t a;
    err[0] = '\0';
    int rc = throng__address_parse(text, 5050, "server", &a, err);
    if (rc != THRONG_EADDR || !strstr(err, want)) {
        fprintf(stderr, "'%s' -> rc %d, message '%s'; expected EADDR naming '%s'\n",
                text ? text : "(null)", rc, err, want);
        CHECK(!"address refused with a reason");
    }
}

static void test_parse(void)
{
    check_parsed("127.0.0.1:5050", 1, "127.0.0.1", 5050, "127.0.0.1:5050");
    check_parsed("localhost:80", 1, "localhost", 80, "localhost:80");
    check_parsed("http://127.0.0.1:8080/", 1, "127.0.0.1", 8080, "127.0.0.1:8080");
    check_parsed("http://127.0.0.1:8080", 1, "127.0.0.1", 8080, "127.0.0.1:8080");
    check_parsed("HTTP://Example.org", 1, "Example.org", 80, "Example.org:80");
    check_parsed("http://h", 5050, "h", 80, "h:80");
    check_parsed("h", 5050, "h", 5050, "h:5050");
    check_parsed("h", 1234, "h", 1234, "h:1234");
    check_parsed("[::1]:5050", 1, "::1", 5050, "[::1]:5050");
    check_parsed("[::1]", 5050, "::1", 5050, "[::1]:5050");
    check_parsed("http://[fe80::1]:81/", 1, "fe80::1", 81, "[fe80::1]:81");
    check_parsed("h:65535", 1, "h", 65535, "h:65535");
}

static void test_refused(void)
{
    check_refused("ftp://x:21", "'ftp://' is not supported");
    check_refused("http://h:1/path", "path");
    check_refused("https://h/a?b=1", "path");
    check_refused("h:1?x=1", "path");
    check_refused("::1:80", "brackets");
    check_refused("h:99999", "99999");
    check_refused("h:-1", "-1");
    check_refused("h:abc", "abc");
    check_refused("h:", "missing port");
    check_refused("h:80x", "80x");
    check_refused("", "empty");
    check_refused(NULL, "empty");
    check_refused(":80", "host");
    check_refused("http://", "host");
    check_refused("[::1", "]");
    check_refused("[::1]80", "':'");
    check_refused("[]:80", "host");
}

/* A URL's address, and its path span as throng__url_parse gives it. */
static void check_url(const char *text, int tls, const char *host, int port, const char *authority,
                      const char *path)
{
    throng__address_t a;
    const char *p = NULL;
    size_t len = 99;
    err[0] = '\0';
    int rc = throng__url_parse(text, 5050, "URL", &a, &p, &len, err);
    if (rc != 0 || a.tls != tls || strcmp(a.host, host) != 0 || a.port != port ||
        strcmp(a.authority, authority) != 0 || len != strlen(path) || strncmp(p, path, len) != 0) {
        fprintf(stderr, "'%s' -> rc %d tls %d host '%s' port %d authority '%s' path '%.*s' (%s)\n",
                text, rc, a.tls, a.host, a.port, a.authority, (int)len, p ? p : "", err);
        CHECK(!"URL parsed");
    }
}

/* A URL refused by throng__url_parse, with a message holding want. */
static void check_url_refused(const char *text, const char *want)
{
    throng__address_t a;
    const char *p;
    size_t len;
    err[0] = '\0';
    int rc = throng__url_parse(text, 80, "URL", &a, &p, &len, err);
    if (rc != THRONG_EADDR || !strstr(err, want) || !strstr(err, text)) {
        fprintf(stderr, "'%s' -> rc %d, message '%s'; expected EADDR naming '%s' and the URL\n",
                text, rc, err, want);
        CHECK(!"URL refused with a reason");
    }
}

static void test_url(void)
{
    check_url("http://127.0.0.1:8080/", 0, "127.0.0.1", 8080, "127.0.0.1:8080", "/");
    check_url("http://127.0.0.1:8080", 0, "127.0.0.1", 8080, "127.0.0.1:8080", "");
    check_url("http://h/a/b?x=1&y=%20", 0, "h", 80, "h:80", "/a/b?x=1&y=%20");
    check_url("http://h?x=1", 0, "h", 80, "h:80", "?x=1");
    check_url("http://h:81/p#frag", 0, "h", 81, "h:81", "/p");
    check_url("http://h#frag", 0, "h", 80, "h:80", "");
    check_url("https://example.org/", 1, "example.org", 443, "example.org:443", "/");
    check_url("HTTPS://example.org:8443/x", 1, "example.org", 8443, "example.org:8443", "/x");
    check_url("https://[::1]/v1/items?id=7", 1, "::1", 443, "[::1]:443", "/v1/items?id=7");
    check_url("http://[fe80::1%25eth0]:8080/", 0, "fe80::1%25eth0", 8080, "[fe80::1%25eth0]:8080",
              "/");
    check_url("h:81/p", 0, "h", 81, "h:81", "/p");
    check_url("h/p", 0, "h", 5050, "h:5050", "/p");
    check_url("my_host-1.example~x/", 0, "my_host-1.example~x", 5050, "my_host-1.example~x:5050",
              "/");
    /* "://" inside a path is not a scheme. */
    check_url("h/r?next=http://x", 0, "h", 5050, "h:5050", "/r?next=http://x");

    check_url_refused("ftp://h/", "scheme 'ftp://' is not supported (http:// or https://)");
    check_url_refused("ws://h/", "'ws://'");
    check_url_refused("://h/", "missing scheme");
    check_url_refused("http://user:pw@h/", "user names and passwords");
    check_url_refused("http://h/a b", "space");
    check_url_refused("http://h/a\tb", "control character");
    check_url_refused("http://h/caf\xc3\xa9", "non-ASCII");
    check_url_refused("http://h\xc3\xa9.org/", "xn--");
    check_url_refused("http://h!x/", "'!'");
    check_url_refused("http://[zz::1]/", "'[zz::1]' is not an IPv6 address");
    check_url_refused("http://[127.0.0.1]/", "not an IPv6 address");
    check_url_refused("http://::1/", "brackets");
    check_url_refused("http://h:8o/", "'8o' is not a port number (0 to 65535)");
    check_url_refused("http://h:65536/", "'65536'");
    check_url_refused("http://h:/", "missing port number");
    check_url_refused("http:///x", "missing host");
    check_url_refused("http://?x", "missing host");

    char longhost[300];
    memset(longhost, 'a', sizeof longhost);
    memcpy(longhost, "http://", 7);
    longhost[sizeof longhost - 1] = '\0';
    check_url_refused(longhost, "longer than 255");
}

/* The public face: an origin usable as a server address, the path as a
 * span of the text, and the message copied (cut to fit) or not at all. */
static void test_public(void)
{
    throng_url_t u;
    const char *text = "https://[2001:db8::7]:8443/api/v1?q=1#top";
    CHECK_INT(throng_parse_url(text, &u, NULL, 0), 0);
    CHECK_INT(u.tls, 1);
    CHECK_INT(u.port, 8443);
    CHECK_STR(u.host, "2001:db8::7");
    CHECK_STR(u.origin, "https://[2001:db8::7]:8443");
    CHECK(u.path == text + 26);
    CHECK_INT(u.path_len, strlen("/api/v1?q=1"));

    CHECK_INT(throng_parse_url("localhost:8080", &u, NULL, 0), 0);
    CHECK_STR(u.origin, "http://localhost:8080");
    CHECK_STR(u.path, "");

    /* The origin is a server address the engine accepts as it is. */
    throng__address_t a;
    CHECK_INT(throng_parse_url("http://127.0.0.1/x", &u, NULL, 0), 0);
    CHECK_INT(throng__address_parse(u.origin, 5050, "server", &a, err), 0);
    CHECK_STR(a.authority, "127.0.0.1:80");

    char small[16];
    CHECK_INT(throng_parse_url("gopher://h/", &u, small, sizeof small), THRONG_EADDR);
    CHECK_INT(strlen(small), sizeof small - 1);
    CHECK_INT(throng_parse_url("gopher://h/", &u, NULL, 0), THRONG_EADDR);
    CHECK_INT(throng_parse_url("http://h/", NULL, NULL, 0), THRONG_EINVAL);
    CHECK_INT(throng_parse_url(NULL, &u, small, sizeof small), THRONG_EADDR);
}

static int has_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in6 sa = {0};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    int ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static void test_resolve(void)
{
    throng__address_t a;
    char text[64];

    CHECK_INT(throng__address_parse("127.0.0.1:5050", 1, "server", &a, err), 0);
    CHECK_INT(throng__address_resolve(&a, err), 0);
    CHECK_INT(a.sa.ss_family, AF_INET);
    CHECK_INT(a.salen, sizeof(struct sockaddr_in));
    throng__sockaddr_text((struct sockaddr *)&a.sa, text, sizeof text);
    CHECK_STR(text, "127.0.0.1:5050");

    CHECK_INT(throng__address_parse("localhost:81", 1, "server", &a, err), 0);
    CHECK_INT(throng__address_resolve(&a, err), 0);
    throng__sockaddr_text((struct sockaddr *)&a.sa, text, sizeof text);
    CHECK(strcmp(text, "127.0.0.1:81") == 0 || strcmp(text, "[::1]:81") == 0);

    if (has_ipv6_loopback()) {
        CHECK_INT(throng__address_parse("[::1]:5050", 1, "server", &a, err), 0);
        CHECK_INT(throng__address_resolve(&a, err), 0);
        CHECK_INT(a.sa.ss_family, AF_INET6);
        CHECK_INT(a.salen, sizeof(struct sockaddr_in6));
        throng__sockaddr_text((struct sockaddr *)&a.sa, text, sizeof text);
        CHECK_STR(text, "[::1]:5050");
    } else {
        printf("test_address: no IPv6 loopback here, [::1] not resolved\n");
    }

    CHECK_INT(throng__address_parse("no-such-host.invalid:80", 1, "server", &a, err), 0);
    err[0] = '\0';
    CHECK_INT(throng__address_resolve(&a, err), THRONG_ERESOLVE);
    CHECK(strstr(err, "no-such-host.invalid") != NULL);
}

static void test_sockaddr_text(void)
{
    char text[64];
    struct sockaddr_in s4 = {0};
    s4.sin_family = AF_INET;
    s4.sin_port = htons(8080);
    inet_pton(AF_INET, "10.1.2.3", &s4.sin_addr);
    throng__sockaddr_text((struct sockaddr *)&s4, text, sizeof text);
    CHECK_STR(text, "10.1.2.3:8080");

    struct sockaddr_in6 s6 = {0};
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(5050);
    inet_pton(AF_INET6, "2001:db8::7", &s6.sin6_addr);
    throng__sockaddr_text((struct sockaddr *)&s6, text, sizeof text);
    CHECK_STR(text, "[2001:db8::7]:5050");

    /* Too small a buffer is cut, not overrun. */
    char small[8];
    memset(small, 'z', sizeof small);
    throng__sockaddr_text((struct sockaddr *)&s6, small, sizeof small);
    CHECK_INT(strlen(small), sizeof small - 1);
}

int main(void)
{
    test_parse();
    test_refused();
    test_url();
    test_public();
    test_resolve();
    test_sockaddr_text();
    return check_result("test_address");
}
