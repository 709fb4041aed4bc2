/* test_server.c - the demonstration server: its wire format helpers (table
 * bodies of exactly the announced length and shape, written in pieces;
 * requests read from JSON and from queries, refusals included; crunch
 * operands, results that read back exactly, faults), settings
 * refused with a message naming them, and a live server on a free loopback
 * port answering over plain sockets, counting, and stopping from another
 * thread with every loop closed; a server paused for a while (--pause-at)
 * holding the answers due in the pause until it ends, and only those. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util/rng.h"
#include "serve/server_pause.h"
#include "serve/server_table.h"
#include "lua/shape.h"
#include "throng.h"

/* Writes a whole table body through pieces of at most cap bytes. */
static size_t write_table(const throng__table_pool_t *pool, unsigned cols, unsigned rows,
                          size_t cap, char *out)
{
    throng__table_cursor_t cur;
    char *piece = malloc(cap);
    size_t len = 0, n;
    throng__table_cursor_init(&cur, cols, rows, 5);
    while ((n = throng__table_write(pool, &cur, piece, cap)) > 0) {
        memcpy(out + len, piece, n);
        len += n;
    }
    free(piece);
    return len;
}

static void check_table(const throng__table_pool_t *pool, unsigned cols, unsigned rows, size_t cap)
{
    size_t want = throng__table_body_len(cols, rows);
    char *body = malloc(want + 1);
    size_t len = write_table(pool, cols, rows, cap, body);
    CHECK_INT(len, want);
    throng__shape_t shape;
    CHECK_INT(throng__table_shape(body, len, &shape), 0);
    CHECK_INT(shape.rows, rows);
    CHECK_INT(shape.cols, cols);
    free(body);
}

static void test_table_bodies(void)
{
    static throng__table_pool_t pool;
    throng__rng_t rng;
    throng__rng_seed(&rng, 1);
    throng__table_pool_init(&pool, &rng);
    check_table(&pool, 1, 1, 1 << 20);
    check_table(&pool, 3, 2, 1 << 20);
    check_table(&pool, 100, 100, 1 << 20);
    check_table(&pool, 10000, 1, THRONG__TABLE_UNIT_MAX);
    check_table(&pool, 10000, 7, THRONG__TABLE_UNIT_MAX);
    check_table(&pool, 1, 10000, 4096 + THRONG__TABLE_UNIT_MAX);
}

static void check_json(const char *body, int rc, unsigned x, unsigned y)
{
    unsigned gx = 0, gy = 0;
    const char *why = NULL;
    int got = throng__table_parse_json(body, strlen(body), &gx, &gy, &why);
    CHECK_INT(got, rc);
    if (rc == 0 && got == 0) {
        CHECK_INT(gx, x);
        CHECK_INT(gy, y);
    }
    if (rc != 0) CHECK(why && *why);
}

static void check_query(const char *query, int rc, unsigned x, unsigned y)
{
    unsigned gx = 0, gy = 0;
    const char *why = NULL;
    int got = throng__table_parse_query(query, strlen(query), &gx, &gy, &why);
    CHECK_INT(got, rc);
    if (rc == 0 && got == 0) {
        CHECK_INT(gx, x);
        CHECK_INT(gy, y);
    }
    if (rc != 0) CHECK(why && *why);
}

static void test_requests(void)
{
    check_json("{\"value\":{\"x\":3,\"y\":2}}", 0, 3, 2);
    check_json(" { \"value\" : { \"y\" : 10000 , \"x\" : 1, \"z\": [] } } ", 0, 1, 10000);
    check_json("{\"value\":{\"x\":3,\"y\":2}", -1, 0, 0);
    check_json("{\"value\":{\"x\":0,\"y\":2}}", -1, 0, 0);
    check_json("{\"value\":{\"x\":10001,\"y\":2}}", -1, 0, 0);
    check_json("{\"value\":{\"x\":2.5,\"y\":2}}", -1, 0, 0);
    check_json("{\"value\":{\"x\":\"2\",\"y\":2}}", -1, 0, 0);
    check_json("{\"value\":{\"x\":2}}", -1, 0, 0);
    check_json("{\"x\":2,\"y\":2}", -1, 0, 0);
    check_json("[]", -1, 0, 0);
    check_json("", -1, 0, 0);

    check_query("x=3&y=2", 0, 3, 2);
    check_query("y=7&debug=1&x=10000", 0, 10000, 7);
    check_query("x=3", -1, 0, 0);
    check_query("x=3&y=", -1, 0, 0);
    check_query("x=3&y=0", -1, 0, 0);
    check_query("x=3&y=2a", -1, 0, 0);
    check_query("x=-3&y=2", -1, 0, 0);
    check_query("x=99999999999&y=2", -1, 0, 0);
    check_query("", -1, 0, 0);
}

