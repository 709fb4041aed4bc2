/* test_address.c - server addresses as users write them: host:port, a bare
 * host, http:// URLs, bracketed IPv6; refusals that say what is wrong; name
 * resolution for both families and for a name that does not exist; and the
 * text form of socket addresses. */
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
    check_refused("gopher://x", "https://");
    check_refused("ftp://x:21", "http://");
    check_refused("http://h:1/path", "path");
    check_refused("::1:80", "brackets");
    check_refused("h:99999", "99999");
    check_refused("h:-1", "-1");
    check_refused("h:abc", "abc");
    check_refused("h:", "port");
    check_refused("h:80x", "80x");
    check_refused("", "empty");
    check_refused(NULL, "empty");
    check_refused(":80", "host");
    check_refused("http://", "host");
    check_refused("[::1", "]");
    check_refused("[::1]80", "':'");
    check_refused("[]:80", "host");
}

/* https:// sets tls and port 443 by default; http:// and no scheme clear it. */
static void test_scheme(void)
{
    throng__address_t a;
    CHECK_INT(throng__address_parse("https://example.org", 5050, "server", &a, err), 0);
    CHECK_INT(a.tls, 1);
    CHECK_INT(a.port, 443);
    CHECK_STR(a.authority, "example.org:443");
    CHECK_INT(throng__address_parse("HTTPS://127.0.0.1:8443/", 5050, "server", &a, err), 0);
    CHECK_INT(a.tls, 1);
    CHECK_INT(a.port, 8443);
    CHECK_INT(throng__address_parse("http://127.0.0.1", 5050, "server", &a, err), 0);
    CHECK_INT(a.tls, 0);
    CHECK_INT(a.port, 80);
    CHECK_INT(throng__address_parse("127.0.0.1", 5050, "server", &a, err), 0);
    CHECK_INT(a.tls, 0);
    CHECK_INT(a.port, 5050);
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
    test_scheme();
    test_resolve();
    test_sockaddr_text();
    return check_result("test_address");
}
