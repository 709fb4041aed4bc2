/* test_source.c - source address lists as users write them: addresses of
 * both families, bracketed IPv6, IPv4 ranges and lists of them, with the
 * count and the address each client takes; refusals naming the item that
 * is wrong; and the family check against the server's. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "util/error.h"
#include "util/source.h"
#include "throng.h"

static char err[THRONG__ERRMSG_LEN];

/* The address client k takes, as text. */
static const char *picked(const throng__sources_t *s, uint64_t k)
{
    static char text[64];
    struct sockaddr_storage ss;
    socklen_t len = throng__sources_pick(s, k, &ss);
    CHECK_INT(len,
              ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
    CHECK_INT(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                      : ((struct sockaddr_in6 *)&ss)->sin6_port,
              0);
    throng__sources_text((struct sockaddr *)&ss, text, sizeof text);
    return text;
}

/* Parses text into s, expecting success with count addresses of family. */
static void check_parsed(const char *text, throng__sources_t *s, int family, unsigned count)
{
    err[0] = '\0';
    int rc = throng__sources_parse(text, s, err);
    if (rc != 0 || s->family != family || s->count != count) {
        fprintf(stderr, "'%s' -> rc %d family %d count %u (%s)\n", text, rc, s->family, s->count,
                err);
        CHECK(!"source parsed");
    }
}

/* Refused with THRONG_EINVAL and a message holding each of want and want2. */
static void check_refused(const char *text, const char *want, const char *want2)
{
    throng__sources_t s;
    err[0] = '\0';
    int rc = throng__sources_parse(text, &s, err);
    if (rc != THRONG_EINVAL || !strstr(err, want) || (want2 && !strstr(err, want2))) {
        fprintf(stderr, "'%s' -> rc %d, message '%s'; expected EINVAL naming '%s' and '%s'\n", text,
                rc, err, want, want2 ? want2 : "");
        CHECK(!"source refused");
    }
    throng__sources_free(&s);
}

static void test_forms(void)
{
    throng__sources_t s;
    check_parsed("127.0.0.2", &s, AF_INET, 1);
    CHECK_STR(picked(&s, 0), "127.0.0.2");
    CHECK_STR(picked(&s, 12345), "127.0.0.2");
    throng__sources_free(&s);

    check_parsed("::1", &s, AF_INET6, 1);
    CHECK_STR(picked(&s, 7), "::1");
    throng__sources_free(&s);
    check_parsed("[::1]", &s, AF_INET6, 1);
    CHECK_STR(picked(&s, 0), "::1");
    throng__sources_free(&s);

    /* A range holds both its ends; clients go round it. */
    check_parsed("127.0.0.2-127.0.0.40", &s, AF_INET, 39);
    CHECK_INT(s.nspans, 1);
    CHECK_STR(picked(&s, 0), "127.0.0.2");
    CHECK_STR(picked(&s, 1), "127.0.0.3");
    CHECK_STR(picked(&s, 38), "127.0.0.40");
    CHECK_STR(picked(&s, 39), "127.0.0.2");
    throng__sources_free(&s);

    /* Across an octet, and a range of one. */
    check_parsed("10.0.0.254-10.0.1.1", &s, AF_INET, 4);
    CHECK_STR(picked(&s, 2), "10.0.1.0");
    throng__sources_free(&s);
    check_parsed("127.0.0.9-127.0.0.9", &s, AF_INET, 1);
    throng__sources_free(&s);

    /* Lists of both, spaces around the items allowed; k mod n over all. */
    check_parsed("127.0.0.2-127.0.0.4, 127.0.1.1 ,127.0.2.1-127.0.2.2", &s, AF_INET, 6);
    CHECK_INT(s.nspans, 3);
    const char *want[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.1.1",
                          "127.0.2.1", "127.0.2.2", "127.0.0.2"};
    for (unsigned k = 0; k < 7; k++)
        CHECK_STR(picked(&s, k), want[k]);
    throng__sources_free(&s);

    check_parsed("[::1],fe80::1,[2001:db8::7]", &s, AF_INET6, 3);
    CHECK_STR(picked(&s, 5), "2001:db8::7");
    throng__sources_free(&s);

    /* Many items: the span list grows. */
    char many[2048] = "";
    for (int i = 1; i <= 100; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s127.0.%d.1", i > 1 ? "," : "",
                 i);
    check_parsed(many, &s, AF_INET, 100);
    CHECK_STR(picked(&s, 99), "127.0.100.1");
    throng__sources_free(&s);

    /* The cap itself is allowed. */
    check_parsed("127.1.0.0-127.1.255.255", &s, AF_INET, THRONG__SOURCES_MAX);
    CHECK_STR(picked(&s, THRONG__SOURCES_MAX - 1), "127.1.255.255");
    throng__sources_free(&s);

    /* Nothing: the system chooses. */
    check_parsed(NULL, &s, 0, 0);
    check_parsed("", &s, 0, 0);
    check_parsed("  ", &s, 0, 0);
    throng__sources_free(&s);
}

static void test_refused(void)
{
    check_refused("localhost", "'localhost' is not an IP address", NULL);
    check_refused("127.0.0.300", "'127.0.0.300' is not an IP address", NULL);
    check_refused("127.0.0.2:80", "'127.0.0.2:80' is not an IP address", "no port");
    check_refused("127.0.0.2,nope,127.0.0.3", "'nope'", NULL);
    check_refused("[127.0.0.1]", "'[127.0.0.1]' is not an IP address", NULL);
    check_refused("127.0.0.2,,127.0.0.3", "empty item", NULL);
    check_refused("127.0.0.2,", "empty item", NULL);
    check_refused("127.0.0.40-127.0.0.2", "'127.0.0.40-127.0.0.2'", "runs backwards");
    check_refused("127.0.0.2-127.0.0.x", "'127.0.0.x' is not an IPv4 address", NULL);
    check_refused("-127.0.0.2", "'' is not an IPv4 address", NULL);
    check_refused("::1-::5", "IPv4 only", "'::1-::5'");
    check_refused("[::1]-[::5]", "IPv4 only", NULL);
    check_refused("127.0.0.2,::1", "'::1' is IPv6 while '127.0.0.2' before it is IPv4", NULL);
    check_refused("[::1],127.0.0.2", "'127.0.0.2' is IPv4", NULL);
    check_refused("127.0.0.0-127.1.0.0", "65537 addresses", "at most 65536");
    check_refused("127.1.0.0-127.1.255.255,127.0.0.1", "'127.0.0.1' brings the list to 65537",
                  NULL);
    check_refused("0.0.0.0-255.255.255.255", "4294967296 addresses", NULL);
    char longer[300];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    check_refused(longer, "is not an IP address", NULL);
}

static void test_family(void)
{
    throng__sources_t s;
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};

    check_parsed("::1", &s, AF_INET6, 1);
    err[0] = '\0';
    CHECK_INT(throng__sources_check_family(&s, (struct sockaddr *)&v4, "127.0.0.1:5050", err),
              THRONG_EADDR);
    CHECK(strstr(err, "source ::1 is IPv6 but the server 127.0.0.1:5050 is IPv4") != NULL);
    CHECK_INT(throng__sources_check_family(&s, (struct sockaddr *)&v6, "[::1]:5050", err), 0);
    throng__sources_free(&s);

    check_parsed("127.0.0.2-127.0.0.3", &s, AF_INET, 2);
    CHECK_INT(throng__sources_check_family(&s, (struct sockaddr *)&v4, "127.0.0.1:5050", err), 0);
    CHECK_INT(throng__sources_check_family(&s, (struct sockaddr *)&v6, "[::1]:80", err),
              THRONG_EADDR);
    CHECK(strstr(err, "127.0.0.2 is IPv4 but the server [::1]:80 is IPv6") != NULL);
    throng__sources_free(&s);

    /* No list: any server. */
    check_parsed(NULL, &s, 0, 0);
    CHECK_INT(throng__sources_check_family(&s, (struct sockaddr *)&v6, "[::1]:80", err), 0);
}

int main(void)
{
    test_forms();
    test_refused();
    test_family();
    return check_result("test_source");
}