static void check_crunch_json(const char *body, int rc, double x, double y)
{
    double gx = 0, gy = 0;
    const char *why = NULL;
    int got = throng__crunch_parse_json(body, strlen(body), &gx, &gy, &why);
    CHECK_INT(got, rc);
    if (rc == 0 && got == 0) {
        CHECK(gx == x);
        CHECK(gy == y);
    }
    if (rc != 0) CHECK(why && *why);
}

static void test_crunch_requests(void)
{
    check_crunch_json("{\"value\":{\"x\":6,\"y\":7}}", 0, 6, 7);
    check_crunch_json("{\"value\":{\"y\":-0.25,\"x\":1e-300,\"z\":1}}", 0, 1e-300, -0.25);
    check_crunch_json("{\"value\":{\"x\":0.1,\"y\":0}}", 0, 0.1, 0);
    check_crunch_json("{\"value\":{\"x\":\"6\",\"y\":7}}", -1, 0, 0);
    check_crunch_json("{\"value\":{\"x\":6}}", -1, 0, 0);
    check_crunch_json("{\"value\":{\"x\":null,\"y\":7}}", -1, 0, 0);
    check_crunch_json("{\"value\":{\"x\":1e999,\"y\":7}}", -1, 0, 0);
    check_crunch_json("{\"value\":[6,7]}", -1, 0, 0);
    check_crunch_json("{\"value\":{\"x\":6,", -1, 0, 0);
    check_crunch_json("", -1, 0, 0);
}

/* Whether the Output envelope in text carries exactly v, read back by a JSON
 * parser as a client would. */
static int output_reads_back(const char *text, size_t len, double v)
{
    cJSON *j = cJSON_ParseWithLength(text, len);
    const cJSON *value = cJSON_GetObjectItem(j, "value");
    const cJSON *name = cJSON_GetArrayItem(value, 0);
    const cJSON *number = cJSON_GetObjectItem(cJSON_GetArrayItem(value, 1), "value");
    const cJSON *rest = cJSON_GetArrayItem(value, 2);
    int ok = cJSON_GetArraySize(value) == 3 && cJSON_IsString(name) &&
             strcmp(name->valuestring, "Output") == 0 && cJSON_IsNumber(number) &&
             number->valuedouble == v && signbit(number->valuedouble) == signbit(v) &&
             cJSON_IsArray(rest) && cJSON_GetArraySize(rest) == 0;
    cJSON_Delete(j);
    return ok;
}

static void check_number(double v, const char *want)
{
    char buf[64];
    size_t n = throng__crunch_number(buf, sizeof buf, v);
    CHECK_INT(n, strlen(buf));
    if (want) CHECK_STR(buf, want);
    CHECK(strtod(buf, NULL) == v);
    n = throng__crunch_output_json(buf, sizeof buf, v);
    if (!output_reads_back(buf, n, v)) {
        fprintf(stderr, "%.17g came out as %s\n", v, buf);
        CHECK(!"the Output envelope reads back exactly");
    }
}

static void test_crunch_numbers(void)
{
    check_number(42, "42");
    check_number(0.25, "0.25");
    check_number(-3, "-3");
    check_number(1e15, "1000000000000000");
    check_number(0.1 * 3, "0.30000000000000004");
    check_number(1.0 / 3, "0.3333333333333333");
    check_number(1e20, "1e+20");
    check_number(-0.0, "-0");
    check_number(DBL_MAX, NULL);
    check_number(-DBL_MIN, NULL);
    check_number(4.9e-324, NULL);
    check_number(9007199254740993.0, NULL);
    throng__rng_t rng;
    throng__rng_seed(&rng, 3);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = throng__rng_next(&rng);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (isfinite(v)) check_number(v, NULL);
        check_number((throng__rng_double(&rng) - 0.5) * 1e6, NULL);
    }
}

static void check_compute(throng__crunch_op_t op, double x, double y, double want,
                          const char *fault)
{
    double got = 12345;
    const char *condition = NULL;
    int rc = throng__crunch_compute(op, x, y, &got, &condition);
    CHECK_INT(rc, fault ? -1 : 0);
    if (fault)
        CHECK_STR(condition, fault);
    else
        CHECK(got == want);
}

