/* test_cookies.c - the cookie jar: Set-Cookie parsed and kept, and the
 * Cookie header each request gets (domain, path, secure, expiry). */
#include <string.h>

#include "check.h"
#include "lua/lua_cookies.h"

#define NOW 1700000000LL

static int set(throng__jar_t **jar, const char *line, const char *host, const char *path)
{
    return throng__jar_set(jar, line, strlen(line), host, path, strlen(path), NOW);
}

/* The Cookie header's value for a request, "" when none. */
static const char *sent(const throng__jar_t *jar, const char *host, const char *path, int secure,
                        long long now)
{
    static char text[512];
    throng__buf_t b = {0};
    CHECK_INT(throng__jar_header(jar, host, path, strlen(path), secure, now, &b), 0);
    text[0] = 0;
    if (b.len >= 10) snprintf(text, sizeof text, "%.*s", (int)b.len - 10, b.data + 8);
    throng__buf_free(&b);
    return text;
}

static void test_dates(void)
{
    const char *a = "Wed, 21 Oct 2015 07:28:00 GMT", *b = "Wednesday, 21-Oct-15 07:28:00 GMT";
    CHECK_INT(throng__cookie_date(a, strlen(a)), 1445412480LL);
    CHECK_INT(throng__cookie_date(b, strlen(b)), 1445412480LL);
    CHECK_INT(throng__cookie_date("tomorrow", 8), -1);
}

static void test_expiry(void)
{
    throng__jar_t *jar = NULL;
    CHECK_INT(set(&jar, "sid=abc; Max-Age=60", "app.test", "/login"), 1);
    CHECK(jar != NULL);
    CHECK_STR(sent(jar, "app.test", "/", 0, NOW + 59), "sid=abc");
    CHECK_STR(sent(jar, "app.test", "/", 0, NOW + 61), "");
    /* Max-Age wins over Expires, whichever comes first */
    CHECK_INT(set(&jar, "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "app.test", "/"), 1);
    CHECK(throng__jar_find(jar, "a") == NULL); /* expired on arrival: not kept */
    set(&jar, "b=2; Max-Age=100; Expires=Wed, 21 Oct 2015 07:28:00 GMT", "app.test", "/");
    CHECK(throng__jar_find(jar, "b") != NULL);
    /* a cookie set again with Max-Age=0 is removed */
    set(&jar, "sid=x; Max-Age=0", "app.test", "/");
    CHECK(throng__jar_find(jar, "sid") == NULL);
    throng__jar_free(jar);
}

static void test_domain(void)
{
    throng__jar_t *jar = NULL;
    CHECK_INT(set(&jar, "host=1", "www.app.test", "/"), 1);
    CHECK_INT(set(&jar, "dom=2; Domain=.App.test", "www.app.test", "/"), 1);
    CHECK_INT(set(&jar, "other=3; Domain=elsewhere.test", "www.app.test", "/"), 0);
    CHECK_STR(sent(jar, "www.app.test", "/", 0, NOW), "host=1; dom=2");
    CHECK_STR(sent(jar, "api.app.test", "/", 0, NOW), "dom=2");
    CHECK_STR(sent(jar, "app.test", "/", 0, NOW), "dom=2");
    CHECK_STR(sent(jar, "xapp.test", "/", 0, NOW), "");
    throng__jar_free(jar);
}

static void test_path_and_secure(void)
{
    throng__jar_t *jar = NULL;
    set(&jar, "root=r; Path=/", "127.0.0.1", "/");
    set(&jar, "deep=d; Path=/account", "127.0.0.1", "/");
    set(&jar, "dflt=x", "127.0.0.1", "/shop/cart?id=1"); /* default path /shop */
    set(&jar, "safe=s; Secure; HttpOnly; SameSite=lax", "127.0.0.1", "/");
    CHECK_STR(sent(jar, "127.0.0.1", "/account/me?x=1", 0, NOW), "deep=d; root=r");
    CHECK_STR(sent(jar, "127.0.0.1", "/accounts", 0, NOW), "root=r");
    CHECK_STR(sent(jar, "127.0.0.1", "/shop", 0, NOW), "dflt=x; root=r");
    CHECK_STR(sent(jar, "127.0.0.1", "/", 1, NOW), "root=r; safe=s");
    const throng__cookie_t *c = throng__jar_find(jar, "safe");
    CHECK(c && c->http_only && c->secure && !strcmp(c->same_site, "Lax"));
    /* an IP address is never matched by a Domain suffix */
    CHECK_INT(set(&jar, "ip=1; Domain=0.0.1", "127.0.0.1", "/"), 0);
    /* the same name, domain and path: replaced */
    set(&jar, "root=R2; Path=/", "127.0.0.1", "/");
    CHECK_STR(throng__jar_find(jar, "root")->value, "R2");
    throng__jar_clear(jar, "root");
    CHECK(throng__jar_find(jar, "root") == NULL);
    throng__jar_clear(jar, NULL);
    CHECK_STR(sent(jar, "127.0.0.1", "/", 1, NOW), "");
    CHECK_INT(set(&jar, "novalue", "127.0.0.1", "/"), 0);
    throng__jar_free(jar);
}

int main(void)
{
    test_dates();
    test_expiry();
    test_domain();
    test_path_and_secure();
    return check_result("test_cookies");
}