static void test_crunch_answers(void)
{
    check_compute(THRONG__CRUNCH_MULTIPLY, 6, 7, 42, NULL);
    check_compute(THRONG__CRUNCH_DIVIDE, 1, 4, 0.25, NULL);
    check_compute(THRONG__CRUNCH_DIVIDE, 0, 5, 0, NULL);
    check_compute(THRONG__CRUNCH_DIVIDE, 1, 0, 0, "division by zero");
    check_compute(THRONG__CRUNCH_DIVIDE, 0, -0.0, 0, "division by zero");
    check_compute(THRONG__CRUNCH_MULTIPLY, 1e300, -1e300, 0, "result out of range");
    check_compute(THRONG__CRUNCH_DIVIDE, 1e300, 1e-300, 0, "result out of range");

    /* A wrong result differs and stays a number JSON can carry. */
    const double values[] = {0, 42, -0.25, 1e300, -DBL_MAX, DBL_MAX, 4.9e-324};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        double w = throng__crunch_wrong(values[i]);
        CHECK(w != values[i] && isfinite(w));
    }
    CHECK(throng__crunch_wrong(42) == 43);

    char buf[256];
    size_t n = throng__crunch_fault_json(buf, sizeof buf, "division by zero");
    CHECK_INT(n, strlen(buf));
    CHECK_STR(buf, "{\"value\":[\"layer_cake.point_runtime.Faulted\",{\"condition\":\"division "
                   "by zero\",\"explanation\":null,\"error_code\":null,\"exit_status\":null},[]]}");
    n = throng__crunch_output_json(buf, sizeof buf, 42);
    CHECK_STR(buf, "{\"value\":[\"Output\",{\"value\":42},[]]}");
    /* A short buffer gets a truncated, terminated text, never an overrun. */
    n = throng__crunch_output_json(buf, 10, 42);
    CHECK_INT(n, 9);
    CHECK_INT(strlen(buf), 9);
}

static void test_status_body(void)
{
    throng_server_stats_t s = {.uptime = 1.5,
                               .requests = 12,
                               .tables = 10,
                               .busy = 2,
                               .dropped = 4,
                               .crunch = 5,
                               .connections = 3};
    char buf[512];
    size_t n = throng__table_status_json(buf, sizeof buf, &s);
    cJSON *j = cJSON_ParseWithLength(buf, n);
    CHECK(j != NULL);
    CHECK_INT(cJSON_GetObjectItem(j, "requests")->valuedouble, 12);
    CHECK_INT(cJSON_GetObjectItem(j, "tables")->valuedouble, 10);
    CHECK_INT(cJSON_GetObjectItem(j, "busy")->valuedouble, 2);
    CHECK_INT(cJSON_GetObjectItem(j, "dropped")->valuedouble, 4);
    CHECK_INT(cJSON_GetObjectItem(j, "connections")->valuedouble, 3);
    CHECK_INT(cJSON_GetObjectItem(j, "crunch")->valuedouble, 5);
    cJSON_Delete(j);
}

/* Starting with one setting changed must fail with want, naming the setting. */
static void check_refused(throng_server_config_t *c, int want, const char *word)
{
    throng_server_t *s = throng_server_new();
    int rc = throng_server_start(s, c);
    CHECK_INT(rc, want);
    if (!strstr(throng_server_errmsg(s), word)) {
        fprintf(stderr, "message '%s' does not name '%s'\n", throng_server_errmsg(s), word);
        CHECK(!"the message names the setting");
    }
    CHECK_INT(throng_server_port(s), 0);
    throng_server_free(s);
}

static void test_refusals(int busy_port)
{
    throng_server_config_t c;
    char addr[64];
    throng_server_config_init(&c);
    c.busy = 1.5;
    check_refused(&c, THRONG_EINVAL, "busy");
    throng_server_config_init(&c);
    c.drop = -0.1;
    check_refused(&c, THRONG_EINVAL, "drop");
    throng_server_config_init(&c);
    c.latency = -1;
    check_refused(&c, THRONG_EINVAL, "latency");
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:http";
    check_refused(&c, THRONG_EADDR, "127.0.0.1:http");
    c.listen = "::1:80";
    check_refused(&c, THRONG_EADDR, "::1:80");
    c.listen = "127.0.0.1:65536";
    check_refused(&c, THRONG_EADDR, "65536");
    snprintf(addr, sizeof addr, "127.0.0.1:%d", busy_port);
    c.listen = addr;
    check_refused(&c, THRONG_ELISTEN, addr);
    c.threads = 3;
    check_refused(&c, THRONG_ELISTEN, addr);

    /* Stopping or freeing a server that never ran is harmless. */
    throng_server_t *s = throng_server_new();
    throng_server_stop(s);
    CHECK_INT(throng_server_wait(s), THRONG_ESTATE);
    throng_server_free(s);
    throng_server_free(NULL);
}

/* Sends request on a new connection and reads until the server closes it
 * (requests here end with Connection: close). Returns the bytes read. */
static size_t exchange(int port, const char *request, char *out, size_t cap)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    size_t len = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, request, strlen(request)) == (ssize_t)strlen(request)) {
        ssize_t n;
        while (len + 1 < cap && (n = read(fd, out + len, cap - 1 - len)) > 0)
            len += (size_t)n;
    }
    out[len] = '\0';
    close(fd);
    return len;
}

/* Counts the answers with the given status line prefix in a reply stream. */
static int count(const char *text, const char *what)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void *stop_later(void *server)
{
    usleep(50 * 1000);
    throng_server_stop(server);
    return NULL;
}

static void test_live(throng_server_t *s, int port)
{
    static char reply[1 << 16];
    exchange(port,
             "POST /Xy HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 23\r\n"
             "Connection: close\r\n\r\n{\"value\":{\"x\":4,\"y\":3}}",
             reply, sizeof reply);
    CHECK(strncmp(reply, "HTTP/1.1 200 OK\r\n", 17) == 0);
    const char *body = strstr(reply, "\r\n\r\n");
    throng__shape_t shape = {0};
    CHECK(body && throng__table_shape(body + 4, strlen(body + 4), &shape) == 0);
    CHECK_INT(shape.rows, 3);
    CHECK_INT(shape.cols, 4);

    /* Pipelined requests on one connection, the last one closing it. */
    exchange(port,
             "GET /Xy?x=1&y=1 HTTP/1.1\r\n\r\nGET /nowhere HTTP/1.1\r\n\r\n"
             "GET /Xy?x=2&y=2 HTTP/1.1\r\n\r\nGET /status HTTP/1.1\r\nConnection: close\r\n\r\n",
             reply, sizeof reply);
    CHECK_INT(count(reply, "HTTP/1.1 200 OK"), 3);
    CHECK_INT(count(reply, "HTTP/1.1 404 "), 1);
    CHECK(strstr(reply, "\"requests\":4,\"tables\":3,\"busy\":0,\"bad\":1") != NULL);

    exchange(port, "\x01\x02garbage\r\n\r\n", reply, sizeof reply);
    CHECK(strncmp(reply, "HTTP/1.1 400 ", 13) == 0);

    /* Crunches: a result, a fault, a GET refused; /status counts them. */
    exchange(port,
             "POST /Multiply HTTP/1.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 23\r\n\r\n{\"value\":{\"x\":6,\"y\":7}}"
             "POST /Divide HTTP/1.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 23\r\n\r\n{\"value\":{\"x\":1,\"y\":0}}"
             "GET /Divide HTTP/1.1\r\n\r\nGET /status HTTP/1.1\r\nConnection: close\r\n\r\n",
             reply, sizeof reply);
    CHECK(strstr(reply, "HTTP/1.1 200 OK") == reply);
    CHECK(strstr(reply, "{\"value\":[\"Output\",{\"value\":42},[]]}") != NULL);
    CHECK_INT(count(reply, "HTTP/1.1 500 "), 1);
    CHECK_INT(count(reply, "\"condition\":\"division by zero\""), 1);
    CHECK_INT(count(reply, "HTTP/1.1 405 "), 1);
    CHECK(strstr(reply, "\"requests\":8,\"tables\":3,\"busy\":0,\"bad\":3") != NULL);
    CHECK(strstr(reply, "\"crunch\":2,\"held\":0}") != NULL);

    throng_server_stats_t st;
    throng_server_stats(s, &st);
    CHECK_INT(st.requests, 8);
    CHECK_INT(st.tables, 3);
    CHECK_INT(st.bad, 3);
    CHECK_INT(st.connections, 4);
    CHECK(st.uptime > 0);

    pthread_t stopper;
    pthread_create(&stopper, NULL, stop_later, s);
    CHECK_INT(throng_server_wait(s), 0);
    pthread_join(stopper, NULL);
    CHECK_INT(throng_server_wait(s), 0);
}

/* ----------------------------------------------------------------- pauses */

static void check_pauses(const char *text, int rc, size_t n, double at0, double len0)
{
    throng_server_pause_t p[4];
    size_t got = 99;
    char err[256] = "";
    CHECK_INT(throng_parse_pauses(text, p, 4, &got, err, sizeof err), rc);
    if (rc != 0) {
        if (!strstr(err, "pause")) fprintf(stderr, "'%s' refused with '%s'\n", text, err);
        CHECK(strstr(err, "pause") != NULL);
        return;
    }
    CHECK_INT(got, n);
    CHECK(fabs(p[0].at - at0) < 1e-9 && fabs(p[0].length - len0) < 1e-9);
}

/* The flag's form, and the hold's end through windows that chain. */
static void test_pause_rules(void)
{
    check_pauses("3s:2s", 0, 1, 3, 2);
    check_pauses("250ms:1.5,10s:500ms", 0, 2, 0.25, 1.5);
    check_pauses("0:1m", 0, 1, 0, 60);
    check_pauses("3s", THRONG_EINVAL, 0, 0, 0);
    check_pauses("3s:0", THRONG_EINVAL, 0, 0, 0);
    check_pauses("3s:2s,", THRONG_EINVAL, 0, 0, 0);
    check_pauses("3s:2x", THRONG_EINVAL, 0, 0, 0);
    check_pauses("-1s:2s", THRONG_EINVAL, 0, 0, 0);
    check_pauses("2h:1s", THRONG_EINVAL, 0, 0, 0);
    check_pauses("1:1,2:1,3:1,4:1,5:1", THRONG_EINVAL, 0, 0, 0); /* more than the 4 room */

    const throng_server_pause_t p[] = {
        {.at = 5, .length = 1}, {.at = 1, .length = 2}, {.at = 2.5, .length = 1}};
    throng__pause_window_t w[3];
    throng__pauses_place(p, 3, w);
    const uint64_t s = 1000000000, sec = 1000000000;
    CHECK(throng__pause_until(w, 3, s, s) == 0);
    CHECK(throng__pause_until(w, 3, s, s + sec - 1) == 0);
    CHECK(throng__pause_until(w, 3, s, s + sec) == s + 3 * sec + sec / 2); /* 1..3, 2.5..3.5 */
    CHECK(throng__pause_until(w, 3, s, s + 3 * sec) == s + 3 * sec + sec / 2);
    CHECK(throng__pause_until(w, 3, s, s + 3 * sec + sec / 2) == 0);
    CHECK(throng__pause_until(w, 3, s, s + 5 * sec + 1) == s + 6 * sec);
    CHECK(throng__pause_until(w, 3, s, s + 6 * sec) == 0);
    CHECK(throng__pause_until(w, 0, s, s + sec) == 0);
    CHECK(throng__pause_until(w, 3, 2 * s, s + sec / 2) == 0);         /* before the origin */
    CHECK(throng__pause_until(w, 3, 2 * s, 3 * s) == 5 * s + sec / 2); /* 2 s from it */

    throng_server_config_t c;
    throng_server_pause_t bad = {.at = 1, .length = 0};
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.pauses = &bad;
    c.npauses = 1;
    check_refused(&c, THRONG_EINVAL, "pause 1");
    bad.length = NAN;
    check_refused(&c, THRONG_EINVAL, "pause 1");
    c.pauses = NULL;
    check_refused(&c, THRONG_EINVAL, "pauses");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One request sent at a set time from t0, on its own connection. */
typedef struct timed_request {
    int port;
    double t0, send_at; /* seconds from t0 */
    const char *request;
    double sent, answered; /* seconds from t0 */
    char reply[4096];
} timed_request_t;

static void *send_timed(void *arg)
{
    timed_request_t *r = arg;
    double wait = r->t0 + r->send_at - now_s();
    if (wait > 0) usleep((useconds_t)(wait * 1e6));
    r->sent = now_s() - r->t0;
    exchange(r->port, r->request, r->reply, sizeof r->reply);
    r->answered = now_s() - r->t0;
    return NULL;
}

/* A server with a 50 ms latency paused from 0.5 s for 0.5 s: a request
 * before the pause and one after it take their latency; one whose latency
 * ends in the pause and one sent in it are answered when the pause ends,
 * not before; /status answers during the pause and counts the held. */
static void test_pause_live(void)
{
    static const char table[] = "GET /Xy?x=2&y=3 HTTP/1.1\r\nConnection: close\r\n\r\n";
    static const char status[] = "GET /status HTTP/1.1\r\nConnection: close\r\n\r\n";
    const throng_server_pause_t pause = {.at = 0.5, .length = 0.5};
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.latency = 0.05;
    c.pauses = &pause;
    c.npauses = 1;
    throng_server_t *s = throng_server_new();
    double t0 = now_s(); /* the server's clock starts after this: its pause ends after t0 + 1 */
    CHECK_INT(throng_server_start(s, &c), 0);
    timed_request_t r[5] = {
        {.send_at = 0.1, .request = table},  {.send_at = 0.47, .request = table},
        {.send_at = 0.7, .request = table},  {.send_at = 0.85, .request = status},
        {.send_at = 1.25, .request = table},
    };
    pthread_t th[5];
    for (int i = 0; i < 5; i++) {
        r[i].port = throng_server_port(s);
        r[i].t0 = t0;
        pthread_create(&th[i], NULL, send_timed, &r[i]);
    }
    for (int i = 0; i < 5; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 5; i++) {
        CHECK(strncmp(r[i].reply, "HTTP/1.1 200 OK\r\n", 17) == 0);
        fprintf(stderr, "pause: sent at %.3f s, answered after %.3f s\n", r[i].sent,
                r[i].answered - r[i].sent);
    }
    /* Before and after: the latency alone (with room for a slow machine). */
    CHECK(r[0].answered - r[0].sent >= 0.049 && r[0].answered - r[0].sent < 0.3);
    CHECK(r[4].answered - r[4].sent >= 0.049 && r[4].answered - r[4].sent < 0.3);
    /* Held: answered at the pause's end, not before, and not long after. */
    CHECK(r[1].answered >= 1.0 && r[1].answered < 1.3);
    CHECK(r[2].answered >= 1.0 && r[2].answered < 1.3);
    CHECK(r[2].answered - r[2].sent >= 0.25);
    /* /status is not held, and saw the two held requests. */
    CHECK(r[3].answered < 1.0);
    CHECK(strstr(r[3].reply, "\"held\":2}") != NULL);
    throng_server_stats_t st;
    throng_server_stats(s, &st);
    CHECK_INT(st.requests, 4);
    CHECK_INT(st.tables, 4);
    CHECK_INT(st.held, 2);
    throng_server_free(s);
}

/* With pause_from_first, the pause counts from the first request: a
 * request long after the start but before WHEN from the first is not
 * held, one inside the window is. */
static void test_pause_from_first(void)
{
    static const char table[] = "GET /Xy?x=1&y=1 HTTP/1.1\r\nConnection: close\r\n\r\n";
    const throng_server_pause_t pause = {.at = 0.3, .length = 0.4};
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.pauses = &pause;
    c.npauses = 1;
    c.pause_from_first = 1;
    throng_server_t *s = throng_server_new();
    CHECK_INT(throng_server_start(s, &c), 0);
    usleep(400 * 1000); /* past the pause, counted from the start */
    timed_request_t r[3] = {{.send_at = 0, .request = table},
                            {.send_at = 0.2, .request = table},
                            {.send_at = 0.45, .request = table}};
    double t0 = now_s();
    for (int i = 0; i < 3; i++) {
        r[i].port = throng_server_port(s);
        r[i].t0 = t0;
        send_timed(&r[i]);
    }
    CHECK(r[0].answered < 0.2);                          /* sets the origin */
    CHECK(r[1].answered - r[1].sent < 0.1);              /* before the pause */
    CHECK(r[2].answered >= 0.69 && r[2].answered < 1.0); /* held to origin + 0.7 */
    throng_server_stats_t st;
    throng_server_stats(s, &st);
    CHECK_INT(st.held, 1);
    throng_server_free(s);
}

int main(void)
{
    test_table_bodies();
    test_requests();
    test_crunch_requests();
    test_crunch_numbers();
    test_crunch_answers();
    test_status_body();

    throng_server_t *s = throng_server_new();
    throng_server_config_t c;
    throng_server_config_init(&c);
    c.listen = "127.0.0.1:0";
    c.threads = 2;
    c.seed = 42;
    CHECK_INT(throng_server_start(s, &c), 0);
    int port = throng_server_port(s);
    CHECK(port > 0);
    CHECK_INT(throng_server_start(s, &c), THRONG_ESTATE);
    test_refusals(port);
    test_live(s, port);
    throng_server_free(s);
    test_pause_rules();
    test_pause_live();
    test_pause_from_first();
    return check_result("test_server");
}
